// An HTTP server with the original's API: GET / answers "Hello, World!", GET /users/:id names
// the user, POST /echo answers "echo: " and the body. HTTP/1.1 and h2c on one port.
// Usage: http_server [port] (default 8080, 0 = any). Press Enter to stop.
#include <kcenon/network/internal/http/http_server.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

int main(int argc, char** argv) {
    using namespace kcenon::network;
    auto server = std::make_shared<core::http_server>("example");
    server->get("/", [](const core::http_request_context&) {
        internal::http_response r;
        r.set_body_string("Hello, World!");
        r.set_header("Content-Type", "text/plain");
        return r;
    });
    server->get("/users/:id", [](const core::http_request_context& ctx) {
        internal::http_response r;
        r.set_body_string("User ID: " + ctx.get_path_param("id").value_or("?"));
        r.set_header("Content-Type", "text/plain");
        return r;
    });
    server->post("/echo", [](const core::http_request_context& ctx) {
        internal::http_response r;
        r.set_body_string("echo: " + ctx.request.get_body_string());
        r.set_header("Content-Type", "text/plain");
        return r;
    });
    server->set_bind_address("127.0.0.1");  // "0.0.0.0" (the default) accepts other machines
    const auto port = static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 8080);
    auto result = server->start(port);
    if (result.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", result.error().message.c_str(), result.error().code);
        return 1;
    }
    std::printf("http server on port %u; press Enter to stop\n", server->port());
    std::fflush(stdout);
    (void)std::getchar();
    (void)server->stop();
    return 0;
}

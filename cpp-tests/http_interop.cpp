// The side of network_system that independent HTTP peers talk to (cpp-tests/http_interop.sh).
//   http_interop server [cert key]  serves on 127.0.0.1 (https with a certificate), prints
//                                   "http interop on port N", stops when stdin gets a line:
//     GET  /params   the query parameters, "name=value\n" each, sorted by name
//     POST /upload   the body as received
//     GET  /header   the value of the X-Test request header
//     GET  /big      100 000 bytes of text (compressed for clients that accept gzip/deflate)
//     GET  /version  "HTTP/1.1" or "HTTP/2.0"
//   http_interop get URL OUT       GETs URL with our client and writes the body to OUT; prints
//                                  the status code and the Content-Type
#include <kcenon/network/internal/http/http_client.h>
#include <kcenon/network/internal/http/http_server.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

using namespace kcenon::network;

static internal::http_response text(const std::string& body) {
    internal::http_response r;
    r.set_header("Content-Type", "text/plain");
    r.set_body_string(body);
    return r;
}

std::string big_text() {
    std::string out;
    for (int i = 0; out.size() < 100000; ++i) out += "line " + std::to_string(i) + " of the big body\n";
    out.resize(100000);
    return out;
}

static int serve(int argc, char** argv) {
    core::http_server server("interop");
    server.set_bind_address("127.0.0.1");
    server.set_compression_enabled(true);
    if (argc >= 4) {
        core::tls_server_settings tls;
        tls.cert_file = argv[2];
        tls.key_file = argv[3];
        server.set_tls(tls);
    }
    server.get("/params", [](const core::http_request_context& ctx) {
        std::string out;
        for (const auto& [k, v] : ctx.request.query_params) out += k + "=" + v + "\n";
        return text(out);
    });
    server.post("/upload", [](const core::http_request_context& ctx) {
        internal::http_response r;
        r.set_header("Content-Type", "application/octet-stream");
        r.body = ctx.request.body;
        return r;
    });
    server.get("/header", [](const core::http_request_context& ctx) { return text(ctx.request.get_header("X-Test").value_or("")); });
    const std::string big = big_text();
    server.get("/big", [&big](const core::http_request_context&) { return text(big); });
    server.get("/version", [](const core::http_request_context& ctx) { return text(internal::http_version_to_string(ctx.request.version)); });
    auto r = server.start(0);
    if (r.is_err()) {
        std::fprintf(stderr, "%s\n", r.error().message.c_str());
        return 1;
    }
    std::printf("http interop on port %u\n", server.port());
    std::fflush(stdout);
    (void)std::getchar();
    (void)server.stop();
    return 0;
}

static int get(const char* url, const char* out) {
    core::http_client client(std::chrono::milliseconds(10000));
    auto r = client.get(url);
    if (r.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", r.error().message.c_str(), r.error().code);
        return 1;
    }
    std::ofstream(out, std::ios::binary).write(reinterpret_cast<const char*>(r.value().body.data()),
                                                static_cast<std::streamsize>(r.value().body.size()));
    std::printf("%d %s\n", r.value().status_code, r.value().get_header("Content-Type").value_or("-").c_str());
    return 0;
}

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "server") == 0) return serve(argc, argv);
    if (argc >= 4 && std::strcmp(argv[1], "get") == 0) return get(argv[2], argv[3]);
    if (argc >= 2 && std::strcmp(argv[1], "big") == 0) {
        std::fwrite(big_text().data(), 1, 100000, stdout);
        return 0;
    }
    std::fprintf(stderr, "usage: %s server [cert key] | get URL OUT | big\n", argv[0]);
    return 2;
}

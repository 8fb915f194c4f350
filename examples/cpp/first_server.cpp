// Your first server: a TCP echo server on the given port (default 9000). Press Enter to stop.
#include <kcenon/network/core/messaging_server.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

int main(int argc, char** argv) {
    unsigned short port = argc > 1 ? static_cast<unsigned short>(std::atoi(argv[1])) : 9000;
    kcenon::network::core::server_options options;
    options.bind_address = "127.0.0.1";  // "0.0.0.0" (the default) accepts other machines
    auto server = std::make_shared<kcenon::network::core::messaging_server>("FirstServer", options);
    server->set_receive_callback([](std::shared_ptr<kcenon::network::session::messaging_session> s,
                                      const std::vector<uint8_t>& data) {
        s->send_packet(std::vector<uint8_t>(data));  // echo
    });
    server->set_connection_callback([](std::shared_ptr<kcenon::network::session::messaging_session> s) {
        std::printf("session %s from %s\n", std::string(s->id()).c_str(), s->remote_endpoint().c_str());
    });
    auto result = server->start_server(port);
    if (result.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", result.error().message.c_str(), result.error().code);
        return 1;
    }
    std::printf("echo server on port %u; press Enter to stop\n", server->port());
    std::fflush(stdout);
    (void)std::getchar();
    (void)server->stop_server();
    return 0;
}

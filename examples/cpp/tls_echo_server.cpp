// TLS echo server: secure_messaging_server with the original's constructor.
// Usage: tls_echo_server <cert.pem> <key.pem> [port] — press Enter to stop.
#include <kcenon/network/core/secure_messaging_server.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s <cert.pem> <key.pem> [port]\n", argv[0]);
        return 2;
    }
    unsigned short port = argc > 3 ? static_cast<unsigned short>(std::atoi(argv[3])) : 9443;
    auto server = std::make_shared<kcenon::network::core::secure_messaging_server>("TlsEchoServer", argv[1], argv[2]);
    kcenon::network::core::server_options local;
    local.bind_address = "127.0.0.1";  // "0.0.0.0" (the default) accepts other machines
    (void)server->set_options(local);
    server->set_receive_callback([](std::shared_ptr<kcenon::network::session::secure_session> s,
                                    const std::vector<uint8_t>& data) { s->send_packet(std::vector<uint8_t>(data)); });
    server->set_connection_callback([](std::shared_ptr<kcenon::network::session::secure_session> s) {
        std::printf("session %s from %s (%s)\n", std::string(s->id()).c_str(), s->remote_endpoint().c_str(),
                    s->tls_version().c_str());
    });
    if (auto r = server->start_server(port); r.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", r.error().message.c_str(), r.error().code);
        return 1;
    }
    std::printf("TLS echo server on port %u; press Enter to stop\n", server->port());
    std::fflush(stdout);
    (void)std::getchar();
    server->stop_server();
    return 0;
}

// DTLS echo server: secure_messaging_udp_server echoes each datagram to its sender.
// Usage: dtls_echo_server <cert.pem> <key.pem> [port] — press Enter to stop.
#include <kcenon/network/core/secure_messaging_udp_server.h>

#include <cstdio>
#include <cstdlib>

using kcenon::network::core::secure_messaging_udp_server;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s <cert.pem> <key.pem> [port]\n", argv[0]);
        return 2;
    }
    kcenon::network::core::dtls_options options;
    options.bind_address = "127.0.0.1";  // "0.0.0.0" (the default) accepts other machines
    auto server = std::make_shared<secure_messaging_udp_server>("DtlsEchoServer", options);
    (void)server->set_certificate_chain_file(argv[1]);
    (void)server->set_private_key_file(argv[2]);
    server->set_client_connected_callback([](const secure_messaging_udp_server::endpoint_info& from) {
        std::printf("session with %s:%u\n", from.address.c_str(), from.port);
        std::fflush(stdout);
    });
    // Each datagram arrives whole and decrypted; the reply is one encrypted datagram.
    server->set_receive_callback([s = server.get()](const std::vector<uint8_t>& data,
                                                    const secure_messaging_udp_server::endpoint_info& from) {
        s->async_send_to(std::vector<uint8_t>(data), from);
    });
    const unsigned short port = argc > 3 ? static_cast<unsigned short>(std::atoi(argv[3])) : 4444;
    if (auto r = server->start_server(port); r.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", r.error().message.c_str(), r.error().code);
        return 1;
    }
    std::printf("DTLS echo server on port %u; press Enter to stop\n", server->port());
    std::fflush(stdout);
    (void)std::getchar();
    (void)server->stop_server();
    return 0;
}

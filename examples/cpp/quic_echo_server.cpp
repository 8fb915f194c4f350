// QUIC echo server: messaging_quic_server echoes messages and stream data.
// Usage: quic_echo_server <cert.pem> <key.pem> [port] — press Enter to stop.
#include <kcenon/network/internal/experimental/quic_server.h>

#include <cstdio>
#include <cstdlib>

using kcenon::network::session::quic_session;

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s <cert.pem> <key.pem> [port]\n", argv[0]);
        return 2;
    }
    kcenon::network::core::quic_server_config config;
    config.cert_file = argv[1];
    config.key_file = argv[2];
    config.alpn_protocols = {"echo"};
    config.bind_address = "127.0.0.1";  // "0.0.0.0" (the default) accepts other machines
    unsigned short port = argc > 3 ? static_cast<unsigned short>(std::atoi(argv[3])) : 4433;
    auto server = std::make_shared<kcenon::network::core::messaging_quic_server>("QuicEchoServer");
    server->set_connection_callback([](std::shared_ptr<quic_session> s) {
        std::printf("session %s from %s\n", s->session_id().c_str(), s->remote_endpoint().c_str());
    });
    // Messages come whole; stream data in order per stream, echoed on the same stream.
    server->set_receive_callback([](std::shared_ptr<quic_session> s, const std::vector<uint8_t>& message) {
        (void)s->send(std::vector<uint8_t>(message));
    });
    server->set_stream_receive_callback(
        [](std::shared_ptr<quic_session> s, uint64_t stream, const std::vector<uint8_t>& data, bool fin) {
            if ((stream & 2) == 0) (void)s->send_on_stream(stream, std::vector<uint8_t>(data), fin);
        });
    if (auto r = server->start_server(port, config); r.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", r.error().message.c_str(), r.error().code);
        return 1;
    }
    std::printf("QUIC echo server on port %u; press Enter to stop\n", server->port());
    std::fflush(stdout);
    (void)std::getchar();
    (void)server->stop_server();
    return 0;
}

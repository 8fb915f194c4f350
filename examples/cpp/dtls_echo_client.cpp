// DTLS echo client: verifies the server against a CA file, sends one datagram, prints the echo.
// Usage: dtls_echo_client <ca.pem> <host> <port> [message]
#include <kcenon/network/core/secure_messaging_udp_client.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s <ca.pem> <host> <port> [message]\n", argv[0]);
        return 2;
    }
    kcenon::network::core::dtls_options options;
    options.ca_file = argv[1];       // trusted in addition to the system roots
    options.server_name = "localhost";  // the name in the test certificate
    const std::string message = argc > 4 ? argv[4] : "hello over DTLS";
    kcenon::network::core::secure_messaging_udp_client client("DtlsEchoClient", true, options);
    std::promise<std::string> echoed;
    client.set_receive_callback([&](const std::vector<uint8_t>& d) { echoed.set_value(std::string(d.begin(), d.end())); });
    // Returns after the handshake; certificate problems say why (-606).
    if (auto r = client.start_client(argv[2], static_cast<unsigned short>(std::atoi(argv[3]))); r.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", r.error().message.c_str(), r.error().code);
        return 1;
    }
    if (auto r = client.send_packet(std::vector<uint8_t>(message.begin(), message.end())); r.is_err()) {
        std::fprintf(stderr, "send failed: %s\n", r.error().message.c_str());
        return 1;
    }
    auto reply = echoed.get_future();
    if (reply.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        std::fprintf(stderr, "no echo\n");
        return 1;
    }
    std::printf("echo: %s\n", reply.get().c_str());
    (void)client.stop_client();
    return 0;
}

// TLS echo client: verifies the server against a CA file, sends a message, prints the echo.
// Usage: tls_echo_client <ca.pem> <host> <port> [message]
#include <kcenon/network/core/secure_messaging_client.h>

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
    kcenon::network::core::tls_client_options options;
    options.ca_file = argv[1];  // trusted in addition to the system roots
    const std::string message = argc > 4 ? argv[4] : "hello over TLS";
    kcenon::network::core::secure_messaging_client client("TlsEchoClient", options);
    std::promise<void> echoed;
    std::string received;
    bool done = false;
    client.set_receive_callback([&](const std::vector<uint8_t>& data) {
        received.append(data.begin(), data.end());
        if (!done && received.size() >= message.size()) {
            done = true;
            echoed.set_value();
        }
    });
    // Returns after the handshake, like the original; certificate problems say why.
    if (auto r = client.start_client(argv[2], static_cast<unsigned short>(std::atoi(argv[3]))); r.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", r.error().message.c_str(), r.error().code);
        return 1;
    }
    if (auto r = client.send_packet(std::vector<uint8_t>(message.begin(), message.end())); r.is_err()) {
        std::fprintf(stderr, "send: %s\n", r.error().message.c_str());
        return 1;
    }
    if (echoed.get_future().wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        std::fprintf(stderr, "no echo\n");
        return 1;
    }
    std::printf("echo: %s\n", received.c_str());
    client.stop_client();
    return 0;
}

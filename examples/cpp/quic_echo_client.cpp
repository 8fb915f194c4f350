// QUIC echo client: verifies the server against a CA file, sends the message once as a
// message and once on a stream of its own, prints the echo.
// Usage: quic_echo_client <ca.pem> <host> <port> [message]
#include <kcenon/network/internal/experimental/quic_client.h>

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
    kcenon::network::core::quic_client_config config;
    config.ca_cert_file = argv[1];  // trusted in addition to the system roots
    config.alpn_protocols = {"echo"};
    const std::string message = argc > 4 ? argv[4] : "hello over QUIC";
    kcenon::network::core::messaging_quic_client client("QuicEchoClient");
    std::promise<std::string> echoed, streamed;
    client.set_receive_callback([&](const std::vector<uint8_t>& m) { echoed.set_value(std::string(m.begin(), m.end())); });
    std::string stream_data;
    client.set_stream_callback([&](uint64_t, const std::vector<uint8_t>& data, bool fin) {
        stream_data.append(data.begin(), data.end());
        if (fin) streamed.set_value(stream_data);
    });
    // Returns after the handshake; certificate problems say why.
    if (auto r = client.start_client(argv[2], static_cast<unsigned short>(std::atoi(argv[3])), config); r.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", r.error().message.c_str(), r.error().code);
        return 1;
    }
    auto stream = client.create_stream();
    if (client.send_packet(std::string_view(message)).is_err() || stream.is_err() ||
        client.send_on_stream(stream.value(), std::vector<uint8_t>(message.begin(), message.end()), true).is_err()) {
        std::fprintf(stderr, "send failed\n");
        return 1;
    }
    auto reply = echoed.get_future();
    auto on_stream = streamed.get_future();
    if (reply.wait_for(std::chrono::seconds(5)) != std::future_status::ready ||
        on_stream.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        std::fprintf(stderr, "no echo\n");
        return 1;
    }
    const std::string text = reply.get();
    if (on_stream.get() != text) {
        std::fprintf(stderr, "stream echo differs\n");
        return 1;
    }
    std::printf("echo: %s\n", text.c_str());
    (void)client.stop_client();
    return 0;
}

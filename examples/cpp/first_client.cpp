// Your first client: connects to host:port (default 127.0.0.1:9000), sends a line, prints the
// echo and exits.
#include <kcenon/network/core/messaging_client.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string>

int main(int argc, char** argv) {
    const char* host = argc > 1 ? argv[1] : "127.0.0.1";
    unsigned short port = argc > 2 ? static_cast<unsigned short>(std::atoi(argv[2])) : 9000;
    std::string message = argc > 3 ? argv[3] : "hello from first_client";

    auto client = std::make_shared<kcenon::network::core::messaging_client>("FirstClient");
    std::promise<void> connected, echoed;
    std::string received;
    bool done = false;
    client->set_connected_callback([&] { connected.set_value(); });
    client->set_receive_callback([&](const std::vector<uint8_t>& data) {
        received.append(data.begin(), data.end());
        if (!done && received.size() >= message.size()) {
            done = true;
            echoed.set_value();
        }
    });
    client->set_error_callback([](std::error_code ec) {
        std::fprintf(stderr, "error: %s (%d)\n", ec.message().c_str(), ec.value());
    });

    if (auto r = client->start_client(host, port); !r) {
        std::fprintf(stderr, "%s (%d)\n", r.error().message.c_str(), r.error().code);
        return 1;
    }
    if (connected.get_future().wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        std::fprintf(stderr, "could not connect to %s:%u\n", host, port);
        return 1;
    }
    if (auto r = client->send_packet(std::vector<uint8_t>(message.begin(), message.end())); r.is_err()) {
        std::fprintf(stderr, "send failed: %s\n", r.error().message.c_str());
        return 1;
    }
    if (echoed.get_future().wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        std::fprintf(stderr, "no echo\n");
        return 1;
    }
    std::printf("echo: %s\n", received.c_str());
    (void)client->stop_client();
    return 0;
}

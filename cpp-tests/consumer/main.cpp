// Consumer of the installed package: the README's snippet, echo on 127.0.0.1 port 0.
#include <kcenon/network/core/messaging_client.h>
#include <kcenon/network/core/messaging_server.h>

#include <chrono>
#include <cstdio>
#include <future>

int main() {
    kcenon::network::core::server_options options;
    options.bind_address = "127.0.0.1";
    auto server = std::make_shared<kcenon::network::core::messaging_server>("ConsumerServer", options);
    server->set_receive_callback([](std::shared_ptr<kcenon::network::session::messaging_session> s,
                                    const std::vector<uint8_t>& data) { s->send_packet(std::vector<uint8_t>(data)); });
    if (auto r = server->start_server(0); r.is_err()) {
        std::fprintf(stderr, "start_server: %s\n", r.error().message.c_str());
        return 1;
    }
    auto client = std::make_shared<kcenon::network::core::messaging_client>("ConsumerClient");
    std::promise<void> connected, echoed;
    std::vector<uint8_t> got;
    bool done = false;
    client->set_connected_callback([&] { connected.set_value(); });
    client->set_receive_callback([&](const std::vector<uint8_t>& d) {
        got.insert(got.end(), d.begin(), d.end());
        if (!done && got.size() >= 2) {
            done = true;
            echoed.set_value();
        }
    });
    if (!client->start_client("127.0.0.1", server->port())) return 1;
    if (connected.get_future().wait_for(std::chrono::seconds(20)) != std::future_status::ready) return 1;
    if (client->send_packet(std::vector<uint8_t>{'h', 'i'}).is_err()) return 1;
    if (echoed.get_future().wait_for(std::chrono::seconds(20)) != std::future_status::ready) return 1;
    client->stop_client();
    server->stop_server();
    const bool ok = got == std::vector<uint8_t>{'h', 'i'};
    std::printf("consumer: echo %s\n", ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}

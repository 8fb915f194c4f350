// The echo server the Autobahn cases (kosoku) drive, built on the C++ API: every message back as
// it came. Prints "port N" and serves on 127.0.0.1 until stdin closes.
#include <kcenon/network/core/messaging_ws_server.h>

#include <cstdio>
#include <memory>

int main() {
    using namespace kcenon::network;
    core::messaging_ws_server server("autobahn");
    server.set_message_callback([](std::shared_ptr<core::ws_connection> c, const internal::ws_message& m) {
        if (m.type == internal::ws_message_type::text) {
            (void)c->send_text(m.as_text());
        } else {
            (void)c->send_binary(std::vector<uint8_t>(m.data));
        }
    });
    core::ws_server_config config;
    config.port = 0;
    config.bind_address = "127.0.0.1";
    config.max_message_size = 64u << 20;  // case 9 sends up to 16 MiB
    config.send_queue_limit = 64u << 20;
    config.ping_interval = std::chrono::milliseconds(0);
    auto r = server.start_server(config);
    if (r.is_err()) {
        std::fprintf(stderr, "%s\n", r.error().message.c_str());
        return 1;
    }
    std::printf("port %u\n", server.port());
    std::fflush(stdout);
    while (std::getchar() != EOF) {
    }
    return 0;
}

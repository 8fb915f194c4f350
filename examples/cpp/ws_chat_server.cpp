// A WebSocket chat server: every message a client sends (text or binary) goes to every
// connected client, the sender included. Usage: ws_chat_server [port] (default 8080, 0 = any).
// Press Enter to stop.
#include <kcenon/network/core/messaging_ws_server.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

int main(int argc, char** argv) {
    using namespace kcenon::network::core;
    auto server = std::make_shared<messaging_ws_server>("chat");
    messaging_ws_server* raw = server.get();  // callbacks must not own the server
    server->set_connection_callback([](std::shared_ptr<kcenon::network::interfaces::i_websocket_session> c) {
        std::printf("%s joined\n", std::string(c->id()).c_str());
        std::fflush(stdout);
    });
    server->set_text_callback([raw](std::string_view, const std::string& text) { raw->broadcast_text(text); });
    server->set_binary_callback([raw](std::string_view, const std::vector<uint8_t>& data) { raw->broadcast_binary(data); });
    server->set_disconnection_callback([](std::string_view id, uint16_t code, std::string_view reason) {
        std::printf("%s left (%u %s)\n", std::string(id).c_str(), code, std::string(reason).c_str());
        std::fflush(stdout);
    });
    ws_server_config config;
    config.port = argc > 1 ? static_cast<uint16_t>(std::atoi(argv[1])) : 8080;
    config.bind_address = "127.0.0.1";  // "0.0.0.0" accepts other machines
    config.path = "/";
    auto result = server->start_server(config);
    if (result.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", result.error().message.c_str(), result.error().code);
        return 1;
    }
    std::printf("ws chat server on port %u; press Enter to stop\n", server->port());
    std::fflush(stdout);
    (void)std::getchar();
    (void)server->stop_server();
    return 0;
}

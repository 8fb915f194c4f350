// A WebSocket chat client: connects to ws://host:port/, sends one text message, prints the first
// message that comes back ("echo: ..."), closes with 1000. Usage: ws_chat_client host port message
#include <kcenon/network/core/messaging_ws_client.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s host port message\n", argv[0]);
        return 2;
    }
    using namespace kcenon::network::core;
    messaging_ws_client client("chat-client");
    std::mutex m;
    std::condition_variable cv;
    std::string reply;
    bool got = false;
    client.set_text_callback([&](const std::string& text) {
        std::lock_guard<std::mutex> lock(m);
        if (!got) reply = text;
        got = true;
        cv.notify_all();
    });
    ws_client_config config;
    config.host = argv[1];
    config.port = static_cast<uint16_t>(std::atoi(argv[2]));
    config.path = "/";
    auto started = client.start_client(config);  // returns after the opening handshake
    if (started.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", started.error().message.c_str(), started.error().code);
        return 1;
    }
    if (client.send_text(argv[3]).is_err()) return 1;
    std::unique_lock<std::mutex> lock(m);
    if (!cv.wait_for(lock, std::chrono::seconds(10), [&] { return got; })) {
        std::fprintf(stderr, "no reply\n");
        return 1;
    }
    std::printf("echo: %s\n", reply.c_str());
    lock.unlock();
    (void)client.close(1000, "bye");
    client.wait_for_stop();  // the close handshake is done
    return 0;
}

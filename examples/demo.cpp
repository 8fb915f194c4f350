// network_system demo: a server and clients in one process on 127.0.0.1, in raw and framed
// mode, printing what was exchanged and the statistics. Run: bash scripts/demo.sh
#include <kcenon/network/network_system.h>

#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

using namespace kcenon::network;
using namespace std::chrono_literals;

namespace {

struct inbox {
    std::mutex m;
    std::condition_variable cv;
    std::vector<std::string> items;
    std::size_t bytes = 0;

    void push(std::string s) {
        std::lock_guard<std::mutex> lock(m);
        bytes += s.size();
        items.push_back(std::move(s));
        cv.notify_all();
    }
    bool wait_bytes(std::size_t n) {
        std::unique_lock<std::mutex> lock(m);
        return cv.wait_for(lock, 10s, [&] { return bytes >= n; });
    }
    bool wait_items(std::size_t n) {
        std::unique_lock<std::mutex> lock(m);
        return cv.wait_for(lock, 10s, [&] { return items.size() >= n; });
    }
};

void print_stats(const char* who, const network_stats& s) {
    std::printf("  %-7s connections=%llu active=%llu msgs in/out=%llu/%llu bytes in/out=%llu/%llu errors=%llu\n", who,
                static_cast<unsigned long long>(s.connections_total), static_cast<unsigned long long>(s.active_connections),
                static_cast<unsigned long long>(s.messages_in), static_cast<unsigned long long>(s.messages_out),
                static_cast<unsigned long long>(s.bytes_in), static_cast<unsigned long long>(s.bytes_out),
                static_cast<unsigned long long>(s.errors));
}

int run(framing mode, const char* title) {
    std::printf("== %s ==\n", title);
    core::server_options so;
    so.bind_address = "127.0.0.1";
    so.framing = mode;
    auto server = std::make_shared<core::messaging_server>("DemoServer", so);
    server->set_connection_callback([](std::shared_ptr<session::messaging_session> s) {
        std::printf("  server: session %s connected from %s\n", std::string(s->id()).c_str(), s->remote_endpoint().c_str());
    });
    server->set_receive_callback([](std::shared_ptr<session::messaging_session> s, const std::vector<uint8_t>& data) {
        std::vector<uint8_t> reply(data);  // the reply is the request in upper case
        for (auto& c : reply) c = static_cast<uint8_t>(std::toupper(c));
        s->send_packet(std::move(reply));
    });
    server->set_disconnection_callback([](const std::string& id) { std::printf("  server: session %s disconnected\n", id.c_str()); });
    if (auto r = server->start_server(0); r.is_err()) {
        std::fprintf(stderr, "start_server failed: %s (%d)\n", r.error().message.c_str(), r.error().code);
        return 1;
    }
    std::printf("  server listening on 127.0.0.1:%u\n", server->port());

    core::client_options co;
    co.framing = mode;
    const int clients = 2;
    std::vector<std::shared_ptr<core::messaging_client>> all;
    std::vector<std::unique_ptr<inbox>> inboxes;
    for (int i = 0; i < clients; ++i) {
        auto box = std::make_unique<inbox>();
        auto client = std::make_shared<core::messaging_client>("DemoClient" + std::to_string(i), co);
        auto* b = box.get();
        std::mutex* m = &b->m;
        auto connected = std::make_shared<bool>(false);
        client->set_connected_callback([b, m, connected] {
            std::lock_guard<std::mutex> lock(*m);
            *connected = true;
            b->cv.notify_all();
        });
        client->set_receive_callback([b](const std::vector<uint8_t>& d) { b->push(std::string(d.begin(), d.end())); });
        if (auto r = client->start_client("127.0.0.1", server->port()); !r) {
            std::fprintf(stderr, "start_client failed: %s\n", r.error().message.c_str());
            return 1;
        }
        {
            std::unique_lock<std::mutex> lock(*m);
            if (!b->cv.wait_for(lock, 10s, [&] { return *connected; })) {
                std::fprintf(stderr, "client did not connect\n");
                return 1;
            }
        }
        all.push_back(client);
        inboxes.push_back(std::move(box));
    }

    std::size_t expected = 0;
    for (int i = 0; i < clients; ++i) {
        for (int n = 1; n <= 3; ++n) {
            std::string msg = "client" + std::to_string(i) + "-msg" + std::to_string(n);
            expected += msg.size();
            std::printf("  client%d -> %s\n", i, msg.c_str());
            if (auto r = all[i]->send_packet(std::vector<uint8_t>(msg.begin(), msg.end())); r.is_err()) {
                std::fprintf(stderr, "send failed: %s\n", r.error().message.c_str());
                return 1;
            }
        }
    }
    for (int i = 0; i < clients; ++i) {
        std::size_t want = expected / clients;
        bool ok = mode == framing::length_prefixed ? inboxes[i]->wait_items(3) : inboxes[i]->wait_bytes(want);
        if (!ok) {
            std::fprintf(stderr, "client%d did not get its echoes\n", i);
            return 1;
        }
        std::lock_guard<std::mutex> lock(inboxes[i]->m);
        for (const auto& item : inboxes[i]->items) std::printf("  client%d <- %s  [one callback]\n", i, item.c_str());
    }
    if (mode == framing::raw)
        std::printf("  (raw mode is a byte stream: several sends may arrive in one callback)\n");
    else
        std::printf("  (framed mode: each send arrives as exactly one message)\n");

    for (auto& c : all) (void)c->stop_client();
    print_stats("client0", all[0]->stats());
    (void)server->stop_server();
    print_stats("server", server->stats());
    return 0;
}

}  // namespace

int main() {
    std::printf("network_system %s demo\n", ns_version());
    if (run(framing::raw, "raw byte stream (wire-identical to the original C++ library)") != 0) return 1;
    if (run(framing::length_prefixed, "length-prefixed messages") != 0) return 1;
    std::printf("demo finished\n");
    return 0;
}

// UDP echo: `udp_echo server [port]` echoes datagrams until Enter; `udp_echo client <host> <port>
// <message>` sends one datagram and prints the reply.
#include <kcenon/network/core/messaging_udp_client.h>
#include <kcenon/network/core/messaging_udp_server.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>
#include <string>

using kcenon::network::core::messaging_udp_client;
using kcenon::network::core::messaging_udp_server;
using endpoint_info = kcenon::network::interfaces::i_udp_client::endpoint_info;

static int run_server(unsigned short port) {
    kcenon::network::core::udp_options local;
    local.bind_address = "127.0.0.1";  // "0.0.0.0" (the default) accepts other machines
    auto server = std::make_shared<messaging_udp_server>("UdpEcho", local);
    std::weak_ptr<messaging_udp_server> weak = server;
    server->set_receive_callback([weak](const std::vector<uint8_t>& data, const endpoint_info& from) {
        if (auto s = weak.lock()) (void)s->send_to(from, std::vector<uint8_t>(data));
    });
    if (auto r = server->start_server(port); r.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", r.error().message.c_str(), r.error().code);
        return 1;
    }
    std::printf("UDP echo server on port %u; press Enter to stop\n", server->port());
    std::fflush(stdout);
    (void)std::getchar();
    server->stop_server();
    return 0;
}

static int run_client(const char* host, unsigned short port, const std::string& message) {
    messaging_udp_client client("UdpEchoClient");
    std::promise<std::string> reply;
    bool done = false;
    client.set_receive_callback([&](const std::vector<uint8_t>& data, const endpoint_info&) {
        if (!done) {
            done = true;
            reply.set_value(std::string(data.begin(), data.end()));
        }
    });
    if (auto r = client.start_client(host, port); r.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", r.error().message.c_str(), r.error().code);
        return 1;
    }
    if (auto r = client.send(std::vector<uint8_t>(message.begin(), message.end())); r.is_err()) {
        std::fprintf(stderr, "send: %s\n", r.error().message.c_str());
        return 1;
    }
    auto future = reply.get_future();
    if (future.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
        std::fprintf(stderr, "no reply (UDP may drop datagrams)\n");
        return 1;
    }
    std::printf("echo: %s\n", future.get().c_str());
    return 0;
}

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "server") == 0)
        return run_server(static_cast<unsigned short>(argc > 2 ? std::atoi(argv[2]) : 9000));
    if (argc >= 5 && std::strcmp(argv[1], "client") == 0)
        return run_client(argv[2], static_cast<unsigned short>(std::atoi(argv[3])), argv[4]);
    std::fprintf(stderr, "usage: %s server [port] | %s client <host> <port> <message>\n", argv[0], argv[0]);
    return 2;
}

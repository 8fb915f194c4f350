// An independent peer: plain POSIX sockets exchanging bytes with our server and our client,
// checking what is actually on the wire.
#include <kcenon/network/core/messaging_client.h>
#include <kcenon/network/core/messaging_server.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "posix_util.h"
#include "test_util.h"

using namespace kcenon::network;
using session_ptr = std::shared_ptr<session::messaging_session>;

using namespace test::posix;

TEST(PosixPeer, RawSocketClientTalksToOurServer) {
    auto server = std::make_shared<core::messaging_server>("srv", test::loopback());
    server->set_receive_callback([](session_ptr s, const std::vector<uint8_t>& d) {
        std::vector<uint8_t> reply(d);
        for (auto& b : reply) b = static_cast<uint8_t>(b ^ 0xff);
        s->send_packet(std::move(reply));
    });
    ASSERT_TRUE(server->start_server(0).is_ok());

    fd_guard fd(::socket(AF_INET, SOCK_STREAM, 0));
    auto addr = loopback_addr(server->port());
    ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::mt19937 rng(3);
    auto payload = test::random_bytes(300000, rng);
    ASSERT_TRUE(write_all(fd.get(), payload));
    auto got = read_exactly(fd.get(), payload.size());
    ASSERT_EQ(got.size(), payload.size());
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], static_cast<uint8_t>(payload[i] ^ 0xff)) << i;
    EXPECT_EQ(server->stats().bytes_in, payload.size());
}

TEST(PosixPeer, OurClientTalksToRawSocketServer) {
    fd_guard listener(::socket(AF_INET, SOCK_STREAM, 0));
    auto addr = loopback_addr(0);
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener.get(), 4), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
    const unsigned short port = ntohs(addr.sin_port);

    for (auto mode : {framing::raw, framing::length_prefixed}) {
        core::client_options co;
        co.framing = mode;
        core::messaging_client client("c", co);
        test::watched<test::bytes> received;
        client.set_receive_callback([&](const std::vector<uint8_t>& d) {
            received.update([&](test::bytes& b) { b.insert(b.end(), d.begin(), d.end()); });
        });
        test::watched<bool> up;
        client.set_connected_callback([&] { up.update([](bool& b) { b = true; }); });
        ASSERT_TRUE(client.start_client("127.0.0.1", port).is_ok());
        ASSERT_TRUE(wait_readable(listener.get()));
        fd_guard peer(::accept(listener.get(), nullptr, nullptr));
        ASSERT_GE(peer.get(), 0);
        ASSERT_TRUE(up.wait([](bool b) { return b; }));

        ASSERT_TRUE(client.send_packet(test::bytes{'h', 'e', 'l', 'l', 'o'}).is_ok());
        const test::bytes expected = mode == framing::raw ? test::bytes{'h', 'e', 'l', 'l', 'o'}
                                                          : test::bytes{0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};
        EXPECT_EQ(read_exactly(peer.get(), expected.size()), expected) << "bytes on the wire";

        const test::bytes from_peer = mode == framing::raw ? test::bytes{'w', 'o', 'r', 'l', 'd'}
                                                           : test::bytes{0, 0, 0, 3, 'a', 'b', 'c'};
        ASSERT_TRUE(write_all(peer.get(), from_peer));
        const test::bytes want = mode == framing::raw ? from_peer : test::bytes{'a', 'b', 'c'};
        ASSERT_TRUE(received.wait([&](const test::bytes& b) { return b.size() >= want.size(); }));
        EXPECT_EQ(received.get(), want);
        client.stop_client();
        EXPECT_EQ(read_exactly(peer.get(), 1).size(), 0u) << "our client closed the connection";
    }
}

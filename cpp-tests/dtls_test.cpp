// DTLS through the original's C++ API (secure_messaging_udp_server / secure_messaging_udp_client)
// on loopback: echo byte for byte to several clients, verification, idle expiry, bad input.
#include <kcenon/network/core/secure_messaging_udp_client.h>
#include <kcenon/network/core/secure_messaging_udp_server.h>

#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

using namespace kcenon::network;
using server_t = core::secure_messaging_udp_server;
using client_t = core::secure_messaging_udp_client;
using endpoint = server_t::endpoint_info;

namespace {

std::string cert(const std::string& name) {
    const char* d = std::getenv("NS_TEST_CERTS");
    return std::string(d ? d : "") + "/" + name;
}

core::dtls_options loopback(std::chrono::milliseconds idle = {}) {
    core::dtls_options o;
    o.bind_address = "127.0.0.1";
    o.idle_timeout = idle;
    o.ca_file = cert("ca.pem");
    return o;
}

/// An echo server with the certificate `name`, recording what it saw.
struct echo_server {
    std::shared_ptr<server_t> server;
    test::watched<std::vector<int>> errors;
    test::counter connected, disconnected;

    explicit echo_server(const std::string& name = "server", std::chrono::milliseconds idle = {})
        : server(std::make_shared<server_t>("dtls", loopback(idle))) {
        EXPECT_TRUE(server->set_certificate_chain_file(cert(name + ".pem")).is_ok());
        EXPECT_TRUE(server->set_private_key_file(cert(name + ".key")).is_ok());
        server->set_receive_callback([s = server.get()](const std::vector<uint8_t>& d, const endpoint& from) {
            s->async_send_to(std::vector<uint8_t>(d), from);
        });
        server->set_client_connected_callback([this](const endpoint&) { connected.update([](auto& n) { ++n; }); });
        server->set_client_disconnected_callback([this](const endpoint&) { disconnected.update([](auto& n) { ++n; }); });
        server->set_error_callback([this](std::error_code ec) { errors.update([&](auto& v) { v.push_back(ec.value()); }); });
        auto r = server->start_server(0);
        EXPECT_TRUE(r.is_ok()) << r.error().message;
    }
    /// Stops the server before the members its callbacks write to are destroyed.
    ~echo_server() { (void)server->stop_server(); }
};

/// A client recording the datagrams it receives.
struct recording_client {
    std::shared_ptr<client_t> client;
    test::watched<std::vector<test::bytes>> got;
    test::watched<std::vector<int>> errors;

    explicit recording_client(bool verify = true, std::chrono::milliseconds idle = {})
        : client(std::make_shared<client_t>("c", verify, loopback(idle))) {
        client->set_receive_callback([this](const std::vector<uint8_t>& d) { got.update([&](auto& v) { v.push_back(d); }); });
        client->set_error_callback([this](std::error_code ec) { errors.update([&](auto& v) { v.push_back(ec.value()); }); });
    }
    ~recording_client() { (void)client->stop_client(); }
    VoidResult start(uint16_t port) { return client->start_client("localhost", port); }
};

int has(const std::vector<int>& v, int code) {
    for (int e : v)
        if (e == code) return 1;
    return 0;
}

TEST(Dtls, ThousandRandomDatagramsEchoedToFiveClientsEachGetsItsOwn) {
    echo_server s;
    std::vector<std::thread> threads;
    std::vector<int> ok(5, 0);
    for (int n = 0; n < 5; ++n) {
        threads.emplace_back([&, n] {
            recording_client c;
            auto r = c.start(s.server->port());
            ASSERT_TRUE(r.is_ok()) << r.error().message;
            std::mt19937 rng(static_cast<unsigned>(n + 1));
            std::vector<test::bytes> sent;
            for (std::size_t i = 0; i < 200; ++i) {
                // 1 … 1300 bytes: within one record at the default 1 400-byte MTU.
                auto data = test::random_bytes(1 + rng() % 1300, rng);
                sent.push_back(data);
                ASSERT_TRUE(c.client->send_packet(std::move(data)).is_ok());
                ASSERT_TRUE(c.got.wait([&](const auto& v) { return v.size() == i + 1; }));
            }
            EXPECT_EQ(c.got.get(), sent) << "client " << n;  // its own, in order, byte for byte
            ok[static_cast<std::size_t>(n)] = 1;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok, std::vector<int>(5, 1));
    EXPECT_EQ(s.server->stats().messages_in, 1000u);
    EXPECT_EQ(s.server->stats().messages_out, 1000u);
    EXPECT_TRUE(s.connected.wait([](std::size_t n) { return n == 5; }));
}

TEST(Dtls, UntrustedWrongNameOrExpiredCertificateIs606AndNothingIsDelivered) {
    for (const char* name : {"untrusted", "wrong_name", "expired"}) {
        echo_server s(name);
        recording_client c;
        auto r = c.start(s.server->port());
        EXPECT_EQ(r.error().code, error_codes::network_system::certificate_error) << name << ": " << r.error().message;
        EXPECT_FALSE(c.client->is_connected());
        EXPECT_EQ(c.client->send_packet(std::vector<uint8_t>{1}).error().code, error_codes::network_system::connection_closed);
        EXPECT_EQ(s.server->stats().messages_in, 0u);
        EXPECT_EQ(s.connected.get(), 0u) << name;
    }
    // verify_cert = false (the original's constructor flag) accepts it.
    echo_server s("untrusted");
    recording_client c(false);
    ASSERT_TRUE(c.start(s.server->port()).is_ok());
    ASSERT_TRUE(c.client->send_packet(std::vector<uint8_t>{'o', 'k'}).is_ok());
    ASSERT_TRUE(c.got.wait([](const auto& v) { return v.size() == 1 && v[0] == test::bytes{'o', 'k'}; }));
}

TEST(Dtls, MissingCertificateIs606NamingTheFile) {
    server_t s("m", loopback());
    (void)s.set_certificate_chain_file("/nonexistent/dtls-cert.pem");
    (void)s.set_private_key_file("/nonexistent/dtls-key.pem");
    auto r = s.start_server(0);
    EXPECT_EQ(r.error().code, error_codes::network_system::certificate_error);
    EXPECT_NE(r.error().message.find("/nonexistent/dtls-cert.pem"), std::string::npos) << r.error().message;
    EXPECT_FALSE(s.is_running());
}

TEST(Dtls, OversizedSendIs642AndTheSessionKeepsWorking) {
    echo_server s;
    recording_client c;
    ASSERT_TRUE(c.start(s.server->port()).is_ok());
    EXPECT_EQ(c.client->send_packet(test::bytes(1400, 7)).error().code, error_codes::network_system::message_too_large);
    ASSERT_TRUE(c.client->send_packet(test::bytes(1300, 8)).is_ok());
    ASSERT_TRUE(c.got.wait([](const auto& v) { return v.size() == 1 && v[0] == test::bytes(1300, 8); }));
}

TEST(Dtls, PlaintextDatagramsAreDroppedAndCountedOthersServed) {
    echo_server s;
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(s.server->port());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const char junk[] = "plain text, not DTLS";
    for (int i = 0; i < 3; ++i)
        ASSERT_EQ(::sendto(fd, junk, sizeof junk, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), static_cast<ssize_t>(sizeof junk));
    ::close(fd);
    // A real client afterwards: served; by then the junk sent before it was read and dropped.
    recording_client c;
    ASSERT_TRUE(c.start(s.server->port()).is_ok());
    ASSERT_TRUE(c.client->send_packet(std::vector<uint8_t>{'h', 'i'}).is_ok());
    ASSERT_TRUE(c.got.wait([](const auto& v) { return v.size() == 1; }));
    EXPECT_EQ(s.server->stats().dropped, 3u);
    EXPECT_EQ(s.server->session_count(), 1u);
}

TEST(Dtls, SilentPeerExpiresWith621OthersUnaffected) {
    echo_server s("server", std::chrono::milliseconds(300));
    recording_client busy, silent;
    ASSERT_TRUE(busy.start(s.server->port()).is_ok());
    ASSERT_TRUE(silent.start(s.server->port()).is_ok());
    // The busy client talks at its echo's pace (well inside 300 ms) until the other expired.
    auto expired = [&](std::chrono::milliseconds wait) {
        return s.errors.wait([](const std::vector<int>& v) { return has(v, error_codes::network_system::session_expired) == 1; }, wait);
    };
    for (std::size_t i = 1; i <= 200 && !expired(std::chrono::milliseconds(50)); ++i) {
        ASSERT_TRUE(busy.client->send_packet(std::vector<uint8_t>{'t'}).is_ok());
        ASSERT_TRUE(busy.got.wait([&](const auto& v) { return v.size() == i; }));
    }
    EXPECT_TRUE(expired(std::chrono::milliseconds(0)));
    EXPECT_TRUE(s.disconnected.wait([](std::size_t n) { return n == 1; }));
    EXPECT_EQ(s.server->session_count(), 1u);
    const auto before = busy.got.get().size();
    ASSERT_TRUE(busy.client->send_packet(std::vector<uint8_t>{'a'}).is_ok());
    ASSERT_TRUE(busy.got.wait([&](const auto& v) { return v.size() == before + 1; }));
}

/// A UDP socket on 127.0.0.1 with a receive timeout, for the tests' raw datagrams.
struct raw_udp {
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    raw_udp() {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        timeval tv{5, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~raw_udp() { ::close(fd); }
    uint16_t port() const {
        sockaddr_in a{};
        socklen_t len = sizeof a;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        return ntohs(a.sin_port);
    }
    static sockaddr_in to(uint16_t port) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return a;
    }
    void send_to(const test::bytes& d, uint16_t port) const {
        auto a = to(port);
        ::sendto(fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    /// One datagram and the port it came from (empty on timeout).
    std::pair<test::bytes, uint16_t> recv() const {
        test::bytes buf(65536);
        sockaddr_in from{};
        socklen_t len = sizeof from;
        const ssize_t n = ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
        buf.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        return {buf, ntohs(from.sin_port)};
    }
};

TEST(Dtls, ClientHelloWithoutTheCookieLeavesNoStateOnTheServer) {
    echo_server s;
    // A genuine ClientHello, captured from our client aimed at a socket that never answers.
    raw_udp trap;
    auto probe = std::make_shared<client_t>("probe", true, loopback());
    std::thread starter([&] { (void)probe->start_client("127.0.0.1", trap.port()); });
    auto [hello, probe_port] = trap.recv();
    (void)probe_port;
    ASSERT_FALSE(hello.empty());
    ASSERT_EQ(hello[0], 22);  // a handshake record
    (void)probe->stop_client();
    starter.join();
    // Sent from a source that never returns the cookie: a HelloVerifyRequest, and nothing kept.
    raw_udp spoofed;
    for (int i = 0; i < 20; ++i) spoofed.send_to(hello, s.server->port());
    auto [reply, from] = spoofed.recv();
    ASSERT_GT(reply.size(), 13u);
    EXPECT_EQ(from, s.server->port());
    EXPECT_EQ(reply[0], 22);
    EXPECT_EQ(reply[13], 3);  // HelloVerifyRequest
    EXPECT_EQ(s.server->session_count(), 0u);
    EXPECT_EQ(s.connected.get(), 0u);
    // Real clients are served meanwhile.
    recording_client c;
    ASSERT_TRUE(c.start(s.server->port()).is_ok());
    ASSERT_TRUE(c.client->send_packet(std::vector<uint8_t>{'o', 'k'}).is_ok());
    ASSERT_TRUE(c.got.wait([](const auto& v) { return v.size() == 1; }));
    EXPECT_EQ(s.server->session_count(), 1u);
}

TEST(Dtls, ReplayedRecordsAreDroppedOthersDelivered) {
    echo_server s;
    // A proxy between the client and the server that sends every client datagram twice and
    // keeps the application-data records (content type 23) to replay later.
    raw_udp proxy;
    std::atomic<bool> done{false};
    std::atomic<uint16_t> client_port{0};
    test::watched<std::vector<test::bytes>> recorded;
    std::thread forward([&] {
        while (!done) {
            auto [d, from] = proxy.recv();
            if (d.empty()) continue;
            if (from == s.server->port()) {
                if (client_port) proxy.send_to(d, client_port);
            } else {
                client_port = from;
                proxy.send_to(d, s.server->port());
                proxy.send_to(d, s.server->port());
                if (d[0] == 23) recorded.update([&](auto& v) { v.push_back(d); });
            }
        }
    });
    {
        recording_client c;
        ASSERT_TRUE(c.start(proxy.port()).is_ok());
        for (uint8_t i = 0; i < 20; ++i) {
            ASSERT_TRUE(c.client->send_packet(test::bytes(10, i)).is_ok());
            ASSERT_TRUE(c.got.wait([&](const auto& v) { return v.size() == static_cast<std::size_t>(i) + 1; }));
        }
        // The recorded records once more, then one last datagram behind them.
        ASSERT_TRUE(recorded.wait([](const auto& v) { return v.size() == 20; }));
        for (const auto& d : recorded.get()) proxy.send_to(d, s.server->port());
        ASSERT_TRUE(c.client->send_packet(test::bytes{'e', 'n', 'd'}).is_ok());
        ASSERT_TRUE(c.got.wait([](const auto& v) { return v.size() == 21; }));
        EXPECT_EQ(c.got.get().back(), (test::bytes{'e', 'n', 'd'}));
        EXPECT_EQ(s.server->stats().messages_in, 21u);  // 40 duplicates and 20 replays dropped
    }
    done = true;
    proxy.send_to(test::bytes{0}, proxy.port());  // wakes the forwarder
    forward.join();
}

TEST(Dtls, ClientStopSendsCloseNotifyTheServerSeesTheDisconnect) {
    echo_server s;
    recording_client c;
    ASSERT_TRUE(c.start(s.server->port()).is_ok());
    ASSERT_TRUE(s.connected.wait([](std::size_t n) { return n == 1; }));
    ASSERT_TRUE(c.client->stop_client().is_ok());
    EXPECT_TRUE(s.disconnected.wait([](std::size_t n) { return n == 1; }));
    EXPECT_EQ(s.server->session_count(), 0u);
}

}  // namespace

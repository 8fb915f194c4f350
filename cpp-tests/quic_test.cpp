// QUIC through the original's C++ API (messaging_quic_server / messaging_quic_client) on
// loopback: messages, streams, datagrams, 0-RTT, ALPN, session management and bad input.
// Defining NETWORK_USE_EXPERIMENTAL (the original's opt-in) must change nothing.
#define NETWORK_USE_EXPERIMENTAL 1
#include <kcenon/network/internal/experimental/quic_client.h>
#include <kcenon/network/internal/experimental/quic_server.h>

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

using namespace kcenon::network;
using session_ptr = std::shared_ptr<session::quic_session>;

namespace {

std::string cert(const std::string& name) {
    const char* d = std::getenv("NS_TEST_CERTS");
    return std::string(d ? d : "") + "/" + name;
}

core::quic_server_config server_config(const std::string& name = "server") {
    core::quic_server_config c;
    c.cert_file = cert(name + ".pem");
    c.key_file = cert(name + ".key");
    c.bind_address = "127.0.0.1";
    return c;
}

core::quic_client_config client_config() {
    core::quic_client_config c;
    c.ca_cert_file = cert("ca.pem");
    return c;
}

/// A server that echoes messages (send) and stream data (on the same stream, fin included),
/// and records what it saw.
struct echo_server {
    std::shared_ptr<core::messaging_quic_server> server = std::make_shared<core::messaging_quic_server>("quic");
    test::watched<std::vector<int>> errors;
    test::watched<std::vector<session_ptr>> sessions;
    test::counter disconnects;
    test::watched<std::map<uint64_t, test::bytes>> uni;  // unidirectional streams, by id
    test::counter uni_fins;

    explicit echo_server(const core::quic_server_config& config = server_config()) {
        server->set_connection_callback([this](session_ptr s) { sessions.update([&](auto& v) { v.push_back(s); }); });
        server->set_disconnection_callback([this](session_ptr) { disconnects.update([](auto& n) { ++n; }); });
        server->set_receive_callback([](session_ptr s, const std::vector<uint8_t>& m) {
            (void)s->send(std::vector<uint8_t>(m));
        });
        server->set_stream_receive_callback([this](session_ptr s, uint64_t id, const std::vector<uint8_t>& d, bool fin) {
            if ((id & 2) == 0) {
                (void)s->send_on_stream(id, std::vector<uint8_t>(d), fin);
                return;
            }
            uni.update([&](auto& m) { m[id].insert(m[id].end(), d.begin(), d.end()); });
            if (fin) uni_fins.update([](auto& n) { ++n; });
        });
        server->set_error_callback([this](std::error_code ec) { errors.update([&](auto& v) { v.push_back(ec.value()); }); });
        server->set_datagram_callback([](session_ptr s, const std::vector<uint8_t>& d) { (void)s->send_datagram(d); });
        auto r = server->start_server(0, config);
        EXPECT_TRUE(r.is_ok()) << r.error().message;
    }
    /// Stops the server before the members its callbacks write to are destroyed (they are
    /// declared after it, so they go first).
    ~echo_server() { (void)server->stop_server(); }
    uint16_t port() const { return server->port(); }
};

/// A client recording messages, stream data, disconnects and errors.
struct recording_client {
    std::shared_ptr<core::messaging_quic_client> client = std::make_shared<core::messaging_quic_client>("c");
    test::watched<std::vector<test::bytes>> messages;
    test::watched<std::map<uint64_t, test::bytes>> streams;
    test::watched<std::map<uint64_t, bool>> fins;
    test::watched<std::vector<int>> errors;
    test::counter connected, disconnected;

    /// `any_disconnected` (optional) counts the disconnects of several clients.
    explicit recording_client(test::counter* any_disconnected = nullptr) {
        client->set_receive_callback([this](const std::vector<uint8_t>& m) { messages.update([&](auto& v) { v.push_back(m); }); });
        client->set_stream_callback([this](uint64_t id, const std::vector<uint8_t>& d, bool fin) {
            streams.update([&](auto& m) { m[id].insert(m[id].end(), d.begin(), d.end()); });
            if (fin) fins.update([&](auto& m) { m[id] = true; });
        });
        client->set_connected_callback([this] { connected.update([](auto& n) { ++n; }); });
        client->set_disconnected_callback([this, any_disconnected] {
            disconnected.update([](auto& n) { ++n; });
            if (any_disconnected) any_disconnected->update([](auto& n) { ++n; });
        });
        client->set_error_callback([this](std::error_code ec) { errors.update([&](auto& v) { v.push_back(ec.value()); }); });
    }
    ~recording_client() { (void)client->stop_client(); }
    VoidResult start(uint16_t port, const core::quic_client_config& c = client_config()) {
        return client->start_client("127.0.0.1", port, c);
    }
    bool got_messages(std::size_t n) {
        return messages.wait([&](const auto& v) { return v.size() >= n; });
    }
};

class Quic : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::getenv("NS_TEST_CERTS")) GTEST_SKIP() << "NS_TEST_CERTS is not set (run through ctest)";
    }
};

}  // namespace

TEST_F(Quic, EchoesMessagesFromOneByteToOneMebibyte) {
    echo_server s;
    recording_client c;
    ASSERT_TRUE(c.start(s.port()).is_ok());
    EXPECT_TRUE(c.client->is_connected());
    EXPECT_TRUE(c.client->is_handshake_complete());
    std::mt19937 rng(12);
    std::vector<test::bytes> sent;
    for (std::size_t size : {std::size_t{1}, std::size_t{2}, std::size_t{1000}, std::size_t{1350}, std::size_t{65536},
                             std::size_t{100000}, std::size_t{1} << 20}) {
        sent.push_back(test::random_bytes(size, rng));
        ASSERT_TRUE(c.client->send_packet(test::bytes(sent.back())).is_ok());
    }
    ASSERT_TRUE(c.got_messages(sent.size()));
    EXPECT_EQ(c.messages.get(), sent);  // whole, in order, byte for byte
    auto stats = c.client->stats();
    EXPECT_GT(stats.bytes_sent, 1u << 20);
    EXPECT_GT(stats.bytes_received, 1u << 20);
    EXPECT_GT(stats.smoothed_rtt.count(), 0);
    EXPECT_GT(stats.cwnd, 0u);
    auto ss = s.sessions.get().at(0)->stats();
    EXPECT_GT(ss.bytes_received, 1u << 20);
    EXPECT_EQ(s.server->stats().messages_in, sent.size());
}

TEST_F(Quic, EightConcurrentStreamsEachInOrder) {
    echo_server s;
    recording_client c;
    ASSERT_TRUE(c.start(s.port()).is_ok());
    std::mt19937 rng(8);
    std::map<uint64_t, test::bytes> sent;
    std::vector<uint64_t> ids;
    for (int i = 0; i < 8; ++i) {
        auto id = c.client->create_stream();
        ASSERT_TRUE(id.is_ok()) << id.error().message;
        ids.push_back(id.value());
    }
    for (int round = 0; round < 20; ++round) {  // interleaved writes
        for (uint64_t id : ids) {
            auto chunk = test::random_bytes(1 + rng() % 5000, rng);
            sent[id].insert(sent[id].end(), chunk.begin(), chunk.end());
            ASSERT_TRUE(c.client->send_on_stream(id, std::move(chunk), round == 19).is_ok());
        }
    }
    ASSERT_TRUE(c.fins.wait([](const auto& m) { return m.size() == 8; }));
    EXPECT_EQ(c.streams.get(), sent);
    // Data after fin is refused; the connection is unaffected.
    auto late = c.client->send_on_stream(ids[0], {1, 2, 3});
    EXPECT_EQ(late.error().code, error_codes::network_system::stream_closed);
    auto unknown = c.client->send_on_stream(4000, {1});
    EXPECT_EQ(unknown.error().code, error_codes::common_errors::invalid_argument);
    ASSERT_TRUE(c.client->send_packet(std::string_view("still here")).is_ok());
    ASSERT_TRUE(c.got_messages(1));
}

TEST_F(Quic, UnidirectionalStreamArrivesWithItsFin) {
    echo_server s;
    recording_client c;
    ASSERT_TRUE(c.start(s.port()).is_ok());
    auto id = c.client->create_unidirectional_stream();
    ASSERT_TRUE(id.is_ok());
    EXPECT_EQ(id.value() & 3u, 2u);  // client-initiated, unidirectional
    std::mt19937 rng(3);
    auto data = test::random_bytes(300000, rng);
    ASSERT_TRUE(c.client->send_on_stream(id.value(), test::bytes(data)).is_ok());
    ASSERT_TRUE(c.client->close_stream(id.value()).is_ok());
    ASSERT_TRUE(s.uni_fins.wait([](std::size_t n) { return n == 1; }));
    EXPECT_EQ(s.uni.get().at(id.value()), data);
    // The server opens a stream to the client, too.
    auto sid = s.sessions.get().at(0)->create_unidirectional_stream();
    ASSERT_TRUE(sid.is_ok());
    ASSERT_TRUE(s.sessions.get().at(0)->send_on_stream(sid.value(), {9, 8, 7}, true).is_ok());
    ASSERT_TRUE(c.fins.wait([&](const auto& m) { return m.count(sid.value()) == 1; }));
    EXPECT_EQ(c.streams.get().at(sid.value()), (test::bytes{9, 8, 7}));
}

TEST_F(Quic, BroadcastMulticastAndDisconnectWithCode) {
    echo_server s;
    test::counter any_disconnected;
    std::vector<std::unique_ptr<recording_client>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<recording_client>(&any_disconnected));
        ASSERT_TRUE(clients.back()->start(s.port()).is_ok());
    }
    ASSERT_TRUE(s.sessions.wait([](const auto& v) { return v.size() == 3; }));
    EXPECT_EQ(s.server->session_count(), 3u);
    ASSERT_TRUE(s.server->broadcast({1, 2, 3}).is_ok());
    for (auto& c : clients) {
        ASSERT_TRUE(c->got_messages(1));
        EXPECT_EQ(c->messages.get().at(0), (test::bytes{1, 2, 3}));
    }
    // Multicast to one session, then a broadcast as a marker: every client has the marker, and
    // exactly one has the multicast message before it.
    auto first = s.sessions.get().at(0)->session_id();
    ASSERT_TRUE(s.server->multicast({first}, {4}).is_ok());
    ASSERT_TRUE(s.server->broadcast({5}).is_ok());
    int with_multicast = 0;
    for (auto& c : clients) {
        ASSERT_TRUE(c->messages.wait([](const auto& v) { return v.back() == test::bytes{5}; }));
        if (c->messages.get().size() == 3) ++with_multicast;
    }
    EXPECT_EQ(with_multicast, 1);
    // disconnect_session: the client sees the code.
    auto target = s.server->get_session(first);
    ASSERT_NE(target, nullptr);
    ASSERT_TRUE(s.server->disconnect_session(first, 42).is_ok());
    ASSERT_TRUE(any_disconnected.wait([](std::size_t n) { return n == 1; }));
    recording_client* victim = nullptr;
    for (auto& c : clients)
        if (c->disconnected.get() == 1) victim = c.get();
    ASSERT_NE(victim, nullptr);
    EXPECT_EQ(victim->client->close_code(), std::optional<uint64_t>(42));
    EXPECT_EQ(victim->errors.get(), (std::vector<int>{error_codes::network_system::closed_by_peer}));
    EXPECT_EQ(s.server->disconnect_session("no-such-session").error().code,
              error_codes::network_system::session_not_found);
    ASSERT_TRUE(s.disconnects.wait([](std::size_t n) { return n == 1; }));
    EXPECT_EQ(s.server->session_count(), 2u);
}

TEST_F(Quic, ZeroRttOnTheSecondConnectionAndAlpnOnBothSides) {
    auto sc = server_config();
    sc.alpn_protocols = {"ns-echo"};
    sc.enable_early_data = true;
    echo_server s(sc);
    auto cc = client_config();
    cc.alpn_protocols = {"other", "ns-echo"};
    cc.enable_early_data = true;
    recording_client c;
    test::watched<std::vector<bool>> accepted;
    c.client->set_early_data_callback([] { return test::bytes{'h', 'i'}; });
    c.client->set_early_data_accepted_callback([&](bool a) { accepted.update([&](auto& v) { v.push_back(a); }); });
    for (int round = 0; round < 2; ++round) {
        ASSERT_TRUE(c.start(s.port(), cc).is_ok());
        ASSERT_TRUE(c.got_messages(static_cast<std::size_t>(round) + 1));  // the early data, echoed
        EXPECT_EQ(c.messages.get().back(), (test::bytes{'h', 'i'}));
        EXPECT_EQ(c.client->alpn_protocol(), std::optional<std::string>("ns-echo"));
        EXPECT_EQ(c.client->is_early_data_accepted(), round == 1) << "round " << round;
        ASSERT_TRUE(s.sessions.wait([&](const auto& v) { return v.size() == static_cast<std::size_t>(round) + 1; }));
        EXPECT_EQ(s.sessions.get().back()->alpn_protocol(), std::optional<std::string>("ns-echo"));
        ASSERT_TRUE(c.client->stop_client().is_ok());
    }
    EXPECT_EQ(accepted.get(), (std::vector<bool>{false, true}));
    // No common protocol: the handshake fails, nothing is connected.
    auto none = client_config();
    none.alpn_protocols = {"nope"};
    recording_client n;
    auto r = n.start(s.port(), none);
    EXPECT_EQ(r.error().code, error_codes::network_system::tls_handshake_failed) << r.error().message;
}

TEST_F(Quic, CertificateProblemsAreRefused) {
    for (const char* name : {"untrusted", "wrong_name", "expired"}) {
        echo_server s(server_config(name));
        recording_client c;
        auto r = c.start(s.port());
        EXPECT_EQ(r.error().code, error_codes::network_system::certificate_error) << name << ": " << r.error().message;
        EXPECT_FALSE(c.client->is_connected());
        EXPECT_EQ(c.client->send_packet(std::string_view("x")).error().code, error_codes::network_system::connection_closed);
        EXPECT_EQ(c.connected.get(), 0u);
        EXPECT_TRUE(s.sessions.get().empty());  // nothing was delivered
    }
    core::messaging_quic_server missing("m");
    auto config = server_config();
    config.cert_file = "/nonexistent/quic-cert.pem";
    auto r = missing.start_server(0, config);
    EXPECT_EQ(r.error().code, error_codes::network_system::certificate_error);
    EXPECT_NE(r.error().message.find("/nonexistent/quic-cert.pem"), std::string::npos) << r.error().message;
    EXPECT_EQ(missing.start_server(0).error().code, error_codes::network_system::certificate_error);
}

TEST_F(Quic, SilentPeerTimesOutOthersUnaffectedGarbageIgnored) {
    auto sc = server_config();
    sc.max_idle_timeout_ms = 400;
    echo_server s(sc);
    // Garbage datagrams at the server port are ignored.
    int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(s.port());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    std::mt19937 rng(5);
    for (std::size_t n : {1, 7, 100, 1200, 1500}) {
        auto junk = test::random_bytes(n, rng);
        junk[0] = static_cast<uint8_t>(junk[0] | 0xc0);  // long header form
        ::sendto(fd, junk.data(), junk.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    }
    ::close(fd);
    // A peer that keeps the connection alive with traffic, and one that goes silent.
    recording_client busy, silent;
    ASSERT_TRUE(busy.start(s.port()).is_ok());
    ASSERT_TRUE(silent.start(s.port()).is_ok());
    // The busy one talks every 50 ms (the traffic's pace, well inside the 400 ms idle timeout)
    // until the server has expired the silent one.
    auto expired = [&](std::chrono::milliseconds wait) {
        return s.errors.wait(
            [](const std::vector<int>& v) {
                for (int e : v)
                    if (e == error_codes::network_system::session_expired) return true;
                return false;
            },
            wait);
    };
    for (std::size_t i = 1; i <= 200 && !expired(std::chrono::milliseconds(50)); ++i) {
        ASSERT_TRUE(busy.client->send_packet(std::string_view("tick")).is_ok());
        ASSERT_TRUE(busy.messages.wait([&](const auto& v) { return v.size() == i; }));
    }
    EXPECT_TRUE(expired(std::chrono::milliseconds(0)));
    ASSERT_TRUE(silent.disconnected.wait([](std::size_t n) { return n == 1; }));
    EXPECT_TRUE(busy.client->is_connected());
    ASSERT_TRUE(busy.client->send_packet(std::string_view("after")).is_ok());
    ASSERT_TRUE(busy.messages.wait([](const auto& v) { return !v.empty() && v.back() == test::bytes{'a', 'f', 't', 'e', 'r'}; }));
}

TEST_F(Quic, OversizedDatagramIsRefusedAndSmallOnesEcho) {
    echo_server s;
    test::watched<std::vector<test::bytes>> echoed;
    recording_client c;
    c.client->set_datagram_callback([&](const std::vector<uint8_t>& d) { echoed.update([&](auto& v) { v.push_back(d); }); });
    ASSERT_TRUE(c.start(s.port()).is_ok());
    auto r = c.client->send_datagram(test::bytes(5000, 1));
    EXPECT_EQ(r.error().code, error_codes::network_system::message_too_large) << r.error().message;
    // Datagrams are unreliable, but loopback does not lose them; resend a few times anyway.
    for (int i = 0; i < 5 && echoed.get().empty(); ++i) {
        ASSERT_TRUE(c.client->send_datagram(test::bytes(100, 2)).is_ok());
        echoed.wait([](const auto& v) { return !v.empty(); }, std::chrono::milliseconds(1000));
    }
    ASSERT_FALSE(echoed.get().empty());
    EXPECT_EQ(echoed.get().at(0), test::bytes(100, 2));
    ASSERT_TRUE(c.client->send_packet(std::string_view("ok")).is_ok());
    ASSERT_TRUE(c.got_messages(1));
}

TEST_F(Quic, FiftyClientsAgainstOneServer) {
    echo_server s;
    std::vector<std::unique_ptr<recording_client>> clients;
    for (int i = 0; i < 50; ++i) {
        clients.push_back(std::make_unique<recording_client>());
        ASSERT_TRUE(clients.back()->start(s.port()).is_ok()) << i;
    }
    for (int i = 0; i < 50; ++i) {
        std::string text = "client " + std::to_string(i);
        ASSERT_TRUE(clients[static_cast<std::size_t>(i)]->client->send_packet(std::string_view(text)).is_ok());
    }
    for (int i = 0; i < 50; ++i) {
        auto& c = *clients[static_cast<std::size_t>(i)];
        ASSERT_TRUE(c.got_messages(1)) << i;
        std::string text = "client " + std::to_string(i);
        EXPECT_EQ(c.messages.get().at(0), test::bytes(text.begin(), text.end()));
    }
    EXPECT_EQ(s.server->session_count(), 50u);
    clients.clear();
    ASSERT_TRUE(s.disconnects.wait([](std::size_t n) { return n == 50; }));
    EXPECT_EQ(s.server->session_count(), 0u);
}

// A server that holds every message until the gate opens stops granting flow-control credit,
// so the client's 8 MiB queue fills: send_packet then returns -643 at once, or with
// send_wait_ms waits for room and loses nothing. (tests/quic.rs also shows the wait blocks
// while the peer reads nothing, times out and ends at a stop.)
TEST_F(Quic, FullQueueRefusesAtOnceOrWaitsWithSendWait) {
    for (uint64_t wait_ms : {uint64_t{0}, uint64_t{20000}}) {
        test::watched<bool> open;
        test::watched<std::vector<test::bytes>> got;
        test::counter accepted;
        auto server = std::make_shared<core::messaging_quic_server>("gated");
        server->set_receive_callback([&](session_ptr, const std::vector<uint8_t>& m) {
            open.wait([](bool o) { return o; });
            got.update([&](auto& v) { v.push_back(m); });
        });
        ASSERT_TRUE(server->start_server(0, server_config()).is_ok());
        core::messaging_quic_client client("c");
        auto config = client_config();
        config.send_wait_ms = wait_ms;
        ASSERT_TRUE(client.start_client("127.0.0.1", server->port(), config).is_ok());
        // With send_wait the gate opens once 60 messages (7.5 MiB) are accepted; the rest of
        // the 12 MiB below cannot all fit before the server reads. Without it, it stays shut.
        std::thread opener([&] {
            if (wait_ms == 0) return;
            accepted.wait([](std::size_t n) { return n >= 60; });
            open.update([](bool& o) { o = true; });
        });
        std::vector<test::bytes> sent;
        int refused = 0;
        for (uint32_t i = 0; i < 96 && refused == 0; ++i) {
            test::bytes m(128 * 1024, static_cast<uint8_t>(i));
            auto r = client.send_packet(test::bytes(m));
            if (r.is_err()) {
                refused = r.error().code;
                break;
            }
            sent.push_back(std::move(m));
            accepted.update([](std::size_t& n) { ++n; });
        }
        opener.join();
        if (wait_ms == 0) {
            EXPECT_EQ(refused, error_codes::network_system::send_queue_full);
            EXPECT_LT(sent.size(), 96u);
        } else {
            EXPECT_EQ(refused, 0);  // every send waited for room
            EXPECT_EQ(sent.size(), 96u);
        }
        open.update([](bool& o) { o = true; });
        ASSERT_TRUE(got.wait([&](const auto& v) { return v.size() >= sent.size(); }));
        EXPECT_EQ(got.get(), sent);  // nothing lost, in order, byte for byte
        (void)client.stop_client();
        (void)server->stop_server();
    }
}

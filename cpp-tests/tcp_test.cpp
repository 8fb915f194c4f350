// TCP behaviour through the C++ wrapper: fidelity, framing, scale, ordering, lifecycle,
// re-entrancy and every bad-input case of the foundation issue.
#include <kcenon/network/network_system.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

using namespace kcenon::network;
using session_ptr = std::shared_ptr<session::messaging_session>;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t MiB = 1024 * 1024;

test::bytes to_bytes(const std::string& s) { return test::bytes(s.begin(), s.end()); }

std::shared_ptr<core::messaging_server> echo_server(const core::server_options& o = test::loopback()) {
    auto s = std::make_shared<core::messaging_server>("echo", o);
    s->set_receive_callback([](session_ptr s, const std::vector<uint8_t>& d) { s->send_packet(std::vector<uint8_t>(d)); });
    auto r = s->start_server(0);
    EXPECT_TRUE(r.is_ok()) << r.error().message;
    return s;
}

/// A client that records everything it is told.
struct probe {
    std::shared_ptr<core::messaging_client> client;
    test::watched<test::bytes> data;
    test::watched<std::vector<test::bytes>> messages;
    test::watched<std::vector<std::string>> events;
    test::watched<std::vector<int>> errors;

    explicit probe(const core::client_options& o = {}, const std::string& id = "probe")
        : client(std::make_shared<core::messaging_client>(id, o)) {
        client->set_receive_callback([this](const std::vector<uint8_t>& d) {
            data.update([&](test::bytes& b) { b.insert(b.end(), d.begin(), d.end()); });
            messages.update([&](std::vector<test::bytes>& m) { m.push_back(d); });
            events.update([](std::vector<std::string>& e) {
                if (e.empty() || e.back() != "data") e.push_back("data");
            });
        });
        client->set_connected_callback([this] { events.update([](auto& e) { e.push_back("connected"); }); });
        client->set_disconnected_callback([this] { events.update([](auto& e) { e.push_back("disconnected"); }); });
        client->set_error_callback([this](std::error_code ec) { errors.update([&](auto& v) { v.push_back(ec.value()); }); });
    }
    ~probe() { client->stop_client(); }  // no callback into the members below after this
    probe(const probe&) = delete;
    probe& operator=(const probe&) = delete;

    bool start(unsigned short port) { return client->start_client("127.0.0.1", port).is_ok(); }
    bool wait_connected() {
        return events.wait([](const auto& e) { return !e.empty() && e.front() == "connected"; });
    }
    bool connect(unsigned short port) { return start(port) && wait_connected(); }
    bool wait_bytes(std::size_t n, std::chrono::milliseconds limit = test::deadline) {
        return data.wait([n](const test::bytes& b) { return b.size() >= n; }, limit);
    }
    bool wait_disconnected() {
        return events.wait([](const auto& e) { return !e.empty() && e.back() == "disconnected"; });
    }
    bool wait_error(int code) {
        return errors.wait([code](const auto& v) {
            for (int c : v)
                if (c == code) return true;
            return false;
        });
    }
};

/// A raw socket connected to 127.0.0.1:port (closed on destruction).
struct raw_socket {
    int fd = -1;
    explicit raw_socket(unsigned short port) {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    ~raw_socket() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

TEST(Tcp, StreamFidelity200RandomSendsUpTo1MiB) {
    auto opts = test::loopback();
    opts.send_queue_limit = 256 * MiB;  // the echo never refuses
    auto server = echo_server(opts);
    probe p;
    ASSERT_TRUE(p.connect(server->port()));
    std::mt19937 rng(20261122);
    test::bytes sent;
    for (int i = 0; i < 200; ++i) {
        std::size_t size = 1 + rng() % MiB;
        auto chunk = test::random_bytes(size, rng);
        // Keep at most 4 MiB in flight so the client's 8 MiB queue limit is never reached.
        const std::size_t before = sent.size();
        ASSERT_TRUE(p.data.wait([&](const test::bytes& b) { return before - b.size() <= 4 * MiB; }));
        sent.insert(sent.end(), chunk.begin(), chunk.end());
        auto r = p.client->send_packet(std::move(chunk));
        ASSERT_TRUE(r.is_ok()) << "send " << i << ": " << r.error().message;
    }
    ASSERT_TRUE(p.wait_bytes(sent.size(), 120s));
    const test::bytes got = p.data.get();
    ASSERT_EQ(got.size(), sent.size());
    EXPECT_TRUE(got == sent) << "echoed stream differs from what was sent";
    EXPECT_EQ(p.client->stats().bytes_out, sent.size());
    EXPECT_EQ(p.client->stats().bytes_in, sent.size());
}

TEST(Tcp, FramedModeKeepsMessageBoundaries) {
    auto server = std::make_shared<core::messaging_server>("framed", test::loopback(framing::length_prefixed));
    test::counter server_messages;
    server->set_receive_callback([&](session_ptr s, const std::vector<uint8_t>& d) {
        server_messages.update([](std::size_t& n) { ++n; });
        s->send_packet(std::vector<uint8_t>(d));
    });
    ASSERT_TRUE(server->start_server(0).is_ok());
    core::client_options co;
    co.framing = framing::length_prefixed;
    probe p(co);
    ASSERT_TRUE(p.connect(server->port()));

    std::vector<std::size_t> sizes{1, 2, 3, 4, 5, 100, 4095, 4096, 4097, 65535, 65536, 65537, MiB, 1, 7};
    std::mt19937 rng(7);
    for (int i = 0; i < 200; ++i) sizes.push_back(1 + rng() % 3000);
    std::vector<test::bytes> sent;
    for (std::size_t n : sizes) {
        sent.push_back(test::random_bytes(n, rng));
        ASSERT_TRUE(p.client->send_packet(test::bytes(sent.back())).is_ok());
    }
    ASSERT_TRUE(p.messages.wait([&](const auto& m) { return m.size() >= sent.size(); }));
    auto got = p.messages.get();
    ASSERT_EQ(got.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) EXPECT_TRUE(got[i] == sent[i]) << "message " << i;
    EXPECT_EQ(server_messages.get(), sent.size());
    EXPECT_EQ(server->stats().messages_in, sent.size());
}

TEST(Tcp, TwoHundredClientsAllEchoed) {
    auto server = echo_server();
    test::counter accepted;
    server->set_connection_callback([&](session_ptr) { accepted.update([](std::size_t& n) { ++n; }); });
    std::vector<std::unique_ptr<probe>> probes;
    for (int i = 0; i < 200; ++i) {
        probes.push_back(std::make_unique<probe>(core::client_options{}, "c" + std::to_string(i)));
        ASSERT_TRUE(probes.back()->start(server->port()));
    }
    for (auto& p : probes) ASSERT_TRUE(p->wait_connected());
    ASSERT_TRUE(accepted.wait([](std::size_t n) { return n == 200; }));
    EXPECT_EQ(server->connection_count(), 200u);
    for (std::size_t i = 0; i < probes.size(); ++i)
        ASSERT_TRUE(probes[i]->client->send_packet(to_bytes("hello from client " + std::to_string(i))).is_ok());
    for (std::size_t i = 0; i < probes.size(); ++i) {
        const std::string want = "hello from client " + std::to_string(i);
        ASSERT_TRUE(probes[i]->wait_bytes(want.size())) << "client " << i;
        EXPECT_EQ(probes[i]->data.get(), to_bytes(want));
    }
    EXPECT_EQ(server->stats().connections_total, 200u);
}

TEST(Tcp, FourClientsGetFourDistinctSessionIds) {
    auto server = echo_server();
    test::watched<std::vector<std::string>> ids;
    server->set_connection_callback([&](session_ptr s) { ids.update([&](auto& v) { v.emplace_back(s->id()); }); });
    std::vector<std::unique_ptr<probe>> probes;
    for (int i = 0; i < 4; ++i) {
        probes.push_back(std::make_unique<probe>());
        ASSERT_TRUE(probes.back()->connect(server->port()));
    }
    ASSERT_TRUE(ids.wait([](const auto& v) { return v.size() == 4; }));
    auto v = ids.get();
    std::set<std::string> unique(v.begin(), v.end());
    EXPECT_EQ(unique.size(), 4u);
    EXPECT_EQ(unique.count(server->server_id()), 0u) << "session id must not be the server id";
    for (const auto& s : server->sessions()) EXPECT_EQ(unique.count(std::string(s->id())), 1u);
}

TEST(Tcp, CallbackOrderPerConnection) {
    auto server = std::make_shared<core::messaging_server>("order", test::loopback());
    test::watched<std::map<std::string, std::vector<char>>> log;
    server->set_connection_callback([&](session_ptr s) { log.update([&](auto& m) { m[std::string(s->id())].push_back('C'); }); });
    server->set_receive_callback([&](session_ptr s, const std::vector<uint8_t>& d) {
        log.update([&](auto& m) { m[std::string(s->id())].push_back('D'); });
        s->send_packet(std::vector<uint8_t>(d));
    });
    server->set_disconnection_callback([&](const std::string& id) { log.update([&](auto& m) { m[id].push_back('X'); }); });
    ASSERT_TRUE(server->start_server(0).is_ok());

    for (int i = 0; i < 3; ++i) {
        probe p;
        ASSERT_TRUE(p.connect(server->port()));
        ASSERT_TRUE(p.client->send_packet(to_bytes("ping")).is_ok());
        ASSERT_TRUE(p.wait_bytes(4));
        p.client->stop_client();
        auto events = p.events.get();
        ASSERT_EQ(events, (std::vector<std::string>{"connected", "data", "disconnected"}));
    }
    ASSERT_TRUE(log.wait([](const auto& m) {
        if (m.size() != 3) return false;
        for (const auto& kv : m)
            if (kv.second.empty() || kv.second.back() != 'X') return false;
        return true;
    }));
    for (const auto& kv : log.get()) {
        const auto& ev = kv.second;
        EXPECT_EQ(ev.front(), 'C') << kv.first;
        EXPECT_EQ(ev.back(), 'X') << kv.first;
        EXPECT_EQ(std::count(ev.begin(), ev.end(), 'C'), 1);
        EXPECT_EQ(std::count(ev.begin(), ev.end(), 'X'), 1);
        EXPECT_GE(std::count(ev.begin(), ev.end(), 'D'), 1);
    }
}

TEST(Tcp, ServerClosedConnectionStopsClientOnce) {
    auto server = std::make_shared<core::messaging_server>("closer", test::loopback());
    server->set_connection_callback([](session_ptr s) { s->close(); });
    ASSERT_TRUE(server->start_server(0).is_ok());
    probe p;
    ASSERT_TRUE(p.connect(server->port()));
    ASSERT_TRUE(p.wait_disconnected());
    p.client->wait_for_stop();  // without reconnect a lost connection stops the client
    EXPECT_FALSE(p.client->is_running());
    p.client->stop_client();
    EXPECT_EQ(p.events.get(), (std::vector<std::string>{"connected", "disconnected"}));
    EXPECT_TRUE(p.errors.get().empty()) << "a clean close by the peer is not an error";
}

TEST(Tcp, WaitForStopBlocksUntilStopFromAnotherThread) {
    auto server = echo_server();
    const unsigned short port = server->port();
    std::promise<void> waiting;
    std::atomic<bool> stop_called{false};
    std::atomic<bool> served{false};
    std::thread stopper([&] {
        waiting.get_future().wait();
        probe p;  // the server keeps serving while the main thread is blocked
        served = p.connect(port) && p.client->send_packet(to_bytes("ping")).is_ok() && p.wait_bytes(4);
        p.client->stop_client();
        stop_called = true;
        server->stop_server();
    });
    waiting.set_value();
    server->wait_for_stop();
    EXPECT_TRUE(stop_called.load()) << "wait_for_stop returned before stop_server was called";
    EXPECT_FALSE(server->is_running());
    stopper.join();
    EXPECT_TRUE(served.load());
}

TEST(Tcp, CloseSessionFromItsReceiveCallback) {
    auto server = std::make_shared<core::messaging_server>("bye", test::loopback());
    server->set_receive_callback([](session_ptr s, const std::vector<uint8_t>&) {
        s->send_packet(to_bytes("bye"));
        s->close();  // deadlocked the original's only I/O thread
    });
    ASSERT_TRUE(server->start_server(0).is_ok());
    for (int i = 0; i < 3; ++i) {  // the server keeps serving after each close
        probe p;
        ASSERT_TRUE(p.connect(server->port()));
        ASSERT_TRUE(p.client->send_packet(to_bytes("hello")).is_ok());
        ASSERT_TRUE(p.wait_bytes(3));
        EXPECT_EQ(p.data.get(), to_bytes("bye"));
        ASSERT_TRUE(p.wait_disconnected());
    }
}

TEST(Tcp, StopServerFromItsReceiveCallback) {
    auto server = std::make_shared<core::messaging_server>("stopper", test::loopback());
    std::weak_ptr<core::messaging_server> weak = server;
    test::watched<int> stop_result;
    server->set_receive_callback([&, weak](session_ptr, const std::vector<uint8_t>&) {
        if (auto s = weak.lock()) {
            auto r = s->stop_server();  // must not wait for its own callback
            stop_result.update([&](int& v) { v = r.is_ok() ? 1 : -1; });
        }
    });
    ASSERT_TRUE(server->start_server(0).is_ok());
    probe p;
    ASSERT_TRUE(p.connect(server->port()));
    ASSERT_TRUE(p.client->send_packet(to_bytes("stop")).is_ok());
    server->wait_for_stop();
    EXPECT_EQ(stop_result.get(), 1);
    EXPECT_FALSE(server->is_running());
    ASSERT_TRUE(p.wait_disconnected());
}

TEST(Tcp, DestroyServerFromItsOwnCallback) {
    auto holder = std::make_shared<std::shared_ptr<core::messaging_server>>(
        std::make_shared<core::messaging_server>("doomed", test::loopback()));
    test::counter destroyed;
    (*holder)->set_receive_callback([holder, &destroyed](session_ptr, const std::vector<uint8_t>&) {
        holder->reset();  // runs ~messaging_server on a library thread, inside its callback
        destroyed.update([](std::size_t& n) { ++n; });
    });
    ASSERT_TRUE((*holder)->start_server(0).is_ok());
    probe p;
    ASSERT_TRUE(p.connect((*holder)->port()));
    ASSERT_TRUE(p.client->send_packet(to_bytes("x")).is_ok());
    ASSERT_TRUE(destroyed.wait([](std::size_t n) { return n == 1; }));
    ASSERT_TRUE(p.wait_disconnected());
}

TEST(Tcp, ConcurrentSendsFromFourThreads) {
    auto server = std::make_shared<core::messaging_server>("collect", test::loopback(framing::length_prefixed));
    test::watched<std::vector<std::string>> got;
    server->set_receive_callback([&](session_ptr, const std::vector<uint8_t>& d) {
        got.update([&](auto& v) { v.emplace_back(d.begin(), d.end()); });
    });
    ASSERT_TRUE(server->start_server(0).is_ok());
    core::client_options co;
    co.framing = framing::length_prefixed;
    probe p(co);
    ASSERT_TRUE(p.connect(server->port()));
    constexpr int threads = 4, per_thread = 2000;
    std::vector<std::thread> senders;
    std::atomic<int> failures{0};
    for (int t = 0; t < threads; ++t) {
        senders.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i)
                if (p.client->send_packet(to_bytes(std::to_string(t) + ":" + std::to_string(i))).is_err()) ++failures;
        });
    }
    for (auto& s : senders) s.join();
    EXPECT_EQ(failures.load(), 0);
    ASSERT_TRUE(got.wait([](const auto& v) { return v.size() >= threads * per_thread; }));
    std::vector<int> next(threads, 0);
    for (const auto& m : got.get()) {
        const auto colon = m.find(':');
        ASSERT_NE(colon, std::string::npos) << m;
        const int t = std::stoi(m.substr(0, colon)), i = std::stoi(m.substr(colon + 1));
        ASSERT_EQ(i, next[t]) << "thread " << t << " out of order";
        ++next[t];
    }
    EXPECT_EQ(next, std::vector<int>(threads, per_thread));
}

TEST(Tcp, SendBatchDeliversEachMessage) {
    auto server = echo_server(test::loopback(framing::length_prefixed));
    core::client_options co;
    co.framing = framing::length_prefixed;
    probe p(co);
    ASSERT_TRUE(p.connect(server->port()));
    std::vector<test::bytes> batch;
    for (int i = 0; i < 500; ++i) batch.push_back(to_bytes("m" + std::to_string(i)));
    ASSERT_TRUE(p.client->send_batch(batch).is_ok());
    ASSERT_TRUE(p.messages.wait([](const auto& m) { return m.size() >= 500; }));
    EXPECT_EQ(p.messages.get(), batch);
    EXPECT_EQ(p.client->send_batch({}).error().code, error_codes::common_errors::invalid_argument);
}

TEST(Tcp, CallbacksSetAfterStartTakeEffect) {
    auto server = std::make_shared<core::messaging_server>("late", test::loopback());
    ASSERT_TRUE(server->start_server(0).is_ok());
    probe p;
    ASSERT_TRUE(p.connect(server->port()));
    server->set_receive_callback([](session_ptr s, const std::vector<uint8_t>& d) {
        std::vector<uint8_t> reply(d);
        reply.push_back('!');
        s->send_packet(std::move(reply));
    });
    ASSERT_TRUE(p.client->send_packet(to_bytes("late")).is_ok());
    ASSERT_TRUE(p.wait_bytes(5));
    EXPECT_EQ(p.data.get(), to_bytes("late!"));
}

TEST(Tcp, Ipv6LoopbackEcho) {
    auto opts = test::loopback();
    opts.bind_address = "::1";
    auto server = std::make_shared<core::messaging_server>("v6", opts);
    server->set_receive_callback([](session_ptr s, const std::vector<uint8_t>& d) { s->send_packet(std::vector<uint8_t>(d)); });
    test::watched<std::string> peer;
    server->set_connection_callback([&](session_ptr s) { peer.update([&](std::string& p) { p = s->remote_endpoint(); }); });
    if (server->start_server(0).is_err()) GTEST_SKIP() << "::1 is not available on this machine";
    core::messaging_client client("v6client");
    test::counter connected;
    client.set_connected_callback([&] { connected.update([](std::size_t& n) { ++n; }); });
    test::watched<test::bytes> got;
    client.set_receive_callback([&](const std::vector<uint8_t>& d) {
        got.update([&](test::bytes& b) { b.insert(b.end(), d.begin(), d.end()); });
    });
    ASSERT_TRUE(client.start_client("::1", server->port()).is_ok());
    ASSERT_TRUE(peer.wait([](const std::string& p) { return !p.empty(); }));
    EXPECT_EQ(peer.get().rfind("[::1]:", 0), 0u) << peer.get();
    ASSERT_TRUE(connected.wait([](std::size_t n) { return n == 1; }));
    ASSERT_TRUE(client.send_packet(to_bytes("six")).is_ok());
    ASSERT_TRUE(got.wait([](const test::bytes& b) { return b.size() >= 3; }));
    EXPECT_EQ(got.get(), to_bytes("six"));
    client.stop_client();
}

// ---- bad input -------------------------------------------------------------------------

TEST(TcpBadInput, SendBeforeConnectIsConnectionClosed) {
    core::messaging_client client("idle");
    auto r = client.send_packet(to_bytes("x"));
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::network_system::connection_closed);
}

TEST(TcpBadInput, EmptySendIsInvalidArgument) {
    auto server = echo_server();
    probe p;
    ASSERT_TRUE(p.connect(server->port()));
    EXPECT_EQ(p.client->send_packet({}).error().code, error_codes::common_errors::invalid_argument);
}

TEST(TcpBadInput, ServerStartedTwice) {
    auto server = echo_server();
    auto r = server->start_server(0);
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::network_system::server_already_running);
    EXPECT_TRUE(server->is_running());
}

TEST(TcpBadInput, ClientStartedTwice) {
    auto server = echo_server();
    probe p;
    ASSERT_TRUE(p.connect(server->port()));
    auto r = p.client->start_client("127.0.0.1", server->port());
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::network_system::client_already_running);
    EXPECT_TRUE(p.client->is_connected());
}

TEST(TcpBadInput, PortInUse) {
    auto first = echo_server();
    core::messaging_server second("second", test::loopback());
    auto r = second.start_server(first->port());
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::network_system::bind_failed);
    EXPECT_FALSE(second.is_running());
}

TEST(TcpBadInput, EmptyHostAndZeroPort) {
    core::messaging_client client("c");
    EXPECT_EQ(client.start_client("", 80).error().code, error_codes::common_errors::invalid_argument);
    EXPECT_EQ(client.start_client("127.0.0.1", 0).error().code, error_codes::common_errors::invalid_argument);
    EXPECT_FALSE(client.is_running());
}

TEST(TcpBadInput, UnresolvableHostReportedThroughErrorCallback) {
    probe p;
    ASSERT_TRUE(p.client->start_client("no-such-host.invalid", 80).is_ok());
    ASSERT_TRUE(p.wait_error(error_codes::network_system::address_resolution_failed));
    p.client->wait_for_stop();
    EXPECT_FALSE(p.client->is_running());
    // A malformed name is refused at once.
    EXPECT_EQ(p.client->start_client("not a host!", 80).error().code,
              error_codes::network_system::address_resolution_failed);
}

TEST(TcpBadInput, ConnectionRefusedReportedThroughErrorCallback) {
    unsigned short port = 0;
    {
        auto s = echo_server();
        port = s->port();
    }  // nothing listens there any more
    probe p;
    ASSERT_TRUE(p.start(port));
    ASSERT_TRUE(p.wait_error(error_codes::network_system::connection_refused));
    p.client->wait_for_stop();
    EXPECT_TRUE(p.events.get().empty()) << "no connected/disconnected for a failed connect";
}

TEST(TcpBadInput, OversizedFrameClosesOnlyThatConnection) {
    auto opts = test::loopback(framing::length_prefixed);
    opts.max_message_size = 1024;
    auto server = std::make_shared<core::messaging_server>("limits", opts);
    test::watched<std::vector<int>> errors;
    server->set_receive_callback([](session_ptr s, const std::vector<uint8_t>& d) { s->send_packet(std::vector<uint8_t>(d)); });
    server->set_error_callback([&](session_ptr s, std::error_code ec) {
        EXPECT_NE(s, nullptr);
        errors.update([&](auto& v) { v.push_back(ec.value()); });
    });
    ASSERT_TRUE(server->start_server(0).is_ok());

    core::client_options framed;
    framed.framing = framing::length_prefixed;
    probe good(framed);
    ASSERT_TRUE(good.connect(server->port()));
    probe bad;  // raw client that writes a header announcing 65536 bytes
    ASSERT_TRUE(bad.connect(server->port()));
    ASSERT_TRUE(bad.client->send_packet(test::bytes{0, 1, 0, 0, 'x'}).is_ok());
    ASSERT_TRUE(errors.wait([](const auto& v) { return !v.empty(); }));
    EXPECT_EQ(errors.get().front(), error_codes::network_system::message_too_large);
    ASSERT_TRUE(bad.wait_disconnected());

    ASSERT_TRUE(good.client->send_packet(to_bytes("still served")).is_ok());
    ASSERT_TRUE(good.messages.wait([](const auto& m) { return !m.empty(); }));
    EXPECT_EQ(good.messages.get().front(), to_bytes("still served"));
    EXPECT_EQ(good.client->send_packet(test::bytes(17 * MiB, 1)).error().code,
              error_codes::network_system::message_too_large);
}

TEST(TcpBadInput, PeerThatStopsReadingGivesSendQueueFull) {
    auto opts = test::loopback();
    opts.send_queue_limit = 1 * MiB;
    auto server = std::make_shared<core::messaging_server>("slow", opts);
    test::watched<session_ptr> accepted;
    server->set_connection_callback([&](session_ptr s) { accepted.update([&](session_ptr& p) { p = s; }); });
    ASSERT_TRUE(server->start_server(0).is_ok());
    raw_socket peer(server->port());  // connects and never reads
    ASSERT_GE(peer.fd, 0);
    ASSERT_TRUE(accepted.wait([](const session_ptr& p) { return p != nullptr; }));
    session_ptr s = accepted.get();
    int code = 0;
    for (int i = 0; i < 10000 && code == 0; ++i) {
        auto r = s->send(test::bytes(64 * 1024, 0x5a));
        if (r.is_err()) code = r.error().code;
    }
    EXPECT_EQ(code, error_codes::network_system::send_queue_full);
    EXPECT_LE(s->stats().queued_bytes, 1 * MiB);
    EXPECT_LE(server->stats().queued_bytes, 1 * MiB);
    EXPECT_TRUE(s->is_connected()) << "backpressure does not drop the connection";
}

TEST(TcpBadInput, WritingToAResetPeerDoesNotKillTheProcess) {
    // A peer that stops reading and then resets the connection while data is queued: the
    // reader and the writer race for the reset, and the loser's write fails with EPIPE, which
    // raises SIGPIPE. The library must keep the (C++) process alive.
    auto opts = test::loopback();
    opts.send_queue_limit = 1 * MiB;
    auto server = std::make_shared<core::messaging_server>("writer", opts);
    test::watched<session_ptr> accepted;
    test::counter closed;
    server->set_connection_callback([&](session_ptr s) { accepted.update([&](session_ptr& p) { p = s; }); });
    server->set_disconnection_callback([&](const std::string&) { closed.update([](std::size_t& n) { ++n; }); });
    ASSERT_TRUE(server->start_server(0).is_ok());
    for (std::size_t round = 1; round <= 20; ++round) {
        accepted.update([](session_ptr& p) { p = nullptr; });
        session_ptr s;
        {
            raw_socket peer(server->port());
            ASSERT_GE(peer.fd, 0);
            ASSERT_TRUE(accepted.wait([](const session_ptr& p) { return p != nullptr; }));
            s = accepted.get();
            while (s->send(test::bytes(64 * 1024, 1)).is_ok()) {
            }
            linger hard{1, 0};  // close with RST
            ASSERT_EQ(::setsockopt(peer.fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard), 0);
        }
        ASSERT_TRUE(closed.wait([round](std::size_t n) { return n == round; }));
        EXPECT_EQ(s->send(test::bytes(1, 1)).error().code, error_codes::network_system::connection_closed);
    }
}

TEST(TcpBadInput, OptionsAfterStartAreRefused) {
    auto server = echo_server();
    EXPECT_EQ(server->set_options(test::loopback()).error().code, error_codes::network_system::server_already_running);
    core::server_options bad = test::loopback();
    bad.max_connections = 0;
    core::messaging_server fresh("fresh", bad);
    EXPECT_EQ(fresh.start_server(0).error().code, error_codes::common_errors::invalid_argument);
}

TEST(TcpBadInput, MaxConnectionsRefusesExcess) {
    auto opts = test::loopback();
    opts.max_connections = 2;
    auto server = echo_server(opts);
    test::watched<std::vector<int>> errors;
    server->set_error_callback([&](session_ptr s, std::error_code ec) {
        EXPECT_EQ(s, nullptr);
        errors.update([&](auto& v) { v.push_back(ec.value()); });
    });
    probe a, b, c;
    ASSERT_TRUE(a.connect(server->port()));
    ASSERT_TRUE(b.connect(server->port()));
    ASSERT_TRUE(c.start(server->port()));
    ASSERT_TRUE(errors.wait([](const auto& v) { return !v.empty(); }));
    EXPECT_EQ(errors.get().front(), error_codes::network_system::session_limit_reached);
    EXPECT_EQ(server->stats().connections_rejected, 1u);
    ASSERT_TRUE(a.client->send_packet(to_bytes("ok")).is_ok());
    ASSERT_TRUE(a.wait_bytes(2));
}

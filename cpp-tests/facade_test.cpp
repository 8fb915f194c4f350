// The protocol-agnostic layer as the original's facade tests use it: create through each
// facade, start, connect, exchange and stop, holding only i_protocol_client /
// i_protocol_server pointers; the facades' validation; observers.
#include <kcenon/network/facade/http_facade.h>
#include <kcenon/network/facade/quic_facade.h>
#include <kcenon/network/facade/tcp_facade.h>
#include <kcenon/network/facade/udp_facade.h>
#include <kcenon/network/facade/websocket_facade.h>
#include <kcenon/network/interfaces/interfaces.h>

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "posix_util.h"
#include "test_util.h"

using namespace kcenon::network;
using interfaces::i_protocol_client;
using interfaces::i_protocol_server;
using interfaces::i_session;

namespace {

std::string cert(const std::string& name) {
    const char* d = std::getenv("NS_TEST_CERTS");
    return std::string(d ? d : "") + "/" + name;
}

/// A free port on 127.0.0.1 for `type` (SOCK_STREAM or SOCK_DGRAM): the facades refuse port 0
/// and the UDP facade starts its server at once, so the test asks the kernel for one.
uint16_t free_port(int type) {
    test::posix::fd_guard fd(::socket(AF_INET, type, 0));
    return test::posix::bind_loopback(fd.get());
}

/// An echo server behind i_protocol_server: every received message is sent back through the
/// session the connection callback announced.
struct echo_server {
    std::shared_ptr<i_protocol_server> server;
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<i_session>> sessions;
    test::counter connections, disconnections;
    test::counter bytes_in;

    explicit echo_server(std::shared_ptr<i_protocol_server> s) : server(std::move(s)) {
        server->set_connection_callback([this](std::shared_ptr<i_session> session) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                sessions[std::string(session->id())] = session;
            }
            connections.update([](std::size_t& n) { ++n; });
        });
        server->set_receive_callback([this](std::string_view id, const std::vector<uint8_t>& data) {
            std::shared_ptr<i_session> session;
            {
                std::lock_guard<std::mutex> lock(mutex);
                auto it = sessions.find(std::string(id));
                if (it != sessions.end()) session = it->second;
            }
            bytes_in.update([&](std::size_t& n) { n += data.size(); });
            if (session) {
                EXPECT_TRUE(session->send(std::vector<uint8_t>(data)).is_ok());
            }
        });
        server->set_disconnection_callback([this](std::string_view id) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                sessions.erase(std::string(id));
            }
            disconnections.update([](std::size_t& n) { ++n; });
        });
    }
    ~echo_server() { (void)server->stop(); }  // no callback into the members after this
};

/// A client behind i_protocol_client recording what it receives.
struct recording_client {
    std::shared_ptr<i_protocol_client> client;
    test::watched<test::bytes> received;
    test::counter connected, disconnected;
    test::watched<std::vector<int>> errors;

    explicit recording_client(std::shared_ptr<i_protocol_client> c) : client(std::move(c)) {
        client->set_receive_callback([this](const std::vector<uint8_t>& d) {
            received.update([&](test::bytes& b) { b.insert(b.end(), d.begin(), d.end()); });
        });
        client->set_connected_callback([this] { connected.update([](std::size_t& n) { ++n; }); });
        client->set_disconnected_callback([this] { disconnected.update([](std::size_t& n) { ++n; }); });
        client->set_error_callback([this](std::error_code ec) { errors.update([&](auto& v) { v.push_back(ec.value()); }); });
    }
    ~recording_client() { (void)client->stop(); }
};

/// Sends `count` random messages through the client and checks the echo byte for byte; then
/// stops both ends through the interfaces (wait_for_stop included).
void exchange(echo_server& echo, recording_client& peer, std::size_t count, std::size_t expected_sessions) {
    ASSERT_TRUE(peer.client->is_connected());
    ASSERT_TRUE(peer.client->is_running());
    std::mt19937 rng(7);
    test::bytes sent;
    for (std::size_t i = 0; i < count; ++i) {
        auto msg = test::random_bytes(1 + rng() % 1200, rng);
        sent.insert(sent.end(), msg.begin(), msg.end());
        auto r = peer.client->send(std::move(msg));
        ASSERT_TRUE(r.is_ok()) << r.error().code << " " << r.error().message;
    }
    ASSERT_TRUE(peer.received.wait([&](const test::bytes& b) { return b.size() >= sent.size(); }));
    EXPECT_EQ(peer.received.get(), sent);
    EXPECT_EQ(echo.bytes_in.get(), sent.size());
    EXPECT_TRUE(echo.connections.wait([&](std::size_t n) { return n >= expected_sessions; }));
    EXPECT_EQ(echo.connections.get(), expected_sessions);
    EXPECT_TRUE(peer.errors.get().empty());

    ASSERT_TRUE(peer.client->stop().is_ok());
    EXPECT_FALSE(peer.client->is_running());
    EXPECT_FALSE(peer.client->is_connected());
    peer.client->wait_for_stop();  // stopped: returns at once

    // wait_for_stop() through the interface blocks until another thread stops the server.
    ASSERT_TRUE(echo.server->is_running());
    std::thread stopper([&] { EXPECT_TRUE(echo.server->stop().is_ok()); });
    echo.server->wait_for_stop();
    stopper.join();
    EXPECT_FALSE(echo.server->is_running());
    EXPECT_TRUE(echo.disconnections.wait([&](std::size_t n) { return n >= expected_sessions; }));
    EXPECT_EQ(echo.server->connection_count(), 0u);
}

template <typename R>
void expect_invalid(const R& r, const std::string& field) {
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::common_errors::invalid_argument);
    EXPECT_NE(r.error().message.find(field), std::string::npos) << r.error().message;
}

}  // namespace

TEST(Facade, TcpExchangeThroughInterfaces) {
    const uint16_t port = free_port(SOCK_STREAM);
    auto server = facade::tcp_facade{}.create_server({port, "", false, {}, {}, {}, "127.0.0.1"});
    ASSERT_TRUE(server.is_ok()) << server.error().message;
    echo_server echo(server.value());
    EXPECT_FALSE(echo.server->is_running());  // the TCP facade does not start servers
    ASSERT_TRUE(echo.server->start(port).is_ok());

    facade::tcp_facade::client_config cc;
    cc.host = "127.0.0.1";
    cc.port = port;
    auto client = facade::tcp_facade{}.create_client(cc);
    ASSERT_TRUE(client.is_ok()) << client.error().message;  // returned connected
    recording_client peer(client.value());
    exchange(echo, peer, 50, 1);
    EXPECT_EQ(peer.disconnected.get(), 1u);
}

TEST(Facade, TlsExchangeThroughInterfaces) {
    if (!std::getenv("NS_TEST_CERTS")) GTEST_SKIP() << "NS_TEST_CERTS is not set (run through ctest)";
    const uint16_t port = free_port(SOCK_STREAM);
    facade::tcp_facade::server_config sc;
    sc.port = port;
    sc.use_ssl = true;
    sc.cert_path = cert("server.pem");
    sc.key_path = cert("server.key");
    sc.tls_version = "1.3";
    sc.bind_address = "127.0.0.1";
    auto server = facade::tcp_facade{}.create_server(sc);
    ASSERT_TRUE(server.is_ok()) << server.error().message;
    echo_server echo(server.value());
    ASSERT_TRUE(echo.server->start(port).is_ok());

    facade::tcp_facade::client_config cc;
    cc.host = "127.0.0.1";
    cc.port = port;
    cc.use_ssl = true;
    cc.ca_cert_path = cert("ca.pem");
    auto client = facade::tcp_facade{}.create_client(cc);
    ASSERT_TRUE(client.is_ok()) << client.error().message;
    recording_client peer(client.value());
    exchange(echo, peer, 50, 1);

    // The certificate is verified: without the CA it is refused.
    cc.ca_cert_path.reset();
    auto refused = facade::tcp_facade{}.create_client(cc);
    ASSERT_TRUE(refused.is_err());
}

TEST(Facade, UdpExchangeThroughInterfaces) {
    const uint16_t port = free_port(SOCK_DGRAM);
    facade::udp_facade::server_config sc;
    sc.port = port;
    sc.bind_address = "127.0.0.1";
    auto server = facade::udp_facade{}.create_server(sc);
    ASSERT_TRUE(server.is_ok()) << server.error().message;
    echo_server echo(server.value());
    EXPECT_TRUE(echo.server->is_running());  // the UDP facade starts servers, as the original

    auto client = facade::udp_facade{}.create_client({"127.0.0.1", port, "udp_peer"});
    ASSERT_TRUE(client.is_ok()) << client.error().message;
    recording_client peer(client.value());
    exchange(echo, peer, 30, 1);  // one remote endpoint = one session
}

TEST(Facade, WebSocketExchangeThroughInterfaces) {
    const uint16_t port = free_port(SOCK_STREAM);
    facade::websocket_facade::server_config sc;
    sc.port = port;
    sc.path = "/chat";
    sc.bind_address = "127.0.0.1";
    auto server = facade::websocket_facade{}.create_server(sc);
    ASSERT_TRUE(server.is_ok()) << server.error().message;
    echo_server echo(server.value());
    ASSERT_TRUE(echo.server->start(port).is_ok());

    facade::websocket_facade::client_config cc;
    cc.path = "/chat";
    auto client = facade::websocket_facade{}.create_client(cc);
    ASSERT_TRUE(client.is_ok()) << client.error().message;
    recording_client peer(client.value());
    ASSERT_TRUE(peer.client->start("127.0.0.1", port).is_ok());
    EXPECT_TRUE(peer.connected.wait([](std::size_t k) { return k == 1; }));  // may run just after start returns
    exchange(echo, peer, 50, 1);
    EXPECT_EQ(peer.disconnected.get(), 1u);
}

TEST(Facade, HttpExchangeThroughInterfaces) {
    const uint16_t port = free_port(SOCK_STREAM);
    facade::http_facade::server_config sc;
    sc.port = port;
    sc.bind_address = "127.0.0.1";
    auto server = facade::http_facade{}.create_server(sc);
    ASSERT_TRUE(server.is_ok()) << server.error().message;
    echo_server echo(server.value());
    ASSERT_TRUE(echo.server->start(port).is_ok());

    facade::http_facade::client_config cc;
    cc.path = "/upload";
    auto client = facade::http_facade{}.create_client(cc);
    ASSERT_TRUE(client.is_ok()) << client.error().message;
    recording_client peer(client.value());
    ASSERT_TRUE(peer.client->start("127.0.0.1", port).is_ok());
    exchange(echo, peer, 20, 20);  // one session per request, answered in order
}

TEST(Facade, QuicExchangeThroughInterfaces) {
    if (!std::getenv("NS_TEST_CERTS")) GTEST_SKIP() << "NS_TEST_CERTS is not set (run through ctest)";
    const uint16_t port = free_port(SOCK_DGRAM);
    facade::quic_facade::server_config sc;
    sc.port = port;
    sc.cert_path = cert("server.pem");
    sc.key_path = cert("server.key");
    sc.alpn = "echo";
    sc.bind_address = "127.0.0.1";
    auto server = facade::quic_facade{}.create_server(sc);
    ASSERT_TRUE(server.is_ok()) << server.error().message;
    echo_server echo(server.value());
    ASSERT_TRUE(echo.server->start(port).is_ok());

    facade::quic_facade::client_config cc;
    cc.host = "127.0.0.1";
    cc.port = port;
    cc.ca_cert_path = cert("ca.pem");
    cc.alpn = "echo";
    auto client = facade::quic_facade{}.create_client(cc);
    ASSERT_TRUE(client.is_ok()) << client.error().message;
    recording_client peer(client.value());
    ASSERT_TRUE(peer.client->start(cc.host, cc.port).is_ok());
    EXPECT_TRUE(peer.connected.wait([](std::size_t k) { return k == 1; }));  // may run just after start returns
    exchange(echo, peer, 50, 1);
}

TEST(Facade, ObserverGetsEveryEventInOrder) {
    const uint16_t port = free_port(SOCK_STREAM);
    auto server = facade::websocket_facade{}.create_server({port, "/", "", "127.0.0.1"});
    ASSERT_TRUE(server.is_ok());
    echo_server echo(server.value());
    ASSERT_TRUE(echo.server->start(port).is_ok());

    auto client = facade::websocket_facade{}.create_client(facade::websocket_facade::client_config{}).value();
    test::watched<std::vector<std::string>> events;
    auto observer = std::make_shared<interfaces::callback_adapter>();
    observer->on_connected([&] { events.update([](auto& e) { e.push_back("connected"); }); })
        .on_receive([&](span<const uint8_t> d) {
            events.update([&](auto& e) { e.push_back(std::string(d.begin(), d.end())); });
        })
        .on_disconnected([&](std::optional<std::string_view> reason) {
            events.update([&](auto& e) { e.push_back("disconnected:" + std::string(reason.value_or(""))); });
        });
    client->set_observer(observer);
    ASSERT_TRUE(client->start("127.0.0.1", port).is_ok());
    ASSERT_TRUE(client->send({'h', 'i'}).is_ok());
    ASSERT_TRUE(events.wait([](const auto& e) { return e.size() >= 2; }));
    ASSERT_TRUE(echo.connections.wait([](std::size_t n) { return n == 1; }));
    {
        std::lock_guard<std::mutex> lock(echo.mutex);
        echo.sessions.begin()->second->close();  // the server closes with 1000
    }
    ASSERT_TRUE(events.wait([](const auto& e) { return e.size() >= 3; }));
    EXPECT_EQ(events.get(), (std::vector<std::string>{"connected", "hi", "disconnected:"}));
    (void)client->stop();
}

TEST(Facade, GeneratedIdsFollowTheOriginalFormat) {
    const uint16_t port = free_port(SOCK_STREAM);
    auto a = facade::tcp_facade{}.create_server({port, "", false, {}, {}, {}, "127.0.0.1"}).value();
    auto b = facade::tcp_facade{}.create_server({port, "", false, {}, {}, {}, "127.0.0.1"}).value();
    auto id = [](const std::shared_ptr<i_protocol_server>& s) {
        return std::dynamic_pointer_cast<facade::detail::tcp_server_adapter>(s)->server()->server_id();
    };
    const std::string ia = id(a), ib = id(b);
    ASSERT_EQ(ia.size(), std::string("tcp_server_").size() + 8) << ia;
    EXPECT_EQ(ia.rfind("tcp_server_", 0), 0u);
    EXPECT_NE(ia, ib);
    EXPECT_EQ(std::stoull(ib.substr(11)), std::stoull(ia.substr(11)) + 1);
    auto named = facade::tcp_facade{}.create_server({port, "mine", false, {}, {}, {}, "127.0.0.1"}).value();
    EXPECT_EQ(id(named), "mine");
}

TEST(Facade, BadConfigurationIsRefusedNamingTheField) {
    facade::tcp_facade tcp;
    facade::tcp_facade::client_config tc;
    expect_invalid(tcp.create_client(tc), "host");
    tc.host = "127.0.0.1";
    expect_invalid(tcp.create_client(tc), "port");
    tc.port = 1;
    tc.timeout = std::chrono::milliseconds(0);
    expect_invalid(tcp.create_client(tc), "timeout");
    facade::tcp_facade::server_config ts;
    expect_invalid(tcp.create_server(ts), "port");
    ts.port = 1;
    ts.use_ssl = true;
    ts.key_path = "key.pem";
    expect_invalid(tcp.create_server(ts), "cert_path");
    ts.cert_path = "cert.pem";
    ts.key_path.reset();
    expect_invalid(tcp.create_server(ts), "key_path");
    ts.key_path = "key.pem";
    ts.tls_version = "9.9";
    expect_invalid(tcp.create_server(ts), "tls_version");
    facade::tcp_facade::pool_config tp;
    expect_invalid(tcp.create_connection_pool(tp), "host");
    tp.host = "127.0.0.1";
    expect_invalid(tcp.create_connection_pool(tp), "port");
    tp.port = 1;
    tp.pool_size = 0;
    expect_invalid(tcp.create_connection_pool(tp), "pool_size");
    tp.pool_size = 1;
    tp.acquire_timeout = std::chrono::seconds(0);
    expect_invalid(tcp.create_connection_pool(tp), "acquire_timeout");

    facade::udp_facade udp;
    facade::udp_facade::client_config uc;
    expect_invalid(udp.create_client(uc), "host");
    uc.host = "127.0.0.1";
    expect_invalid(udp.create_client(uc), "port");
    expect_invalid(udp.create_server(facade::udp_facade::server_config{}), "port");

    facade::websocket_facade ws;
    facade::websocket_facade::client_config wc;
    wc.ping_interval = std::chrono::milliseconds(0);
    expect_invalid(ws.create_client(wc), "ping_interval");
    wc.ping_interval = std::chrono::seconds(1);
    wc.path = "";
    expect_invalid(ws.create_client(wc), "path");
    facade::websocket_facade::server_config wsc;
    expect_invalid(ws.create_server(wsc), "port");
    wsc.port = 1;
    wsc.path = "";
    expect_invalid(ws.create_server(wsc), "path");
    wsc.path = "chat";
    expect_invalid(ws.create_server(wsc), "path");

    facade::http_facade http;
    facade::http_facade::client_config hc;
    hc.timeout = std::chrono::milliseconds(0);
    expect_invalid(http.create_client(hc), "timeout");
    hc.timeout = std::chrono::seconds(1);
    hc.path = "x";
    expect_invalid(http.create_client(hc), "path");
    expect_invalid(http.create_server(facade::http_facade::server_config{}), "port");

    facade::quic_facade quic;
    facade::quic_facade::client_config qc;
    expect_invalid(quic.create_client(qc), "host");
    qc.host = "127.0.0.1";
    expect_invalid(quic.create_client(qc), "port");
    qc.port = 1;
    qc.max_idle_timeout_ms = 0;
    expect_invalid(quic.create_client(qc), "max_idle_timeout_ms");
    facade::quic_facade::server_config qs;
    expect_invalid(quic.create_server(qs), "port");
    qs.port = 1;
    expect_invalid(quic.create_server(qs), "cert_path");
    qs.cert_path = "c.pem";
    expect_invalid(quic.create_server(qs), "key_path");
    qs.key_path = "k.pem";
    qs.max_idle_timeout_ms = 0;
    expect_invalid(quic.create_server(qs), "max_idle_timeout_ms");
    qs.max_idle_timeout_ms = 1000;
    qs.max_connections = 0;
    expect_invalid(quic.create_server(qs), "max_connections");

    // A connect failure is the connect's own code, not the original's blanket -600.
    test::posix::refusing_tcp_port closed;
    tc.port = closed.port();
    tc.timeout = std::chrono::seconds(5);
    auto refused = tcp.create_client(tc);
    ASSERT_TRUE(refused.is_err());
    EXPECT_EQ(refused.error().code, error_codes::network_system::connection_refused);
}

namespace {

/// A TCP (or TLS) echo server counting connections, for the pool tests.
struct pool_echo {
    std::shared_ptr<core::messaging_server> server;
    test::counter connections, disconnections;
    std::mutex mutex;
    std::vector<std::shared_ptr<session::messaging_session>> sessions;

    explicit pool_echo(std::shared_ptr<core::messaging_server> s = std::make_shared<core::messaging_server>("echo", test::loopback()))
        : server(std::move(s)) {
        server->set_connection_callback([this](std::shared_ptr<session::messaging_session> s) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                sessions.push_back(s);
            }
            connections.update([](std::size_t& n) { ++n; });
        });
        server->set_disconnection_callback([this](const std::string&) { disconnections.update([](std::size_t& n) { ++n; }); });
        server->set_receive_callback([](std::shared_ptr<session::messaging_session> s, const std::vector<uint8_t>& d) {
            (void)s->send(std::vector<uint8_t>(d));
        });
        EXPECT_TRUE(server->start_server(0).is_ok());
    }
    ~pool_echo() { (void)server->stop_server(); }

    /// Closes every connection from the server side.
    void kill_all() {
        std::lock_guard<std::mutex> lock(mutex);
        for (auto& s : sessions) s->close();
        sessions.clear();
    }
};

/// Sends `msg` on a lent client and waits for its echo; true when it came back byte for byte.
bool echo_through(core::messaging_client& client, const test::bytes& msg) {
    auto got = std::make_shared<test::watched<test::bytes>>();
    client.set_receive_callback([got](const std::vector<uint8_t>& d) {
        got->update([&](test::bytes& b) { b.insert(b.end(), d.begin(), d.end()); });
    });
    if (client.send_packet(test::bytes(msg)).is_err()) return false;
    const bool whole = got->wait([&](const test::bytes& b) { return b.size() >= msg.size(); });
    return whole && got->get() == msg;
}

}  // namespace

TEST(Pool, FourThreadsShareThreeConnections) {
    pool_echo echo;
    auto pool = facade::tcp_facade{}.create_connection_pool({"127.0.0.1", echo.server->port(), 3, std::chrono::seconds(20)});
    ASSERT_TRUE(pool.is_ok());
    auto p = pool.value();
    EXPECT_EQ(p->acquire(), nullptr);  // not initialised yet
    EXPECT_EQ(p->try_acquire().error().code, error_codes::common_errors::not_initialized);
    ASSERT_TRUE(p->initialize().is_ok());
    ASSERT_TRUE(echo.connections.wait([](std::size_t n) { return n == 3; }));

    std::atomic<int> lent{0}, most{0}, failures{0}, round_trips{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 1000; ++i) {
                auto client = p->acquire();
                if (!client || !client->is_connected()) {
                    ++failures;
                    continue;
                }
                const int now = ++lent;
                for (int m = most.load(); now > m && !most.compare_exchange_weak(m, now);) {
                }
                const std::string text = "thread " + std::to_string(t) + " message " + std::to_string(i);
                if (echo_through(*client, test::bytes(text.begin(), text.end())))
                    ++round_trips;
                else
                    ++failures;
                --lent;
                if (i % 2 == 0) {
                    EXPECT_TRUE(p->release(std::move(client)).is_ok());
                }  // else destroying the unique_ptr gives it back as well
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures.load(), 0);
    EXPECT_EQ(round_trips.load(), 4000);
    EXPECT_LE(most.load(), 3);
    EXPECT_EQ(p->active_count(), 0u);
    EXPECT_EQ(p->pool_size(), 3u);
    EXPECT_EQ(echo.connections.get(), 3u);  // the three connections were reused, never remade
}

TEST(Pool, KilledConnectionIsReplaced) {
    pool_echo echo;
    core::connection_pool pool("127.0.0.1", echo.server->port(), 2, std::chrono::seconds(20));
    ASSERT_TRUE(pool.initialize().is_ok());
    ASSERT_TRUE(echo.connections.wait([](std::size_t n) { return n == 2; }));
    {
        // Both lent while the server kills their connections, so the test sees the clients
        // notice (a pool cannot know before its client does).
        auto a = pool.acquire(), b = pool.acquire();
        ASSERT_NE(a, nullptr);
        ASSERT_NE(b, nullptr);
        test::counter dropped;
        a->set_disconnected_callback([&] { dropped.update([](std::size_t& n) { ++n; }); });
        b->set_disconnected_callback([&] { dropped.update([](std::size_t& n) { ++n; }); });
        echo.kill_all();
        ASSERT_TRUE(dropped.wait([](std::size_t n) { return n == 2; }));
        EXPECT_FALSE(a->is_connected() || b->is_connected());
    }  // both go back broken
    auto a = pool.acquire(), b = pool.acquire();  // each is connected again before it is lent
    ASSERT_NE(a, nullptr);
    ASSERT_NE(b, nullptr);
    EXPECT_TRUE(a->is_connected() && b->is_connected());
    EXPECT_TRUE(echo_through(*a, {1, 2, 3}));
    EXPECT_TRUE(echo_through(*b, {4, 5, 6}));
    a.reset();
    b.reset();
    for (int i = 0; i < 4; ++i) EXPECT_TRUE(echo_through(*pool.acquire(), {static_cast<uint8_t>(i)}));
    EXPECT_EQ(echo.connections.get(), 4u);  // each killed connection was made again, once
}

TEST(Pool, AcquireTimesOutWhenAllAreLent) {
    pool_echo echo;
    core::connection_pool pool("127.0.0.1", echo.server->port(), 1, std::chrono::milliseconds(200));
    ASSERT_TRUE(pool.initialize().is_ok());
    auto held = pool.acquire();
    ASSERT_NE(held, nullptr);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = pool.try_acquire();
    const auto waited = std::chrono::steady_clock::now() - t0;
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::network_system::connection_timeout);
    EXPECT_GE(waited, std::chrono::milliseconds(190));
    EXPECT_EQ(pool.acquire(), nullptr);
    EXPECT_EQ(pool.active_count(), 1u);

    held.reset();
    EXPECT_NE(pool.acquire(), nullptr);

    // A release wakes an acquire that is waiting (else it would give up after 20 s).
    core::connection_pool patient("127.0.0.1", echo.server->port(), 1, std::chrono::seconds(20));
    ASSERT_TRUE(patient.initialize().is_ok());
    auto first = patient.acquire();
    bool got = false;
    std::thread waiter([&] { got = patient.acquire() != nullptr; });
    first.reset();
    waiter.join();
    EXPECT_TRUE(got);
}

TEST(Pool, ReleaseOfAForeignClientIsRefused) {
    pool_echo echo;
    core::connection_pool pool("127.0.0.1", echo.server->port(), 1, std::chrono::seconds(5));
    ASSERT_TRUE(pool.initialize().is_ok());
    core::connection_pool other("127.0.0.1", echo.server->port(), 1, std::chrono::seconds(5));
    ASSERT_TRUE(other.initialize().is_ok());
    EXPECT_EQ(pool.release(nullptr).error().code, error_codes::common_errors::invalid_argument);
    auto stranger = std::make_unique<core::messaging_client>("stranger");
    EXPECT_EQ(pool.release(std::move(stranger)).error().code, error_codes::common_errors::invalid_argument);
    auto from_other = other.acquire();
    ASSERT_NE(from_other, nullptr);
    EXPECT_EQ(pool.release(std::move(from_other)).error().code, error_codes::common_errors::invalid_argument);
    EXPECT_EQ(other.active_count(), 0u);  // the refused client still went home
    EXPECT_EQ(pool.active_count(), 0u);

    core::connection_pool empty("127.0.0.1", echo.server->port(), 0);
    auto r = empty.initialize();
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::common_errors::invalid_argument);
    EXPECT_NE(r.error().message.find("pool_size"), std::string::npos) << r.error().message;
}

TEST(Pool, WorksOverTls) {
    if (!std::getenv("NS_TEST_CERTS")) GTEST_SKIP() << "NS_TEST_CERTS is not set (run through ctest)";
    core::tls_server_options so;
    so.bind_address = "127.0.0.1";
    so.cert_file = cert("server.pem");
    so.key_file = cert("server.key");
    pool_echo echo(std::make_shared<core::secure_messaging_server>("tls_echo", so));
    core::tls_client_options co;
    co.ca_file = cert("ca.pem");
    core::connection_pool pool("127.0.0.1", echo.server->port(), 2, std::chrono::seconds(20), co);
    ASSERT_TRUE(pool.initialize().is_ok());
    for (int i = 0; i < 10; ++i) {
        auto client = pool.acquire();
        ASSERT_NE(client, nullptr);
        EXPECT_TRUE(echo_through(*client, test::bytes(100, static_cast<uint8_t>(i))));
    }
    // Both connections were made (the server may report the second after the client's
    // handshake ended) and none more.
    EXPECT_TRUE(echo.connections.wait([](std::size_t n) { return n >= 2; }));
    EXPECT_EQ(echo.connections.get(), 2u);

    core::tls_client_options untrusting;  // system roots only: the test CA is unknown
    core::connection_pool refused("127.0.0.1", echo.server->port(), 1, std::chrono::seconds(5), untrusting);
    EXPECT_EQ(refused.initialize().error().code, error_codes::network_system::certificate_error);
}

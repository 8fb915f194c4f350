// The unified API: protocol::{tcp,udp,websocket,quic}::{connect, listen} with the
// i_connection / i_listener interfaces, byte for byte.
#include <kcenon/network/protocol/protocol.h>
#include <kcenon/network/unified/unified.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "test_util.h"

using namespace kcenon::network;
using unified::endpoint_info;

namespace {

std::string cert(const std::string& name) {
    const char* d = std::getenv("NS_TEST_CERTS");
    return std::string(d ? d : "") + "/" + name;
}

span<const std::byte> view(const test::bytes& b) {
    return span<const std::byte>(reinterpret_cast<const std::byte*>(b.data()), b.size());
}

/// Records a connection's events.
struct connection_log {
    test::watched<test::bytes> data;
    test::counter disconnected;
    unified::connection_callbacks callbacks() {
        unified::connection_callbacks c;
        c.on_data = [this](span<const std::byte> d) {
            data.update([&](test::bytes& b) {
                const auto* p = reinterpret_cast<const uint8_t*>(d.data());
                b.insert(b.end(), p, p + d.size());
            });
        };
        c.on_disconnected = [this] { disconnected.update([](std::size_t& n) { ++n; }); };
        return c;
    }
};

/// An echo listener: what a connection sends comes back through send_to(id).
struct echo_listener {
    std::unique_ptr<unified::i_listener> listener;
    test::watched<std::vector<std::string>> accepted;
    test::counter disconnects;

    explicit echo_listener(std::unique_ptr<unified::i_listener> l) : listener(std::move(l)) {
        unified::listener_callbacks c;
        c.on_accept = [this](std::string_view id) { accepted.update([&](auto& v) { v.emplace_back(id); }); };
        c.on_data = [this](std::string_view id, span<const std::byte> d) {
            auto* self = listener.get();
            EXPECT_TRUE(self->send_to(id, d).is_ok());
        };
        c.on_disconnect = [this](std::string_view) { disconnects.update([](std::size_t& n) { ++n; }); };
        listener->set_callbacks(std::move(c));
    }
    ~echo_listener() { listener->stop(); }
};

/// Sends messages through `conn` to the echo listener and checks them byte for byte; then the
/// listener closes the connection, broadcasts to nobody and stops.
void round_trip(echo_listener& echo, unified::i_connection& conn, bool connection_oriented) {
    ASSERT_TRUE(conn.is_connected());
    connection_log log;
    conn.set_callbacks(log.callbacks());
    std::mt19937 rng(3);
    test::bytes sent;
    for (int i = 0; i < 30; ++i) {
        auto msg = test::random_bytes(1 + rng() % 1000, rng);
        sent.insert(sent.end(), msg.begin(), msg.end());
        ASSERT_TRUE(conn.send(view(msg)).is_ok());
    }
    ASSERT_TRUE(log.data.wait([&](const test::bytes& b) { return b.size() >= sent.size(); }));
    EXPECT_EQ(log.data.get(), sent);
    ASSERT_EQ(echo.accepted.get().size(), 1u);
    EXPECT_EQ(echo.listener->connection_count(), 1u);
    const std::string id = echo.accepted.get().front();

    // broadcast reaches the connection too.
    const test::bytes hello{'h', 'e', 'y'};
    ASSERT_TRUE(echo.listener->broadcast(view(hello)).is_ok());
    ASSERT_TRUE(log.data.wait([&](const test::bytes& b) { return b.size() >= sent.size() + 3; }));

    if (connection_oriented) {
        echo.listener->close_connection(id);
        EXPECT_TRUE(log.disconnected.wait([](std::size_t n) { return n == 1; }));
        EXPECT_TRUE(echo.disconnects.wait([](std::size_t n) { return n == 1; }));
        conn.wait_for_stop();  // closed by the peer: returns
        EXPECT_FALSE(conn.is_connected());
    } else {
        conn.close();
        EXPECT_FALSE(conn.is_connected());
    }
    EXPECT_EQ(echo.listener->send_to("nobody", view(hello)).error().code, error_codes::network_system::session_not_found);
    echo.listener->stop();
    echo.listener->wait_for_stop();
    EXPECT_FALSE(echo.listener->is_listening());
}

}  // namespace

TEST(Unified, TcpConnectAndListen) {
    echo_listener echo(protocol::tcp::listen(endpoint_info("127.0.0.1", 0)));
    ASSERT_TRUE(echo.listener->is_listening());
    const auto local = echo.listener->local_endpoint();
    EXPECT_EQ(local.host, "127.0.0.1");
    ASSERT_NE(local.port, 0);
    auto conn = protocol::tcp::connect(endpoint_info("127.0.0.1", local.port), "my-client");
    EXPECT_EQ(conn->id(), "my-client");
    EXPECT_EQ(conn->remote_endpoint(), endpoint_info("127.0.0.1", local.port));
    round_trip(echo, *conn, true);
}

TEST(Unified, UdpConnectAndListen) {
    echo_listener echo(protocol::udp::listen(endpoint_info("127.0.0.1", 0)));
    ASSERT_TRUE(echo.listener->is_listening());
    auto conn = protocol::udp::connect("udp://127.0.0.1:" + std::to_string(echo.listener->local_endpoint().port));
    round_trip(echo, *conn, false);
}

TEST(Unified, WebSocketConnectAndListen) {
    echo_listener echo(protocol::websocket::listen(endpoint_info("127.0.0.1", 0), "", "/feed"));
    ASSERT_TRUE(echo.listener->is_listening());
    const std::string url = "ws://127.0.0.1:" + std::to_string(echo.listener->local_endpoint().port);
    auto wrong_path = protocol::websocket::connect(url + "/other");
    EXPECT_FALSE(wrong_path->is_connected());  // the server serves /feed only
    auto conn = protocol::websocket::connect(url + "/feed");
    round_trip(echo, *conn, true);
}

TEST(Unified, QuicConnectAndListen) {
    if (!std::getenv("NS_TEST_CERTS")) GTEST_SKIP() << "NS_TEST_CERTS is not set (run through ctest)";
    core::quic_server_config sc;
    sc.cert_file = cert("server.pem");
    sc.key_file = cert("server.key");
    echo_listener echo(protocol::quic::listen(endpoint_info("127.0.0.1", 0), "", sc));
    ASSERT_TRUE(echo.listener->is_listening());
    core::quic_client_config cc;
    cc.ca_cert_file = cert("ca.pem");
    auto conn = protocol::quic::connect(endpoint_info("127.0.0.1", echo.listener->local_endpoint().port), "", cc);
    round_trip(echo, *conn, true);
}

TEST(Unified, AcceptCallbackHandsOverConnections) {
    auto listener = protocol::tcp::create_listener();
    std::mutex mutex;
    std::vector<std::unique_ptr<unified::i_connection>> accepted;
    listener->set_accept_callback([&](std::unique_ptr<unified::i_connection> c) {
        unified::connection_callbacks cb;
        auto* raw = c.get();
        cb.on_data = [raw](span<const std::byte> d) { EXPECT_TRUE(raw->send(d).is_ok()); };  // echo per connection
        c->set_callbacks(std::move(cb));
        std::lock_guard<std::mutex> lock(mutex);
        accepted.push_back(std::move(c));
    });
    ASSERT_TRUE(listener->start(endpoint_info("127.0.0.1", 0)).is_ok());
    auto conn = protocol::tcp::create_connection();
    connection_log log;
    test::counter connected;
    auto callbacks = log.callbacks();
    callbacks.on_connected = [&] { connected.update([](std::size_t& n) { ++n; }); };
    conn->set_callbacks(callbacks);  // set before connect: on_connected is seen
    ASSERT_TRUE(conn->connect("127.0.0.1:" + std::to_string(listener->local_endpoint().port)).is_ok());
    EXPECT_TRUE(connected.wait([](std::size_t n) { return n == 1; }));  // may run just after connect returns
    const test::bytes msg{1, 2, 3, 4, 5};
    ASSERT_TRUE(conn->send(test::bytes(msg)).is_ok());
    ASSERT_TRUE(log.data.wait([&](const test::bytes& b) { return b.size() >= msg.size(); }));
    EXPECT_EQ(log.data.get(), msg);
    {
        std::lock_guard<std::mutex> lock(mutex);
        ASSERT_EQ(accepted.size(), 1u);
        EXPECT_TRUE(accepted.front()->is_connected());
        EXPECT_EQ(accepted.front()->connect(endpoint_info("127.0.0.1", 1)).error().code,
                  error_codes::common_errors::invalid_argument);
    }
    conn->close();
    listener->stop();
}

TEST(Unified, BadInputIsRefused) {
    auto conn = protocol::tcp::create_connection();
    EXPECT_EQ(conn->connect("no-port-here").error().code, error_codes::common_errors::invalid_argument);
    EXPECT_EQ(conn->connect("tcp://127.0.0.1:99999").error().code, error_codes::common_errors::invalid_argument);
    EXPECT_EQ(conn->connect(endpoint_info("127.0.0.1", 0)).error().code, error_codes::common_errors::invalid_argument);
    EXPECT_EQ(conn->send(test::bytes{1}).error().code, error_codes::network_system::connection_closed);
    EXPECT_FALSE(conn->is_connecting());
    EXPECT_EQ(conn->remote_endpoint(), endpoint_info());

    auto first = protocol::tcp::listen(endpoint_info("127.0.0.1", 0));
    ASSERT_TRUE(first->is_listening());
    auto taken = protocol::tcp::listen(first->local_endpoint());
    EXPECT_FALSE(taken->is_listening());  // the port is taken
    EXPECT_EQ(first->start(endpoint_info("127.0.0.1", 0)).error().code, error_codes::network_system::server_already_running);
}

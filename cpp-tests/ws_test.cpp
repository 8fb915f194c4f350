// WebSocket through the C++ wrapper: messaging_ws_server / messaging_ws_client (ws and wss),
// checked against what a raw RFC 6455 peer on plain POSIX sockets sends and receives.
#include <kcenon/network/core/messaging_ws_client.h>
#include <kcenon/network/core/messaging_ws_server.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "posix_util.h"
#include "test_util.h"

using namespace kcenon::network;
using namespace test::posix;
using core::ws_connection;
using internal::ws_message;
using internal::ws_message_type;

namespace {

constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455 §1.3's example

std::string cert(const std::string& name) {
    const char* d = std::getenv("NS_TEST_CERTS");
    return std::string(d ? d : "") + "/" + name;
}

core::ws_server_config loopback_config() {
    core::ws_server_config c;
    c.port = 0;
    c.bind_address = "127.0.0.1";
    return c;
}

/// Echoes every message back as it came (text as text, binary as binary).
void echo(core::messaging_ws_server& server) {
    server.set_message_callback([](std::shared_ptr<ws_connection> c, const ws_message& m) {
        if (m.type == ws_message_type::text) {
            (void)c->send_text(m.as_text());
        } else {
            (void)c->send_binary(std::vector<uint8_t>(m.data));
        }
    });
}

/// What a client received, in order.
struct client_events {
    test::watched<std::vector<ws_message>> messages;
    test::watched<std::vector<std::pair<uint16_t, std::string>>> closed;
    test::watched<std::vector<int>> errors;

    void attach(core::messaging_ws_client& c) {
        c.set_message_callback([this](const ws_message& m) { messages.update([&](auto& v) { v.push_back(m); }); });
        c.set_disconnected_callback([this](uint16_t code, std::string_view reason) {
            closed.update([&](auto& v) { v.emplace_back(code, std::string(reason)); });
        });
        c.set_error_callback([this](std::error_code e) { errors.update([&](auto& v) { v.push_back(e.value()); }); });
    }
    bool wait_messages(std::size_t n) {
        return messages.wait([n](const std::vector<ws_message>& v) { return v.size() >= n; });
    }
};

/// What a server saw, in order.
struct server_events {
    test::watched<std::vector<std::string>> connected;
    test::watched<std::vector<std::tuple<std::string, uint16_t, std::string>>> closed;
    test::watched<std::vector<int>> errors;

    void attach(core::messaging_ws_server& s) {
        s.set_connection_callback([this](std::shared_ptr<interfaces::i_websocket_session> c) {
            connected.update([&](auto& v) { v.emplace_back(c->id()); });
        });
        s.set_disconnection_callback([this](std::string_view id, uint16_t code, std::string_view reason) {
            closed.update([&](auto& v) { v.emplace_back(std::string(id), code, std::string(reason)); });
        });
        s.set_error_callback([this](std::string_view, std::error_code e) {
            errors.update([&](auto& v) { v.push_back(e.value()); });
        });
    }
    bool wait_closed(std::size_t n) {
        return closed.wait([n](const auto& v) { return v.size() >= n; });
    }
};

std::string printable(std::size_t n, std::mt19937& rng) {
    std::string s(n, ' ');
    for (auto& ch : s) ch = static_cast<char>('!' + rng() % 90);
    return s;
}

/// Sends text and binary messages of every length class and checks each echo byte for byte.
void echo_every_size(core::messaging_ws_client& client, client_events& ev) {
    std::mt19937 rng(7);
    std::size_t expected = 0;
    for (std::size_t n : {0u, 1u, 125u, 126u, 65535u, 65536u, 1u << 20}) {
        std::string text = printable(n, rng);
        test::bytes binary = test::random_bytes(n, rng);
        ASSERT_TRUE(client.send_text(std::string(text)).is_ok()) << n;
        ASSERT_TRUE(client.send_binary(test::bytes(binary)).is_ok()) << n;
        expected += 2;
        ASSERT_TRUE(ev.wait_messages(expected)) << n;
        auto got = ev.messages.get();
        const ws_message& t = got[expected - 2];
        const ws_message& b = got[expected - 1];
        EXPECT_EQ(t.type, ws_message_type::text) << n;
        EXPECT_TRUE(t.as_text() == text) << n;
        EXPECT_EQ(b.type, ws_message_type::binary) << n;
        EXPECT_TRUE(b.data == binary) << n;
    }
}

/// A raw RFC 6455 client on a POSIX socket: writes frames as given, reads the server's frames.
class raw_peer {
public:
    explicit raw_peer(uint16_t port) : fd_(connect_loopback(port)) {}

    /// Sends `request` and returns the response head (through the blank line).
    std::string request(const std::string& request) {
        write_all(fd_.get(), test::bytes(request.begin(), request.end()));
        std::string head;
        while (head.find("\r\n\r\n") == std::string::npos) {
            auto b = read_exactly(fd_.get(), 1);
            if (b.empty()) break;
            head.push_back(static_cast<char>(b[0]));
        }
        return head;
    }

    /// Completes the opening handshake on `path`.
    bool open(const std::string& path = "/") {
        return request("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: " + kKey + "\r\nSec-WebSocket-Version: 13\r\n\r\n")
                   .rfind("HTTP/1.1 101 ", 0) == 0;
    }

    /// One frame; `first` is the first header byte (FIN, RSV, opcode).
    static test::bytes frame(uint8_t first, const test::bytes& payload, bool masked = true) {
        test::bytes f{first};
        const uint8_t mask_bit = masked ? 0x80 : 0;
        if (payload.size() < 126) {
            f.push_back(static_cast<uint8_t>(mask_bit | payload.size()));
        } else if (payload.size() < 65536) {
            f.push_back(mask_bit | 126);
            for (int s = 8; s >= 0; s -= 8) f.push_back(static_cast<uint8_t>(payload.size() >> s));
        } else {
            f.push_back(mask_bit | 127);
            for (int s = 56; s >= 0; s -= 8) f.push_back(static_cast<uint8_t>(static_cast<uint64_t>(payload.size()) >> s));
        }
        const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
        if (masked) f.insert(f.end(), key, key + 4);
        for (std::size_t i = 0; i < payload.size(); ++i) f.push_back(masked ? payload[i] ^ key[i % 4] : payload[i]);
        return f;
    }

    bool send(const test::bytes& raw) { return write_all(fd_.get(), raw); }

    /// The next frame from the server: opcode (-1 on EOF/timeout) and payload.
    std::pair<int, test::bytes> read_frame() {
        auto h = read_exactly(fd_.get(), 2);
        if (h.size() != 2) return {-1, {}};
        uint64_t len = h[1] & 0x7f;
        if (len >= 126) {
            auto ext = read_exactly(fd_.get(), len == 126 ? 2 : 8);
            len = 0;
            for (auto b : ext) len = (len << 8) | b;
        }
        auto payload = read_exactly(fd_.get(), static_cast<std::size_t>(len));
        if (payload.size() != len) return {-1, {}};
        return {h[0] & 0x0f, payload};
    }

    int fd() const { return fd_.get(); }

private:
    fd_guard fd_;
};

test::bytes bytes_of(const std::string& s) { return test::bytes(s.begin(), s.end()); }

uint16_t close_code_of(const test::bytes& payload) {
    return payload.size() >= 2 ? static_cast<uint16_t>(payload[0] << 8 | payload[1]) : 0;
}

}  // namespace

TEST(Ws, EchoEveryLengthClassTextAndBinary) {
    core::messaging_ws_server server("ws");
    echo(server);
    ASSERT_TRUE(server.start_server(loopback_config()).is_ok());
    client_events ev;
    core::messaging_ws_client client("c");
    ev.attach(client);
    ASSERT_TRUE(client.start_client("127.0.0.1", server.port(), "/").is_ok());
    echo_every_size(client, ev);
    EXPECT_EQ(server.stats().messages_in, 14u);
}

TEST(Ws, SecureEchoEveryLengthClass) {
    core::tls_server_settings tls;
    tls.cert_file = cert("server.pem");
    tls.key_file = cert("server.key");
    core::secure_ws_server server("wss", tls);
    echo(server);
    ASSERT_TRUE(server.start_server(loopback_config()).is_ok());

    core::tls_client_settings trust;
    trust.use_system_roots = false;
    trust.ca_file = cert("ca.pem");
    client_events ev;
    core::secure_ws_client client("c", trust);
    ev.attach(client);
    ASSERT_TRUE(client.start_client("127.0.0.1", server.port()).is_ok());
    echo_every_size(client, ev);

    // A plaintext client gets nothing from a wss server; a client trusting other roots is refused.
    core::messaging_ws_client plain("p");
    core::ws_client_config quick;
    quick.host = "127.0.0.1";
    quick.port = server.port();
    quick.connect_timeout = std::chrono::milliseconds(2000);
    EXPECT_TRUE(plain.start_client(quick).is_err());
    core::secure_ws_client untrusting("u", core::tls_client_settings{});
    auto refused = untrusting.start_client("127.0.0.1", server.port());
    ASSERT_TRUE(refused.is_err());
    EXPECT_EQ(refused.error().code, error_codes::network_system::certificate_error);
    // A secure server without a certificate does not start in plaintext.
    core::secure_ws_server no_cert("nc");
    auto r = no_cert.start_server(loopback_config());
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::network_system::certificate_error);
}

TEST(Ws, SixteenFragmentsOfAMegabyteAreDeliveredOnceWhole) {
    test::watched<std::vector<ws_message>> got;
    core::messaging_ws_server server("ws");
    server.set_message_callback([&](std::shared_ptr<ws_connection>, const ws_message& m) {
        got.update([&](auto& v) { v.push_back(m); });
    });
    ASSERT_TRUE(server.start_server(loopback_config()).is_ok());
    raw_peer peer(server.port());
    ASSERT_TRUE(peer.open());
    std::mt19937 rng(11);
    const test::bytes whole = test::random_bytes(1u << 20, rng);
    const std::size_t part = whole.size() / 16;
    for (std::size_t i = 0; i < 16; ++i) {
        const uint8_t opcode = i == 0 ? 0x2 : 0x0;
        const uint8_t fin = i == 15 ? 0x80 : 0x00;
        test::bytes piece(whole.begin() + static_cast<long>(i * part), whole.begin() + static_cast<long>((i + 1) * part));
        ASSERT_TRUE(peer.send(raw_peer::frame(static_cast<uint8_t>(fin | opcode), piece)));
    }
    ASSERT_TRUE(peer.send(raw_peer::frame(0x81, bytes_of("after"))));
    ASSERT_TRUE(got.wait([](const auto& v) { return v.size() >= 2; }));
    auto v = got.get();
    ASSERT_EQ(v.size(), 2u);  // one message for the 16 fragments, then the next one
    EXPECT_EQ(v[0].type, ws_message_type::binary);
    EXPECT_TRUE(v[0].data == whole);
    EXPECT_EQ(v[1].as_text(), "after");
}

TEST(Ws, BroadcastReachesThreeClients) {
    server_events sev;
    core::messaging_ws_server server("ws");
    sev.attach(server);
    ASSERT_TRUE(server.start_server(loopback_config()).is_ok());
    std::vector<std::unique_ptr<client_events>> events;  // outlive the clients' last callbacks
    std::vector<std::unique_ptr<core::messaging_ws_client>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<core::messaging_ws_client>("c" + std::to_string(i)));
        events.push_back(std::make_unique<client_events>());
        events.back()->attach(*clients.back());
        ASSERT_TRUE(clients.back()->start_client("127.0.0.1", server.port()).is_ok());
    }
    // The client returns on the 101 response; the server registers the connection just after.
    ASSERT_TRUE(sev.connected.wait([](const auto& v) { return v.size() == 3; }));
    ASSERT_EQ(server.connection_count(), 3u);
    EXPECT_EQ(server.get_all_connections().size(), 3u);
    server.broadcast_text("to everyone");
    server.broadcast_binary({1, 2, 3});
    for (auto& ev : events) {
        ASSERT_TRUE(ev->wait_messages(2));
        auto m = ev->messages.get();
        EXPECT_EQ(m[0].as_text(), "to everyone");
        EXPECT_EQ(m[1].data, (test::bytes{1, 2, 3}));
    }
}

TEST(Ws, CloseCodeAndReasonAreSeenOnBothSides) {
    server_events sev;
    core::messaging_ws_server server("ws");
    sev.attach(server);
    ASSERT_TRUE(server.start_server(loopback_config()).is_ok());

    // Client-initiated.
    client_events cev;
    core::messaging_ws_client client("c");
    cev.attach(client);
    ASSERT_TRUE(client.start_client("127.0.0.1", server.port()).is_ok());
    ASSERT_TRUE(client.close(4001, "bye now").is_ok());
    ASSERT_TRUE(cev.closed.wait([](const auto& v) { return !v.empty(); }));
    EXPECT_EQ(cev.closed.get()[0], (std::pair<uint16_t, std::string>(4001, "bye now")));
    ASSERT_TRUE(sev.wait_closed(1));
    EXPECT_EQ(std::get<1>(sev.closed.get()[0]), 4001);
    EXPECT_EQ(std::get<2>(sev.closed.get()[0]), "bye now");
    client.wait_for_stop();  // it stops after its connection closed
    auto late = client.send_text("late");
    ASSERT_TRUE(late.is_err());
    EXPECT_EQ(late.error().code, error_codes::network_system::connection_closed);

    // Server-initiated, through the connection object.
    client_events cev2;
    core::messaging_ws_client second("c2");
    cev2.attach(second);
    ASSERT_TRUE(second.start_client("127.0.0.1", server.port()).is_ok());
    ASSERT_TRUE(sev.connected.wait([](const auto& v) { return v.size() == 2; }));
    auto ids = server.get_all_connections();
    ASSERT_EQ(ids.size(), 1u);
    auto conn = server.get_connection(ids[0]);
    ASSERT_NE(conn, nullptr);
    EXPECT_EQ(conn->path(), "/");
    conn->close(4002, "server says bye");
    ASSERT_TRUE(cev2.closed.wait([](const auto& v) { return !v.empty(); }));
    EXPECT_EQ(cev2.closed.get()[0], (std::pair<uint16_t, std::string>(4002, "server says bye")));
    ASSERT_TRUE(sev.wait_closed(2));
    EXPECT_EQ(std::get<1>(sev.closed.get()[1]), 4002);
    EXPECT_FALSE(conn->is_connected());
    EXPECT_TRUE(conn->send_text("gone").is_err());
}

TEST(Ws, PingIsAnsweredByExactlyOnePong) {
    core::messaging_ws_server server("ws");
    echo(server);
    auto config = loopback_config();
    config.ping_interval = std::chrono::milliseconds(0);  // no keep-alive pings of its own
    ASSERT_TRUE(server.start_server(config).is_ok());
    raw_peer peer(server.port());
    ASSERT_TRUE(peer.open());
    ASSERT_TRUE(peer.send(raw_peer::frame(0x89, bytes_of("are you there"))));
    ASSERT_TRUE(peer.send(raw_peer::frame(0x81, bytes_of("marker"))));
    auto first = peer.read_frame();
    auto second = peer.read_frame();
    EXPECT_EQ(first.first, 0xA);
    EXPECT_EQ(first.second, bytes_of("are you there"));
    EXPECT_EQ(second.first, 0x1);  // the echo, no ping in between (the original sent one)
    EXPECT_EQ(second.second, bytes_of("marker"));
}

TEST(Ws, KeepAliveClosesASilentPeer) {
    server_events sev;
    core::messaging_ws_server server("ws");
    sev.attach(server);
    auto config = loopback_config();
    config.ping_interval = std::chrono::milliseconds(50);
    config.pong_timeout = std::chrono::milliseconds(200);
    ASSERT_TRUE(server.start_server(config).is_ok());
    raw_peer silent(server.port());  // completes the handshake, then never answers
    ASSERT_TRUE(silent.open());
    ASSERT_TRUE(sev.wait_closed(1));
    EXPECT_EQ(std::get<1>(sev.closed.get()[0]), 1006);
    auto errors = sev.errors.get();
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], error_codes::network_system::connection_timeout);
}

TEST(Ws, BadHandshakesGetTheirHttpStatusAndOthersKeepWorking) {
    core::messaging_ws_server server("ws");
    echo(server);
    auto config = loopback_config();
    config.path = "/chat";
    ASSERT_TRUE(server.start_server(config).is_ok());
    client_events ev;
    core::messaging_ws_client client("c");
    ev.attach(client);
    ASSERT_TRUE(client.start_client("127.0.0.1", server.port(), "/chat").is_ok());

    auto upgrade = [](const std::string& path, const std::string& key, const std::string& version) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " +
               key + "\r\nSec-WebSocket-Version: " + version + "\r\n\r\n";
    };
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"GET /chat HTTP/1.1\r\nHost: x\r\n\r\n", "426"},  // plain HTTP, no upgrade
        {upgrade("/elsewhere", kKey, "13"), "404"},        // the original upgraded any path
        {upgrade("/chat", "short", "13"), "400"},
        {upgrade("/chat", kKey, "8"), "400"},
        {"POST /chat HTTP/1.1\r\nHost: x\r\n\r\n", "400"},
    };
    for (const auto& [request, status] : cases) {
        raw_peer peer(server.port());
        const std::string head = peer.request(request);
        EXPECT_EQ(head.rfind("HTTP/1.1 " + status + " ", 0), 0u) << request << " -> " << head;
        EXPECT_TRUE(reads_to_close(peer.fd())) << request;  // then the server closes
    }
    // The wrong path through our own client: refused, nothing connected.
    core::messaging_ws_client lost("l");
    auto r = lost.start_client("127.0.0.1", server.port(), "/elsewhere");
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::network_system::connection_refused);
    ASSERT_TRUE(client.send_text("still here").is_ok());
    ASSERT_TRUE(ev.wait_messages(1));
    EXPECT_EQ(ev.messages.get()[0].as_text(), "still here");
}

TEST(Ws, ProtocolViolationsCloseWithTheirCodeAndOthersKeepWorking) {
    server_events sev;
    core::messaging_ws_server server("ws");
    echo(server);
    sev.attach(server);
    auto config = loopback_config();
    config.max_message_size = 1000;
    ASSERT_TRUE(server.start_server(config).is_ok());
    client_events ev;
    core::messaging_ws_client bystander("b");
    ev.attach(bystander);
    ASSERT_TRUE(bystander.start_client("127.0.0.1", server.port()).is_ok());

    test::bytes reserved = raw_peer::frame(0x81, bytes_of("hi"));
    reserved[0] |= 0x40;
    const std::vector<std::tuple<std::string, test::bytes, uint16_t, int>> cases = {
        {"unmasked", raw_peer::frame(0x81, bytes_of("hi"), false), 1002, error_codes::network_system::protocol_error},
        {"reserved bit", reserved, 1002, error_codes::network_system::protocol_error},
        {"opcode 3", raw_peer::frame(0x83, bytes_of("x")), 1002, error_codes::network_system::protocol_error},
        {"ping of 126 bytes", raw_peer::frame(0x89, test::bytes(126, 0)), 1002, error_codes::network_system::protocol_error},
        {"bad UTF-8", raw_peer::frame(0x81, test::bytes{0xff, 0xfe}), 1007, error_codes::network_system::protocol_error},
        {"over the limit", raw_peer::frame(0x82, test::bytes(1001, 0)), 1009,
         error_codes::network_system::message_too_large},
    };
    std::size_t n = 0;
    for (const auto& [name, bytes, code, error] : cases) {
        raw_peer peer(server.port());
        ASSERT_TRUE(peer.open()) << name;
        ASSERT_TRUE(peer.send(bytes)) << name;
        auto reply = peer.read_frame();
        EXPECT_EQ(reply.first, 0x8) << name;
        EXPECT_EQ(close_code_of(reply.second), code) << name;
        ++n;
        ASSERT_TRUE(sev.wait_closed(n)) << name;
        EXPECT_EQ(std::get<1>(sev.closed.get()[n - 1]), code) << name;
        EXPECT_EQ(sev.errors.get().back(), error) << name;
    }
    ASSERT_TRUE(bystander.send_text("fine").is_ok());
    ASSERT_TRUE(ev.wait_messages(1));
    EXPECT_EQ(ev.messages.get()[0].as_text(), "fine");
}

TEST(Ws, APeerThatStopsReadingGets643AndMemoryStaysBounded) {
    test::watched<std::shared_ptr<interfaces::i_websocket_session>> session;
    core::messaging_ws_server server("ws");
    server.set_connection_callback([&](std::shared_ptr<interfaces::i_websocket_session> s) {
        session.update([&](auto& v) { v = s; });
    });
    auto config = loopback_config();
    config.send_queue_limit = 1u << 20;
    ASSERT_TRUE(server.start_server(config).is_ok());
    raw_peer peer(server.port());  // never reads after the handshake
    ASSERT_TRUE(peer.open());
    ASSERT_TRUE(session.wait([](const auto& s) { return s != nullptr; }));
    auto conn = session.get();
    int code = 0;
    for (int i = 0; i < 10000 && code == 0; ++i) {
        auto r = conn->send_binary(test::bytes(64 * 1024, 7));
        if (r.is_err()) code = r.error().code;
    }
    EXPECT_EQ(code, error_codes::network_system::send_queue_full);
    EXPECT_LE(server.stats().queued_bytes, (1u << 20) + 64 * 1024);
}

TEST(Ws, BadArgumentsAndSendBeforeConnect) {
    core::messaging_ws_client client("c");
    auto r = client.send_text("nobody");
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::network_system::connection_closed);
    EXPECT_EQ(client.send_binary({1}).error().code, error_codes::network_system::connection_closed);
    EXPECT_EQ(client.start_client("", 80).error().code, error_codes::common_errors::invalid_argument);
    EXPECT_EQ(client.start_client("127.0.0.1", 0).error().code, error_codes::common_errors::invalid_argument);
    EXPECT_EQ(client.start_client("127.0.0.1", 80, "no-slash").error().code, error_codes::common_errors::invalid_argument);
    core::messaging_ws_server server("ws");
    auto config = loopback_config();
    config.max_connections = 0;
    EXPECT_EQ(server.start_server(config).error().code, error_codes::common_errors::invalid_argument);
    config.max_connections = 1;
    config.subprotocols = {"not a token"};
    EXPECT_EQ(server.start_server(config).error().code, error_codes::common_errors::invalid_argument);
    EXPECT_FALSE(server.is_running());
}

TEST(Ws, ConnectionLimitOriginsSubprotocolsAndHeaders) {
    server_events sev;
    core::messaging_ws_server server("ws");
    echo(server);
    sev.attach(server);
    auto config = loopback_config();
    config.max_connections = 1;
    config.subprotocols = {"chat.v2", "chat.v1"};
    config.allowed_origins = {"https://good.example"};
    ASSERT_TRUE(server.start_server(config).is_ok());

    core::ws_client_config cc;
    cc.host = "127.0.0.1";
    cc.port = server.port();
    cc.subprotocols = {"chat.v1"};
    cc.origin = "https://good.example";
    cc.headers = {{"Authorization", "Bearer token"}};
    core::messaging_ws_client first("first");
    ASSERT_TRUE(first.start_client(cc).is_ok());
    auto conn = first.connection();
    ASSERT_NE(conn, nullptr);
    EXPECT_EQ(conn->subprotocol(), "chat.v1");

    core::messaging_ws_client second("second");  // over the limit: HTTP 503
    auto r = second.start_client(cc);
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::network_system::connection_refused);
    EXPECT_TRUE(sev.errors.wait([](const auto& v) {
        return !v.empty() && v.back() == error_codes::network_system::session_limit_reached;
    }));
    ASSERT_TRUE(first.stop_client().is_ok());
    ASSERT_TRUE(sev.wait_closed(1));

    cc.origin = "https://evil.example";  // HTTP 403
    core::messaging_ws_client evil("evil");
    EXPECT_EQ(evil.start_client(cc).error().code, error_codes::network_system::connection_refused);
    cc.headers = {{"Bad Header", "x"}};
    EXPECT_EQ(evil.start_client(cc).error().code, error_codes::common_errors::invalid_argument);
}

TEST(Ws, HundredClientsAgainstOneServer) {
    server_events sev;
    core::messaging_ws_server server("ws");
    echo(server);
    sev.attach(server);
    ASSERT_TRUE(server.start_server(loopback_config()).is_ok());
    std::vector<std::unique_ptr<client_events>> events;  // outlive the clients' last callbacks
    std::vector<std::unique_ptr<core::messaging_ws_client>> clients;
    for (int i = 0; i < 100; ++i) {
        clients.push_back(std::make_unique<core::messaging_ws_client>("c" + std::to_string(i)));
        events.push_back(std::make_unique<client_events>());
        events.back()->attach(*clients.back());
        ASSERT_TRUE(clients.back()->start_client("127.0.0.1", server.port()).is_ok()) << i;
    }
    ASSERT_TRUE(sev.connected.wait([](const auto& v) { return v.size() == 100; }));
    EXPECT_EQ(server.connection_count(), 100u);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(clients[static_cast<std::size_t>(i)]->send_text("hello " + std::to_string(i)).is_ok());
    for (int i = 0; i < 100; ++i) {
        ASSERT_TRUE(events[static_cast<std::size_t>(i)]->wait_messages(1)) << i;
        EXPECT_EQ(events[static_cast<std::size_t>(i)]->messages.get()[0].as_text(), "hello " + std::to_string(i));
    }
    EXPECT_EQ(server.stats().connections_total, 100u);
}

TEST(Ws, ALongRequestPathIsReportedWhole) {
    test::watched<std::string> path;
    core::messaging_ws_server server("ws");
    server.set_connection_callback([&](std::shared_ptr<interfaces::i_websocket_session> c) {
        path.update([&](std::string& p) { p = std::string(c->path()); });
    });
    auto config = loopback_config();
    config.path = "/" + std::string(1000, 'p');  // beyond the first, stack-sized read
    ASSERT_TRUE(server.start_server(config).is_ok());
    core::messaging_ws_client client("c");
    ASSERT_TRUE(client.start_client("127.0.0.1", server.port(), config.path).is_ok());
    ASSERT_TRUE(path.wait([](const std::string& p) { return !p.empty(); }));
    EXPECT_EQ(path.get(), config.path);
}

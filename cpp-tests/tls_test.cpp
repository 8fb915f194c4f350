// TLS through the C++ wrapper: secure_messaging_server / secure_messaging_client with the
// original's constructors, certificates made at test time by rcgen (examples/make_test_certs,
// run as a ctest fixture; NS_TEST_CERTS names the directory).
#include <kcenon/network/core/secure_messaging_client.h>
#include <kcenon/network/core/secure_messaging_server.h>
#include <kcenon/network/core/messaging_client.h>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "test_util.h"

using namespace kcenon::network;
using session_ptr = std::shared_ptr<session::secure_session>;

namespace {

std::string certs_dir() {
    const char* d = std::getenv("NS_TEST_CERTS");
    return d ? d : "";
}
std::string cert(const std::string& name) { return certs_dir() + "/" + name; }
std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

core::tls_server_options server_opts(const std::string& name = "server", framing f = framing::raw) {
    core::tls_server_options o;
    o.bind_address = "127.0.0.1";
    o.framing = f;
    o.cert_file = cert(name + ".pem");
    o.key_file = cert(name + ".key");
    return o;
}

core::tls_client_options client_opts(framing f = framing::raw) {
    core::tls_client_options o;
    o.use_system_roots = false;
    o.ca_file = cert("ca.pem");
    o.framing = f;
    return o;
}

/// A TLS echo server recording errors and accepted sessions.
struct tls_echo {
    std::shared_ptr<core::secure_messaging_server> server;
    test::watched<std::vector<int>> errors;
    test::watched<std::vector<session_ptr>> sessions;

    explicit tls_echo(const core::tls_server_options& o)
        : server(std::make_shared<core::secure_messaging_server>("tls", o)) {
        server->set_receive_callback([](session_ptr s, const std::vector<uint8_t>& d) { s->send_packet(std::vector<uint8_t>(d)); });
        server->set_error_callback([this](session_ptr, std::error_code ec) { errors.update([&](auto& v) { v.push_back(ec.value()); }); });
        server->set_connection_callback([this](session_ptr s) { sessions.update([&](auto& v) { v.push_back(s); }); });
        auto r = server->start_server(0);
        EXPECT_TRUE(r.is_ok()) << r.error().message;
    }
    ~tls_echo() { server->stop_server(); }
    bool wait_error(int code) {
        return errors.wait([code](const auto& v) { return std::find(v.begin(), v.end(), code) != v.end(); });
    }
};

/// A TLS client collecting what it receives.
struct tls_client {
    std::shared_ptr<core::secure_messaging_client> client;
    test::watched<test::bytes> data;
    test::watched<std::vector<test::bytes>> messages;
    explicit tls_client(const core::tls_client_options& o)
        : client(std::make_shared<core::secure_messaging_client>("c", o)) {
        client->set_receive_callback([this](const std::vector<uint8_t>& d) {
            data.update([&](test::bytes& b) { b.insert(b.end(), d.begin(), d.end()); });
            messages.update([&](auto& m) { m.push_back(d); });
        });
    }
    ~tls_client() { client->stop_client(); }
};

class Tls : public ::testing::Test {
protected:
    void SetUp() override {
        if (certs_dir().empty()) GTEST_SKIP() << "NS_TEST_CERTS is not set (run through ctest)";
    }
};

}  // namespace

TEST_F(Tls, OriginalConstructorsEchoByteExactRawAndFramed) {
    for (auto mode : {framing::raw, framing::length_prefixed}) {
        // The original's constructor, then the loopback bind address and framing.
        auto server = std::make_shared<core::secure_messaging_server>("S", cert("server.pem"), cert("server.key"));
        core::server_options so = test::loopback(mode);
        ASSERT_TRUE(server->set_options(so).is_ok());
        server->set_receive_callback([](std::shared_ptr<session::secure_session> s, const std::vector<uint8_t>& d) {
            s->send_packet(std::vector<uint8_t>(d));
        });
        ASSERT_TRUE(server->start_server(0).is_ok());

        tls_client c(client_opts(mode));
        auto r = c.client->start_client("127.0.0.1", server->port());
        ASSERT_TRUE(r.is_ok()) << r.error().message;
        EXPECT_TRUE(c.client->is_connected()) << "start_client returns after the handshake";
        EXPECT_EQ(c.client->tls_version(), "TLSv1.3");

        std::mt19937 rng(mode == framing::raw ? 1 : 2);
        test::bytes sent;
        for (int i = 0; i < 12; ++i) {
            auto msg = test::random_bytes(1 + rng() % (1 << 20), rng);
            const std::size_t before = sent.size();
            sent.insert(sent.end(), msg.begin(), msg.end());
            ASSERT_TRUE(c.client->send_packet(test::bytes(msg)).is_ok());
            if (mode == framing::length_prefixed) {
                const std::size_t count = static_cast<std::size_t>(i) + 1;
                ASSERT_TRUE(c.messages.wait([&](const auto& m) { return m.size() >= count; }));
                EXPECT_TRUE(c.messages.get().back() == msg) << "message " << i;
            }
            ASSERT_TRUE(c.data.wait([&](const test::bytes& b) { return b.size() >= before + msg.size(); }));
        }
        EXPECT_TRUE(c.data.get() == sent);
        server->stop_server();
    }
}

TEST_F(Tls, VersionsAndAlpnAreVisible) {
    auto o = server_opts();
    o.versions = core::tls_versions::tls12_only;
    o.alpn = {"h2", "ns/1"};
    tls_echo echo(o);
    auto co = client_opts();
    co.alpn = {"ns/1"};
    tls_client c(co);
    ASSERT_TRUE(c.client->start_client("127.0.0.1", echo.server->port()).is_ok());
    EXPECT_EQ(c.client->tls_version(), "TLSv1.2");
    EXPECT_EQ(c.client->alpn_protocol(), "ns/1");
    ASSERT_TRUE(echo.sessions.wait([](const auto& v) { return v.size() == 1; }));
    EXPECT_EQ(echo.sessions.get().front()->tls_version(), "TLSv1.2");
    EXPECT_EQ(echo.sessions.get().front()->alpn_protocol(), "ns/1");

    auto o13 = server_opts();
    o13.versions = core::tls_versions::tls13_only;
    tls_echo echo13(o13);
    auto co12 = client_opts();
    co12.versions = core::tls_versions::tls12_only;
    tls_client old(co12);
    auto r = old.client->start_client("127.0.0.1", echo13.server->port());
    EXPECT_EQ(r.error().code, error_codes::network_system::tls_handshake_failed) << r.error().message;
}

TEST_F(Tls, MissingOrGarbledCertificateFailsStartWith606NamingTheFile) {
    core::secure_messaging_server missing("m", "/nonexistent/cert.pem", cert("server.key"));
    ASSERT_TRUE(missing.set_options(test::loopback()).is_ok());
    auto r = missing.start_server(0);
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::network_system::certificate_error);
    EXPECT_NE(r.error().message.find("/nonexistent/cert.pem"), std::string::npos) << r.error().message;

    core::secure_messaging_server garbled("g", cert("server.pem"), cert("ca.pem"));  // a certificate as key
    ASSERT_TRUE(garbled.set_options(test::loopback()).is_ok());
    r = garbled.start_server(0);
    EXPECT_EQ(r.error().code, error_codes::network_system::certificate_error) << r.error().message;
    EXPECT_NE(r.error().message.find("ca.pem"), std::string::npos) << r.error().message;
    EXPECT_FALSE(garbled.is_running());
}

TEST_F(Tls, RefusedServerCertificatesNothingSent) {
    struct refused {
        const char* server;
        const char* reason;
    };
    for (auto [name, reason] : {refused{"untrusted", "untrusted"}, refused{"expired", "expired"},
                                refused{"wrong_name", "name"}}) {
        tls_echo echo(server_opts(name));
        tls_client c(client_opts());
        auto r = c.client->start_client("127.0.0.1", echo.server->port());
        ASSERT_TRUE(r.is_err()) << name;
        EXPECT_EQ(r.error().code, error_codes::network_system::certificate_error) << name;
        EXPECT_NE(r.error().message.find(reason), std::string::npos) << r.error().message;
        EXPECT_FALSE(c.client->is_connected());
        EXPECT_EQ(c.client->send_packet(test::bytes{1}).error().code, error_codes::network_system::connection_closed);
        EXPECT_TRUE(echo.sessions.get().empty()) << "the server never saw a session";
    }
}

TEST_F(Tls, PinningAcceptsThePinAndRefusesOthers) {
    tls_echo echo(server_opts());
    auto good = client_opts();
    good.pins_sha256 = {slurp(cert("server.sha256"))};
    tls_client ok(good);
    ASSERT_TRUE(ok.client->start_client("127.0.0.1", echo.server->port()).is_ok());

    auto bad = client_opts();
    bad.pins_sha256 = {std::string(64, '0')};
    tls_client refused(bad);
    auto r = refused.client->start_client("127.0.0.1", echo.server->port());
    EXPECT_EQ(r.error().code, error_codes::network_system::certificate_error);
    EXPECT_NE(r.error().message.find("pin"), std::string::npos) << r.error().message;
}

TEST_F(Tls, VerifyCertFalseAcceptsAnyCertificate) {
    tls_echo echo(server_opts("untrusted"));
    core::secure_messaging_client client("insecure", false);  // the original's signature
    test::watched<test::bytes> got;
    client.set_receive_callback([&](const std::vector<uint8_t>& d) {
        got.update([&](test::bytes& b) { b.insert(b.end(), d.begin(), d.end()); });
    });
    ASSERT_TRUE(client.start_client("127.0.0.1", echo.server->port()).is_ok());
    ASSERT_TRUE(client.send_packet(test::bytes{'o', 'k'}).is_ok());
    ASSERT_TRUE(got.wait([](const test::bytes& b) { return b.size() >= 2; }));
    client.stop_client();
}

TEST_F(Tls, HandshakeTimeoutWhenThePeerNeverAnswers) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(fd, 4), 0);  // the kernel accepts; nobody ever answers
    socklen_t len = sizeof a;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    auto o = client_opts();
    o.handshake_timeout = std::chrono::milliseconds(300);
    tls_client c(o);
    auto r = c.client->start_client("127.0.0.1", ntohs(a.sin_port));
    EXPECT_EQ(r.error().code, error_codes::network_system::connection_timeout) << r.error().message;
    ::close(fd);
}

TEST_F(Tls, PlaintextClientIsClosedWith605AndOthersAreServed) {
    tls_echo echo(server_opts());
    core::messaging_client plain("plain");
    test::counter up;
    plain.set_connected_callback([&] { up.update([](std::size_t& n) { ++n; }); });
    ASSERT_TRUE(plain.start_client("127.0.0.1", echo.server->port()).is_ok());
    ASSERT_TRUE(up.wait([](std::size_t n) { return n == 1; }));
    ASSERT_TRUE(plain.send_packet(test::bytes{'G', 'E', 'T', ' ', '/', '\r', '\n', '\r', '\n'}).is_ok());
    ASSERT_TRUE(echo.wait_error(error_codes::network_system::tls_handshake_failed));
    plain.wait_for_stop();  // closed by the server

    tls_client c(client_opts());
    ASSERT_TRUE(c.client->start_client("127.0.0.1", echo.server->port()).is_ok());
    ASSERT_TRUE(c.client->send_packet(test::bytes{'h', 'i'}).is_ok());
    ASSERT_TRUE(c.data.wait([](const test::bytes& b) { return b.size() >= 2; }));
}

TEST_F(Tls, MutualTlsAcceptsAClientCertificateAndRefusesNone) {
    auto o = server_opts();
    o.client_ca_file = cert("ca.pem");
    tls_echo echo(o);
    auto with = client_opts();
    with.cert_file = cert("client.pem");
    with.key_file = cert("client.key");
    tls_client good(with);
    ASSERT_TRUE(good.client->start_client("127.0.0.1", echo.server->port()).is_ok());
    ASSERT_TRUE(good.client->send_packet(test::bytes{'m'}).is_ok());
    ASSERT_TRUE(good.data.wait([](const test::bytes& b) { return b.size() >= 1; }));
    ASSERT_TRUE(echo.sessions.wait([](const auto& v) { return v.size() == 1; }));

    tls_client anonymous(client_opts());
    (void)anonymous.client->start_client("127.0.0.1", echo.server->port());  // TLS 1.3: may look done
    ASSERT_TRUE(echo.wait_error(error_codes::network_system::certificate_error));
    anonymous.client->wait_for_stop();  // refused: the connection ends
    EXPECT_EQ(echo.sessions.get().size(), 1u) << "no session for the client without a certificate";
}

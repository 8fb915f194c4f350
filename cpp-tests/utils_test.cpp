// Resilience and observability: resilient_client (reconnect with backoff, circuit breaker)
// and health_monitor (heartbeats with a deadline) over our clients.
#include <kcenon/network/core/messaging_server.h>
#include <kcenon/network/utils/health_monitor.h>
#include <kcenon/network/utils/resilient_client.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "test_util.h"

using namespace kcenon::network;

namespace {

/// A TCP server on 127.0.0.1 that records what it receives and, when `echo`, sends it back.
struct recording_server {
    std::shared_ptr<core::messaging_server> server = std::make_shared<core::messaging_server>("srv", test::loopback());
    test::watched<test::bytes> received;

    explicit recording_server(bool echo, unsigned short port = 0) {
        server->set_receive_callback([this, echo](std::shared_ptr<session::messaging_session> s, const std::vector<uint8_t>& d) {
            received.update([&](test::bytes& b) { b.insert(b.end(), d.begin(), d.end()); });
            if (echo) (void)s->send(std::vector<uint8_t>(d));
        });
        EXPECT_TRUE(server->start_server(port).is_ok());
    }
    ~recording_server() { (void)server->stop_server(); }
    unsigned short port() const { return server->port(); }
};

test::bytes text(const std::string& s) { return test::bytes(s.begin(), s.end()); }

}  // namespace

TEST(Resilience, ReconnectsAfterTheServerRestartsOnTheSamePort) {
    auto first = std::make_unique<recording_server>(true);
    const unsigned short port = first->port();
    utils::resilient_client rc("rc", "127.0.0.1", port, 3, std::chrono::milliseconds(10));
    test::watched<test::bytes> echoed;
    rc.get_client()->set_receive_callback([&](const std::vector<uint8_t>& d) {
        echoed.update([&](test::bytes& b) { b.insert(b.end(), d.begin(), d.end()); });
    });
    test::counter drops;
    rc.set_disconnect_callback([&] { drops.update([](std::size_t& n) { ++n; }); });

    ASSERT_TRUE(rc.connect().is_ok());
    EXPECT_TRUE(rc.is_connected());
    ASSERT_TRUE(rc.send_with_retry(text("one")).is_ok());
    ASSERT_TRUE(echoed.wait([](const test::bytes& b) { return b.size() >= 3; }));

    first.reset();  // the server goes away; the client sees its connection drop
    ASSERT_TRUE(drops.wait([](std::size_t n) { return n >= 1; }));
    EXPECT_FALSE(rc.is_connected());
    recording_server second(true, port);  // back on the same port

    ASSERT_TRUE(rc.send_with_retry(text("two")).is_ok());  // reconnects, then sends
    ASSERT_TRUE(second.received.wait([](const test::bytes& b) { return b.size() >= 3; }));
    EXPECT_EQ(second.received.get(), text("two"));
    ASSERT_TRUE(echoed.wait([](const test::bytes& b) { return b.size() >= 6; }));
    EXPECT_EQ(echoed.get(), text("onetwo"));
    EXPECT_EQ(rc.circuit_state(), utils::circuit_state::closed);
}

TEST(Resilience, BreakerOpensAfterFailuresAndClosesAfterTrials) {
    unsigned short port = 0;
    {
        recording_server gone(false);
        port = gone.port();
    }  // nothing listens there now
    utils::circuit_breaker_config breaker;
    breaker.failure_threshold = 3;
    breaker.success_threshold = 2;
    breaker.timeout = std::chrono::milliseconds(100);
    utils::resilient_client rc("rc", "127.0.0.1", port, 2, std::chrono::milliseconds(1), breaker);
    test::watched<std::vector<size_t>> retries;
    rc.set_reconnect_callback([&](size_t attempt) { retries.update([&](auto& v) { v.push_back(attempt); }); });

    auto r = rc.connect();  // attempts 1 and 2 both refused: two failures
    ASSERT_TRUE(r.is_err());
    EXPECT_EQ(r.error().code, error_codes::network_system::connection_refused);
    EXPECT_EQ(retries.get(), std::vector<size_t>{1});
    EXPECT_EQ(rc.circuit_state(), utils::circuit_state::closed);
    r = rc.connect();  // the third failure opens the breaker
    EXPECT_EQ(rc.circuit_state(), utils::circuit_state::open);
    EXPECT_EQ(rc.connect().error().code, error_codes_ext::network_system::circuit_open);
    EXPECT_EQ(rc.send_with_retry(text("x")).error().code, error_codes_ext::network_system::circuit_open);

    recording_server back(true, port);
    std::this_thread::sleep_for(breaker.timeout);  // the breaker's own timeout must pass
    ASSERT_TRUE(rc.connect().is_ok());             // half-open trial 1
    EXPECT_EQ(rc.circuit_state(), utils::circuit_state::half_open);
    ASSERT_TRUE(rc.send_with_retry(text("ok")).is_ok());  // trial 2 closes it
    EXPECT_EQ(rc.circuit_state(), utils::circuit_state::closed);
    EXPECT_TRUE(back.received.wait([](const test::bytes& b) { return b.size() == 2; }));
}

TEST(Health, ReportsASilentPeerDead) {
    recording_server silent(false);
    auto client = std::make_shared<core::messaging_client>("c");
    ASSERT_TRUE(client->start_client("127.0.0.1", silent.port()).is_ok());
    utils::health_monitor monitor(std::chrono::milliseconds(40), 2);
    test::watched<std::vector<utils::connection_health>> reports;
    monitor.set_health_callback([&](const utils::connection_health& h) { reports.update([&](auto& v) { v.push_back(h); }); });
    monitor.start_monitoring(client);
    EXPECT_TRUE(monitor.is_monitoring());
    ASSERT_TRUE(reports.wait([](const auto& v) { return !v.empty() && !v.back().is_alive; }));
    const auto last = reports.get().back();
    EXPECT_GE(last.missed_heartbeats, 2u);
    EXPECT_GT(last.packet_loss_rate, 0.0);
    EXPECT_FALSE(monitor.get_health().is_alive);
    monitor.stop_monitoring();
    EXPECT_FALSE(monitor.is_monitoring());
    // What the peer got: whole heartbeats, the original's 4 bytes each.
    const auto got = silent.received.get();
    ASSERT_GE(got.size(), 8u);
    ASSERT_EQ(got.size() % 4, 0u);
    for (std::size_t i = 0; i < got.size(); i += 4) EXPECT_EQ(test::bytes(got.begin() + i, got.begin() + i + 4), (test::bytes{0xFF, 0xFE, 0x01, 0x00}));
    (void)client->stop_client();
}

TEST(Health, AnAnsweringPeerStaysAlive) {
    recording_server echo(true);
    auto client = std::make_shared<core::messaging_client>("c");
    client->set_receive_callback([](const std::vector<uint8_t>&) {});
    ASSERT_TRUE(client->start_client("127.0.0.1", echo.port()).is_ok());
    utils::health_monitor monitor(std::chrono::milliseconds(200), 3);
    test::watched<std::vector<utils::connection_health>> reports;
    monitor.set_health_callback([&](const utils::connection_health& h) { reports.update([&](auto& v) { v.push_back(h); }); });
    monitor.start_monitoring(client);
    ASSERT_TRUE(reports.wait([](const auto& v) { return v.size() >= 3; }));
    monitor.stop_monitoring();
    for (const auto& h : reports.get()) EXPECT_TRUE(h.is_alive);
    EXPECT_EQ(monitor.get_health().missed_heartbeats, 0u);
    EXPECT_LE(monitor.get_health().last_response_time, std::chrono::milliseconds(200));
    (void)client->stop_client();
}

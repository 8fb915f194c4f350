// Metrics: the process-wide snapshot counts exactly what a TCP echo and HTTP requests carried
// (live and after the objects are gone), its Prometheus text says the same, and the original's
// histogram, sliding_histogram and metric_reporter work as documented.
#include <kcenon/network/core/messaging_client.h>
#include <kcenon/network/core/messaging_server.h>
#include <kcenon/network/internal/http/http_client.h>
#include <kcenon/network/internal/http/http_server.h>
#include <kcenon/network/metrics/metrics.h>

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "test_util.h"

using namespace kcenon::network;
using namespace std::chrono_literals;

namespace {

/// The growth of every counter between two entries (gauges too: they are absolute).
network_stats delta(const network_stats& a, const network_stats& b) {
    return network_stats{b.connections_total - a.connections_total, b.active_connections - a.active_connections,
                         b.connections_rejected - a.connections_rejected, b.messages_in - a.messages_in,
                         b.messages_out - a.messages_out, b.bytes_in - a.bytes_in, b.bytes_out - a.bytes_out,
                         b.queued_bytes - a.queued_bytes, b.errors - a.errors, b.dropped - a.dropped,
                         b.writes - a.writes};
}

/// The Prometheus sample line `name{protocol="p",role="r"} value`.
std::string sample(const std::string& name, const char* p, const char* r, std::uint64_t value) {
    return "\n" + name + "{protocol=\"" + p + "\",role=\"" + r + "\"} " + std::to_string(value) + "\n";
}

}  // namespace

TEST(Metrics, ProcessSnapshotCountsTcpAndHttpExactly) {
    using metrics::protocol;
    using metrics::role;
    const auto before = metrics::snapshot();
    const auto tcp_server0 = before.entry(protocol::tcp, role::server);
    const auto tcp_client0 = before.entry(protocol::tcp, role::client);
    const auto http_server0 = before.entry(protocol::http, role::server);
    const auto http_client0 = before.entry(protocol::http, role::client);
    const auto connects0 = before.latency_ms(metrics::latency::connect).count;
    const auto http_requests0 = before.latency_ms(metrics::latency::http_client_request).count;
    const auto http_served0 = before.latency_ms(metrics::latency::http_server_request).count;

    std::uint64_t tcp_bytes = 0;
    std::uint64_t http_bytes = 0;
    {
        // TCP: 20 framed messages of 1…20 bytes, echoed.
        auto server = std::make_shared<core::messaging_server>("metrics", test::loopback(framing::length_prefixed));
        server->set_receive_callback([](std::shared_ptr<session::messaging_session> s, const std::vector<uint8_t>& d) {
            s->send_packet(std::vector<uint8_t>(d));
        });
        ASSERT_TRUE(server->start_server(0).is_ok());
        core::client_options co;
        co.framing = framing::length_prefixed;
        auto client = std::make_shared<core::messaging_client>("metrics", co);
        test::counter echoed;
        client->set_receive_callback([&](const std::vector<uint8_t>&) { echoed.update([](std::size_t& n) { ++n; }); });
        test::counter connected;
        client->set_connected_callback([&] { connected.update([](std::size_t& n) { ++n; }); });
        ASSERT_TRUE(client->start_client("127.0.0.1", server->port()).is_ok());
        ASSERT_TRUE(connected.wait([](std::size_t n) { return n == 1; }));
        for (std::uint8_t i = 1; i <= 20; ++i) {
            ASSERT_TRUE(client->send_packet(std::vector<uint8_t>(i, i)).is_ok());
            tcp_bytes += i;
        }
        ASSERT_TRUE(echoed.wait([](std::size_t n) { return n == 20; }));

        // HTTP: three POSTs echoed, one request to a closed port.
        auto http = std::make_shared<core::http_server>("metrics");
        http->post("/echo", [](const core::http_request_context& ctx) {
            internal::http_response r;
            r.status_code = 200;
            r.set_body_string(ctx.request.get_body_string());
            return r;
        });
        http->set_bind_address("127.0.0.1");
        ASSERT_TRUE(http->start(0).is_ok());
        core::http_client http_client(5000ms);
        const std::string url = "http://127.0.0.1:" + std::to_string(http->port()) + "/echo";
        for (const std::string body : {"a", "bb", "ccc"}) {
            auto resp = http_client.post(url, body);
            ASSERT_TRUE(resp.is_ok()) << resp.error().message;
            EXPECT_EQ(resp.value().get_body_string(), body);
            http_bytes += body.size();
        }
        EXPECT_TRUE(http_client.get("http://127.0.0.1:1/").is_err());

        const auto during = metrics::snapshot();
        const auto tcp_server = during.entry(protocol::tcp, role::server);
        const auto tcp_client = during.entry(protocol::tcp, role::client);
        EXPECT_EQ(tcp_server.objects, tcp_server0.objects + 1);
        EXPECT_EQ(tcp_client.objects_created, tcp_client0.objects_created + 1);
        const auto ts = delta(tcp_server0.stats, tcp_server.stats);
        EXPECT_EQ(ts.connections_total, 1u);
        EXPECT_EQ(ts.active_connections, 1u);
        EXPECT_EQ(ts.messages_in, 20u);
        EXPECT_EQ(ts.messages_out, 20u);
        EXPECT_EQ(ts.bytes_in, tcp_bytes);
        EXPECT_EQ(ts.bytes_out, tcp_bytes);
        const auto tc = delta(tcp_client0.stats, tcp_client.stats);
        EXPECT_EQ(tc.connections_total, 1u);
        EXPECT_EQ(tc.messages_out, 20u);
        EXPECT_EQ(tc.bytes_in, tcp_bytes);
        // The per-object counters agree with the process-wide ones.
        EXPECT_EQ(server->stats().bytes_in, ts.bytes_in);
        EXPECT_EQ(client->stats().bytes_out, tc.bytes_out);

        const auto hs = delta(http_server0.stats, during.entry(protocol::http, role::server).stats);
        EXPECT_EQ(hs.messages_in, 3u);  // requests
        EXPECT_EQ(hs.messages_out, 3u);
        EXPECT_EQ(hs.bytes_in, http_bytes);
        EXPECT_EQ(hs.bytes_out, http_bytes);
        const auto hc = delta(http_client0.stats, during.entry(protocol::http, role::client).stats);
        EXPECT_EQ(hc.messages_out, 4u);
        EXPECT_EQ(hc.bytes_out, http_bytes);
        EXPECT_EQ(hc.messages_in, 3u);
        EXPECT_EQ(hc.bytes_in, http_bytes);
        EXPECT_EQ(hc.errors, 1u);  // the refused request
        EXPECT_EQ(http_client.stats().errors, 1u);

        const auto connect = during.latency_ms(metrics::latency::connect);
        EXPECT_EQ(connect.count, connects0 + 1);
        EXPECT_GT(connect.max_value, 0.0);
        EXPECT_LE(connect.percentiles.at(0.5), connect.max_value);
        EXPECT_EQ(during.latency_ms(metrics::latency::http_client_request).count, http_requests0 + 4);
        EXPECT_EQ(during.latency_ms(metrics::latency::http_server_request).count, http_served0 + 3);

        const std::string text = during.to_prometheus();
        EXPECT_NE(text.find(sample("network_bytes_received_total", "tcp", "server", tcp_server.stats.bytes_in)),
                  std::string::npos)
            << text;
        EXPECT_NE(text.find(sample("network_objects", "tcp", "server", tcp_server.objects)), std::string::npos);
        EXPECT_NE(text.find("\nnetwork_http_server_request_duration_seconds_count " +
                            std::to_string(http_served0 + 3) + "\n"),
                  std::string::npos);
        EXPECT_NE(text.find("network_connect_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(connects0 + 1)),
                  std::string::npos);

        client->stop_client();
        EXPECT_TRUE(server->stop_server().is_ok());
        EXPECT_TRUE(http->stop().is_ok());
    }
    // Gone: no live objects, the counters stay.
    const auto after = metrics::snapshot();
    const auto tcp_server = after.entry(protocol::tcp, role::server);
    EXPECT_EQ(tcp_server.objects, tcp_server0.objects);
    EXPECT_EQ(tcp_server.objects_created, tcp_server0.objects_created + 1);
    EXPECT_EQ(delta(tcp_server0.stats, tcp_server.stats).bytes_in, tcp_bytes);
    EXPECT_EQ(tcp_server.stats.active_connections, tcp_server0.stats.active_connections);
    EXPECT_EQ(delta(http_client0.stats, after.entry(protocol::http, role::client).stats).bytes_in, http_bytes);
    EXPECT_EQ(after.stats(protocol::all, role::all).bytes_in,
              after.stats(protocol::all, role::server).bytes_in + after.stats(protocol::all, role::client).bytes_in);
}

TEST(Metrics, HistogramPercentilesAndExport) {
    metrics::histogram h(metrics::histogram_config{{1.0, 10.0, 100.0}});
    EXPECT_EQ(h.percentile(0.5), 0.0);
    EXPECT_TRUE(std::isinf(h.min()));
    for (int i = 1; i <= 100; ++i) h.record(static_cast<double>(i));  // 1…100
    h.record(std::nan(""));                                             // ignored
    EXPECT_EQ(h.count(), 100u);
    EXPECT_DOUBLE_EQ(h.sum(), 5050.0);
    EXPECT_DOUBLE_EQ(h.mean(), 50.5);
    EXPECT_DOUBLE_EQ(h.min(), 1.0);
    EXPECT_DOUBLE_EQ(h.max(), 100.0);
    const auto buckets = h.buckets();  // ≤1: 1, ≤10: 10, ≤100: 100, +inf: 100
    ASSERT_EQ(buckets.size(), 4u);
    EXPECT_EQ(buckets[0], std::make_pair(1.0, std::uint64_t{1}));
    EXPECT_EQ(buckets[1].second, 10u);
    EXPECT_EQ(buckets[2].second, 100u);
    EXPECT_TRUE(std::isinf(buckets[3].first));
    // The median lies in (10, 100]: 50 of the 90 observations there, linearly → 10 + 90·40/90.
    EXPECT_NEAR(h.p50(), 50.0, 1e-9);
    EXPECT_LE(h.p99(), 100.0);
    EXPECT_GE(h.p99(), h.p95());

    const auto snap = h.snapshot({{"path", "/x"}});
    const std::string text = snap.to_prometheus("req_ms");
    EXPECT_NE(text.find("# TYPE req_ms histogram\n"), std::string::npos);
    EXPECT_NE(text.find("req_ms_bucket{path=\"/x\",le=\"10\"} 10\n"), std::string::npos) << text;
    EXPECT_NE(text.find("req_ms_bucket{path=\"/x\",le=\"+Inf\"} 100\n"), std::string::npos);
    EXPECT_NE(text.find("req_ms_sum{path=\"/x\"} 5050\n"), std::string::npos);
    EXPECT_NE(text.find("req_ms_count{path=\"/x\"} 100\n"), std::string::npos);
    const std::string json = snap.to_json();
    EXPECT_EQ(json.rfind("{\"count\":100,\"sum\":5050,\"min\":1,\"max\":100,", 0), 0u) << json;
    EXPECT_NE(json.find("{\"le\":\"+Inf\",\"count\":100}"), std::string::npos);
    EXPECT_NE(json.find("\"labels\":{\"path\":\"/x\"}"), std::string::npos);

    metrics::histogram moved(std::move(h));
    EXPECT_EQ(moved.count(), 100u);
    moved.reset();
    EXPECT_EQ(moved.count(), 0u);
    EXPECT_EQ(moved.buckets()[2].second, 0u);
}

TEST(Metrics, SlidingHistogramForgetsWhatLeftTheWindow) {
    metrics::sliding_histogram_config cfg{metrics::histogram_config::default_latency_config(), 1s, 2};
    metrics::sliding_histogram window(cfg);
    window.record(3.0);
    window.record(5.0);
    EXPECT_EQ(window.count(), 2u);
    EXPECT_DOUBLE_EQ(window.mean(), 4.0);
    // The stimulus is time itself: after the 1 s window these observations no longer count.
    std::this_thread::sleep_for(1100ms);
    EXPECT_EQ(window.count(), 0u);
    window.record(7.0);
    EXPECT_EQ(window.count(), 1u);
    EXPECT_DOUBLE_EQ(window.snapshot().max_value, 7.0);
    EXPECT_EQ(window.window_duration(), 1s);
}

TEST(Metrics, ReporterValuesReachTheHistogramsAndThePrometheusText) {
    using metrics::metric_reporter;
    metric_reporter::reset_histograms();
    for (const double ms : {1.0, 2.0, 3.0, 4.0}) metric_reporter::record_latency(ms);
    metric_reporter::record_connection_time(12.0);
    metric_reporter::report_connection_failed("refused");
    metric_reporter::report_connection_failed("refused");
    metric_reporter::report_bytes_sent(1234);
    metric_reporter::report_active_connections(3);
    const auto all = metric_reporter::get_all_histograms();
    ASSERT_EQ(all.count(metrics::metric_names::LATENCY_HISTOGRAM), 1u);
    EXPECT_EQ(all.at(metrics::metric_names::LATENCY_HISTOGRAM).count, 4u);
    EXPECT_DOUBLE_EQ(all.at(metrics::metric_names::LATENCY_HISTOGRAM).sum, 10.0);
    EXPECT_LE(metric_reporter::get_latency_p99(), 4.0);
    EXPECT_GE(metric_reporter::get_latency_p50(), 1.0);
    EXPECT_DOUBLE_EQ(metric_reporter::get_connection_time_p99(), 12.0);  // one value: min = max
    const std::string text = metrics::snapshot().to_prometheus();
    EXPECT_NE(text.find("\napp_network_connections_failed{reason=\"refused\"} 2\n"), std::string::npos) << text;
    EXPECT_NE(text.find("\napp_network_bytes_sent 1234\n"), std::string::npos);
    EXPECT_NE(text.find("\napp_network_connections_active 3\n"), std::string::npos);
    EXPECT_NE(text.find("\napp_network_latency_histogram_count 4\n"), std::string::npos);
    EXPECT_NE(text.find("\napp_network_latency_ms 4\n"), std::string::npos);
    metric_reporter::reset_histograms();
    EXPECT_EQ(metric_reporter::get_all_histograms().at(metrics::metric_names::LATENCY_HISTOGRAM).count, 0u);
}

// The process-wide metrics snapshot (an extension; the original only has metric_reporter):
// the counters of every server and client of the process — live ones and those already
// destroyed — by protocol and role, and the library's latency histograms, at one moment.
#pragma once

#include <kcenon/network/detail/c_api.h>
#include <kcenon/network/detail/metrics/histogram.h>
#include <kcenon/network/detail/metrics/network_metrics.h>
#include <memory>
#include <string>

namespace kcenon::network::metrics {

/// The protocol of a server or client; `tls` = a TCP one with TLS options.
enum class protocol : std::int32_t {
    all = NS_METRICS_ALL_PROTOCOLS,
    tcp = NS_METRICS_TCP,
    tls = NS_METRICS_TLS,
    udp = NS_METRICS_UDP,
    dtls = NS_METRICS_DTLS,
    websocket = NS_METRICS_WEBSOCKET,
    http = NS_METRICS_HTTP,
    quic = NS_METRICS_QUIC,
};

enum class role : std::int32_t {
    all = NS_METRICS_ALL_ROLES,
    server = NS_METRICS_SERVER,
    client = NS_METRICS_CLIENT,
};

/// The library's latency histograms.
enum class latency : std::int32_t {
    connect = NS_METRICS_LATENCY_CONNECT,                          ///< client connection set-up, handshakes included
    http_client_request = NS_METRICS_LATENCY_HTTP_CLIENT_REQUEST,  ///< until the whole response
    http_server_request = NS_METRICS_LATENCY_HTTP_SERVER_REQUEST,  ///< request head → response ready
};

/// Counters of one protocol and role.
struct metrics_entry {
    network_stats stats;           ///< gauges (active connections, queued bytes) of live objects only
    std::uint64_t objects = 0;     ///< servers/clients that exist now
    std::uint64_t objects_created = 0;
};

/// One consistent reading of everything; cheap to take (it reads counters the objects keep
/// anyway), callable from any thread.
class process_snapshot {
public:
    /// Takes a snapshot now.
    static process_snapshot take() {
        ns_metrics_snapshot* raw = nullptr;
        ns_metrics_snapshot_new(&raw);  // fails only for a NULL out pointer
        return process_snapshot(raw);
    }

    metrics_entry entry(protocol p = protocol::all, role r = role::all) const {
        ns_stats s{};
        s.struct_size = sizeof(s);
        metrics_entry e;
        if (ns_metrics_snapshot_stats(handle_.get(), static_cast<std::int32_t>(p), static_cast<std::int32_t>(r), &s,
                                      &e.objects, &e.objects_created) == NS_OK) {
            e.stats = network::detail::to_stats(s);
        }
        return e;
    }

    /// Shorthand for entry(p, r).stats.
    network_stats stats(protocol p = protocol::all, role r = role::all) const { return entry(p, r).stats; }

    /// A latency histogram in milliseconds, as the original's histogram_snapshot (bounds 0.1 ms
    /// … 10 s and +inf; percentiles interpolated inside buckets).
    histogram_snapshot latency_ms(latency which) const {
        ns_latency_histogram h{};
        h.struct_size = sizeof(h);
        if (ns_metrics_snapshot_latency(handle_.get(), static_cast<std::int32_t>(which), &h) != NS_OK) return {};
        std::vector<double> bounds;
        std::vector<std::uint64_t> counts;
        for (std::size_t i = 0; i < NS_METRICS_LATENCY_BUCKETS; ++i) {
            if (i + 1 < NS_METRICS_LATENCY_BUCKETS) bounds.push_back(static_cast<double>(h.bucket_bounds_us[i]) / 1000.0);
            counts.push_back(h.buckets[i]);
        }
        const double inf = std::numeric_limits<double>::infinity();
        return detail::make_snapshot(bounds, counts, static_cast<double>(h.sum_ns) / 1e6,
                                     h.count == 0 ? inf : static_cast<double>(h.min_ns) / 1e6,
                                     h.count == 0 ? -inf : static_cast<double>(h.max_ns) / 1e6, {});
    }

    /// The Prometheus text exposition: the library's counters (network_*{protocol,role}) and
    /// latency histograms (seconds), then what the application reported through
    /// metric_reporter (app_*).
    std::string to_prometheus() const {
        const char* text = nullptr;
        std::size_t len = 0;
        std::string out;
        if (ns_metrics_snapshot_prometheus(handle_.get(), &text, &len) == NS_OK) out.assign(text, len);
        return out + detail::reported_prometheus();
    }

private:
    explicit process_snapshot(ns_metrics_snapshot* raw) : handle_(raw, &ns_metrics_snapshot_free) {}

    std::shared_ptr<ns_metrics_snapshot> handle_;
};

/// process_snapshot::take().
inline process_snapshot snapshot() { return process_snapshot::take(); }

}  // namespace kcenon::network::metrics

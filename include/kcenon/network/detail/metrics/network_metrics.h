// The original's metric names and metric_reporter, header-only. What the application reports
// through metric_reporter is kept in process-wide counters and histograms and appears in
// metrics::process_snapshot::to_prometheus() with the prefix "app_" (names with '.' → '_'); the
// library's own counters need no reporting (see metrics/snapshot.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <kcenon/network/detail/metrics/histogram.h>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace kcenon::network::metrics {

namespace metric_names {
constexpr const char* CONNECTIONS_ACTIVE = "network.connections.active";
constexpr const char* CONNECTIONS_TOTAL = "network.connections.total";
constexpr const char* CONNECTIONS_FAILED = "network.connections.failed";
constexpr const char* BYTES_SENT = "network.bytes.sent";
constexpr const char* BYTES_RECEIVED = "network.bytes.received";
constexpr const char* PACKETS_SENT = "network.packets.sent";
constexpr const char* PACKETS_RECEIVED = "network.packets.received";
constexpr const char* LATENCY_MS = "network.latency.ms";
constexpr const char* THROUGHPUT_MBPS = "network.throughput.mbps";
constexpr const char* SESSION_DURATION_MS = "network.session.duration.ms";
constexpr const char* ERRORS_TOTAL = "network.errors.total";
constexpr const char* TIMEOUTS_TOTAL = "network.timeouts.total";
constexpr const char* SERVER_START_TIME = "network.server.start_time.ms";
constexpr const char* SERVER_ACCEPT_COUNT = "network.server.accept.count";
constexpr const char* SERVER_ACCEPT_FAILED = "network.server.accept.failed";
constexpr const char* LATENCY_HISTOGRAM = "network.latency.histogram";
constexpr const char* CONNECTION_TIME_HISTOGRAM = "network.connection_time.histogram";
constexpr const char* REQUEST_DURATION_HISTOGRAM = "network.request_duration.histogram";
}  // namespace metric_names

namespace detail {

/// What the application reported through metric_reporter (one per process).
struct reported_metrics {
    std::atomic<std::uint64_t> connections_accepted{0};
    std::atomic<std::uint64_t> bytes_sent{0};
    std::atomic<std::uint64_t> bytes_received{0};
    std::atomic<std::uint64_t> timeouts{0};
    std::atomic<std::uint64_t> active_connections{0};
    std::atomic<double> last_latency_ms{0.0};
    std::atomic<double> last_session_duration_ms{0.0};
    std::mutex labelled_lock;
    std::map<std::string, std::uint64_t> failures_by_reason;  ///< under labelled_lock
    std::map<std::string, std::uint64_t> errors_by_type;      ///< under labelled_lock
    histogram latency;
    histogram connection_time;
    histogram request_duration;

    static reported_metrics& get() {
        static reported_metrics instance;
        return instance;
    }
};

/// A metric_names entry as a Prometheus name with the "app_" prefix.
inline std::string app_name(const char* dotted) {
    std::string out = "app_";
    for (const char* c = dotted; *c != '\0'; ++c) out += *c == '.' ? '_' : *c;
    return out;
}

/// Prometheus label value escaping.
inline std::string label_value(const std::string& v) {
    std::string out;
    for (const char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

/// The reported metrics in the Prometheus text format.
inline std::string reported_prometheus() {
    auto& r = reported_metrics::get();
    std::string out;
    const auto sample = [&out](const char* dotted, const char* type, const std::string& value) {
        const auto name = app_name(dotted);
        out += "# TYPE " + name + " " + type + "\n" + name + " " + value + "\n";
    };
    sample(metric_names::CONNECTIONS_TOTAL, "counter", std::to_string(r.connections_accepted.load()));
    sample(metric_names::CONNECTIONS_ACTIVE, "gauge", std::to_string(r.active_connections.load()));
    sample(metric_names::BYTES_SENT, "counter", std::to_string(r.bytes_sent.load()));
    sample(metric_names::BYTES_RECEIVED, "counter", std::to_string(r.bytes_received.load()));
    sample(metric_names::TIMEOUTS_TOTAL, "counter", std::to_string(r.timeouts.load()));
    sample(metric_names::LATENCY_MS, "gauge", number_text(r.last_latency_ms.load()));
    sample(metric_names::SESSION_DURATION_MS, "gauge", number_text(r.last_session_duration_ms.load()));
    {
        std::lock_guard<std::mutex> lock(r.labelled_lock);
        for (const auto& [dotted, label, values] :
             {std::make_tuple(metric_names::CONNECTIONS_FAILED, "reason", &r.failures_by_reason),
              std::make_tuple(metric_names::ERRORS_TOTAL, "type", &r.errors_by_type)}) {
            const auto name = app_name(dotted);
            out += "# TYPE " + name + " counter\n";
            for (const auto& [key, n] : *values) {
                out += name + "{" + label + "=\"" + label_value(key) + "\"} " + std::to_string(n) + "\n";
            }
        }
    }
    out += r.latency.snapshot().to_prometheus(app_name(metric_names::LATENCY_HISTOGRAM));
    out += r.connection_time.snapshot().to_prometheus(app_name(metric_names::CONNECTION_TIME_HISTOGRAM));
    out += r.request_duration.snapshot().to_prometheus(app_name(metric_names::REQUEST_DURATION_HISTOGRAM));
    return out;
}

}  // namespace detail

/// Application-side reporting, as in the original (values in milliseconds).
class metric_reporter {
public:
    static void report_connection_accepted() { ++detail::reported_metrics::get().connections_accepted; }
    static void report_connection_failed(const std::string& reason) { count(&detail::reported_metrics::failures_by_reason, reason); }
    static void report_bytes_sent(std::size_t bytes) { detail::reported_metrics::get().bytes_sent += bytes; }
    static void report_bytes_received(std::size_t bytes) { detail::reported_metrics::get().bytes_received += bytes; }
    /// The last latency reported (a gauge); record_latency keeps the distribution.
    static void report_latency(double ms) { detail::reported_metrics::get().last_latency_ms = ms; }
    static void report_error(const std::string& error_type) { count(&detail::reported_metrics::errors_by_type, error_type); }
    static void report_timeout() { ++detail::reported_metrics::get().timeouts; }
    static void report_active_connections(std::size_t n) { detail::reported_metrics::get().active_connections = n; }
    static void report_session_duration(double ms) { detail::reported_metrics::get().last_session_duration_ms = ms; }

    static void record_latency(double ms) {
        detail::reported_metrics::get().latency.record(ms);
        report_latency(ms);
    }
    static void record_connection_time(double ms) { detail::reported_metrics::get().connection_time.record(ms); }
    static void record_request_duration(double ms) { detail::reported_metrics::get().request_duration.record(ms); }

    static double get_latency_p50() { return detail::reported_metrics::get().latency.p50(); }
    static double get_latency_p95() { return detail::reported_metrics::get().latency.p95(); }
    static double get_latency_p99() { return detail::reported_metrics::get().latency.p99(); }
    static double get_connection_time_p99() { return detail::reported_metrics::get().connection_time.p99(); }
    static double get_request_duration_p99() { return detail::reported_metrics::get().request_duration.p99(); }

    /// The three recorded histograms by metric name (metric_names::*_HISTOGRAM).
    static std::map<std::string, histogram_snapshot> get_all_histograms() {
        auto& r = detail::reported_metrics::get();
        return {{metric_names::LATENCY_HISTOGRAM, r.latency.snapshot()},
                {metric_names::CONNECTION_TIME_HISTOGRAM, r.connection_time.snapshot()},
                {metric_names::REQUEST_DURATION_HISTOGRAM, r.request_duration.snapshot()}};
    }

    static void reset_histograms() {
        auto& r = detail::reported_metrics::get();
        r.latency.reset();
        r.connection_time.reset();
        r.request_duration.reset();
    }

private:
    static void count(std::map<std::string, std::uint64_t> detail::reported_metrics::*which, const std::string& key) {
        auto& r = detail::reported_metrics::get();
        std::lock_guard<std::mutex> lock(r.labelled_lock);
        ++(r.*which)[key];
    }
};

}  // namespace kcenon::network::metrics

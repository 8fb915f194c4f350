// A thread-safe bucket histogram with percentiles and Prometheus/JSON export — the original's
// metrics::histogram API, header-only. Values are whatever unit the caller records (the
// library's own latency histograms are in milliseconds).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace kcenon::network::metrics {

/// Bucket upper bounds (inclusive); an implicit last bucket takes what is above them.
struct histogram_config {
    std::vector<double> bucket_boundaries;

    /// Network latencies in milliseconds: 0.1, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000,
    /// 2500, 5000, 10000.
    static histogram_config default_latency_config() {
        return histogram_config{{0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0,
                                 1000.0, 2500.0, 5000.0, 10000.0}};
    }
};

namespace detail {

/// A number as Prometheus and JSON write it ("+Inf" for infinity in Prometheus).
inline std::string number_text(double v) {
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (std::isnan(v)) return "NaN";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

/// The value at quantile `p` (0…1) from cumulative bucket counts, interpolating linearly
/// inside the bucket and clamping to the observed [min, max].
inline double percentile_of(const std::vector<std::pair<double, std::uint64_t>>& cumulative,
                            std::uint64_t count, double min_value, double max_value, double p) {
    if (count == 0) return 0.0;
    const double rank = std::clamp(p, 0.0, 1.0) * static_cast<double>(count);
    double lower = min_value;
    std::uint64_t below = 0;
    for (const auto& [bound, total] : cumulative) {
        if (static_cast<double>(total) >= rank && total > below) {
            const double upper = std::isinf(bound) ? max_value : std::min(bound, max_value);
            const double from = std::max(lower, min_value);
            const double share = (rank - static_cast<double>(below)) / static_cast<double>(total - below);
            return std::clamp(from + (upper - from) * share, min_value, max_value);
        }
        lower = bound;
        below = total;
    }
    return max_value;
}

}  // namespace detail

/// A histogram's state at one moment.
struct histogram_snapshot {
    std::uint64_t count = 0;
    double sum = 0.0;
    double min_value = 0.0;  ///< +inf when empty (as the original)
    double max_value = 0.0;  ///< -inf when empty
    std::map<double, double> percentiles;                   ///< 0.5, 0.9, 0.95, 0.99, 0.999
    std::vector<std::pair<double, std::uint64_t>> buckets;  ///< bound → cumulative count, +inf last
    std::map<std::string, std::string> labels;

    /// The Prometheus text of this histogram: `name_bucket{le="…"}`, `name_sum`, `name_count`,
    /// with the labels on every sample.
    std::string to_prometheus(const std::string& name) const {
        std::string label_text;
        for (const auto& [k, v] : labels) label_text += k + "=\"" + v + "\",";
        std::string out = "# TYPE " + name + " histogram\n";
        for (const auto& [bound, total] : buckets) {
            out += name + "_bucket{" + label_text + "le=\"" + detail::number_text(bound) + "\"} " +
                   std::to_string(total) + "\n";
        }
        if (!label_text.empty()) label_text = "{" + label_text.substr(0, label_text.size() - 1) + "}";
        out += name + "_sum" + label_text + " " + detail::number_text(sum) + "\n";
        out += name + "_count" + label_text + " " + std::to_string(count) + "\n";
        return out;
    }

    /// `{"count":…,"sum":…,"min":…,"max":…,"percentiles":{"0.5":…},"buckets":[{"le":…,"count":…}],
    /// "labels":{…}}` (an empty histogram's min/max are written as null).
    std::string to_json() const {
        const auto num = [](double v) { return std::isfinite(v) ? detail::number_text(v) : std::string("null"); };
        const auto str = [](const std::string& s) {
            std::string out = "\"";
            for (const char c : s) {
                if (c == '"' || c == '\\') out += '\\';
                if (static_cast<unsigned char>(c) < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
                    out += buf;
                } else {
                    out += c;
                }
            }
            return out + "\"";
        };
        std::string out = "{\"count\":" + std::to_string(count) + ",\"sum\":" + num(sum) +
                          ",\"min\":" + num(min_value) + ",\"max\":" + num(max_value) + ",\"percentiles\":{";
        const char* sep = "";
        for (const auto& [p, v] : percentiles) {
            out += sep + str(detail::number_text(p)) + ":" + num(v);
            sep = ",";
        }
        out += "},\"buckets\":[";
        sep = "";
        for (const auto& [bound, total] : buckets) {
            out += std::string(sep) + "{\"le\":" + (std::isinf(bound) ? str("+Inf") : num(bound)) +
                   ",\"count\":" + std::to_string(total) + "}";
            sep = ",";
        }
        out += "],\"labels\":{";
        sep = "";
        for (const auto& [k, v] : labels) {
            out += sep + str(k) + ":" + str(v);
            sep = ",";
        }
        return out + "}}";
    }
};

namespace detail {

/// Fills count/sum/min/max/buckets' percentiles of a snapshot from per-bucket counts.
inline histogram_snapshot make_snapshot(const std::vector<double>& bounds, const std::vector<std::uint64_t>& per_bucket,
                                        double sum, double min_value, double max_value,
                                        std::map<std::string, std::string> labels) {
    histogram_snapshot s;
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < per_bucket.size(); ++i) {
        total += per_bucket[i];
        s.buckets.emplace_back(i < bounds.size() ? bounds[i] : std::numeric_limits<double>::infinity(), total);
    }
    s.count = total;
    s.sum = sum;
    s.min_value = min_value;
    s.max_value = max_value;
    for (const double p : {0.5, 0.9, 0.95, 0.99, 0.999}) {
        s.percentiles[p] = percentile_of(s.buckets, total, min_value, max_value, p);
    }
    s.labels = std::move(labels);
    return s;
}

/// percentile/p50…p999 and mean over a class's snapshot() (histogram, sliding_histogram).
template <typename Derived>
class quantiles {
public:
    /// The value at quantile `p` (0…1), interpolated inside its bucket; 0 when empty.
    double percentile(double p) const {
        const auto s = static_cast<const Derived&>(*this).snapshot();
        return percentile_of(s.buckets, s.count, s.min_value, s.max_value, p);
    }
    double p50() const { return percentile(0.50); }
    double p95() const { return percentile(0.95); }
    double p99() const { return percentile(0.99); }
    double p999() const { return percentile(0.999); }
    /// 0 when empty.
    double mean() const {
        const auto s = static_cast<const Derived&>(*this).snapshot();
        return s.count == 0 ? 0.0 : s.sum / static_cast<double>(s.count);
    }
};

}  // namespace detail

class sliding_histogram;

/// A thread-safe histogram over fixed buckets (default: network latencies in ms).
class histogram : public detail::quantiles<histogram> {
public:
    explicit histogram(histogram_config cfg = histogram_config::default_latency_config())
        : boundaries_(std::move(cfg.bucket_boundaries)) {
        std::sort(boundaries_.begin(), boundaries_.end());
        counts_.assign(boundaries_.size() + 1, 0);
    }

    histogram(const histogram&) = delete;
    histogram& operator=(const histogram&) = delete;

    histogram(histogram&& other) noexcept {
        std::lock_guard<std::mutex> lock(other.mutex_);
        take(other);
    }

    histogram& operator=(histogram&& other) noexcept {
        if (this != &other) {
            std::scoped_lock lock(mutex_, other.mutex_);
            take(other);
        }
        return *this;
    }

    ~histogram() = default;

    /// Adds one observation (NaN is ignored).
    void record(double value) {
        if (std::isnan(value)) return;
        const auto index = static_cast<std::size_t>(
            std::lower_bound(boundaries_.begin(), boundaries_.end(), value) - boundaries_.begin());
        std::lock_guard<std::mutex> lock(mutex_);
        ++counts_[index];
        ++count_;
        sum_ += value;
        min_ = std::min(min_, value);
        max_ = std::max(max_, value);
    }

    std::uint64_t count() const { return locked([this] { return count_; }); }
    double sum() const { return locked([this] { return sum_; }); }
    /// +inf when empty.
    double min() const { return locked([this] { return min_; }); }
    /// -inf when empty.
    double max() const { return locked([this] { return max_; }); }

    /// (upper bound, cumulative count) per bucket, +inf last.
    std::vector<std::pair<double, std::uint64_t>> buckets() const { return snapshot().buckets; }

    histogram_snapshot snapshot(const std::map<std::string, std::string>& labels = {}) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return detail::make_snapshot(boundaries_, counts_, sum_, min_, max_, labels);
    }

    void reset() {
        std::lock_guard<std::mutex> lock(mutex_);
        std::fill(counts_.begin(), counts_.end(), 0);
        count_ = 0;
        sum_ = 0.0;
        min_ = std::numeric_limits<double>::infinity();
        max_ = -std::numeric_limits<double>::infinity();
    }

private:
    friend class sliding_histogram;

    /// Adds this histogram's observations to per-bucket `counts` (same bounds).
    void merge_into(std::vector<std::uint64_t>& counts, double& sum, double& min_value, double& max_value) const {
        std::lock_guard<std::mutex> lock(mutex_);
        for (std::size_t i = 0; i < counts_.size() && i < counts.size(); ++i) counts[i] += counts_[i];
        sum += sum_;
        min_value = std::min(min_value, min_);
        max_value = std::max(max_value, max_);
    }

    template <typename F>
    auto locked(F f) const -> decltype(f()) {
        std::lock_guard<std::mutex> lock(mutex_);
        return f();
    }

    void take(histogram& other) {
        boundaries_ = std::move(other.boundaries_);
        counts_ = std::move(other.counts_);
        count_ = other.count_;
        sum_ = other.sum_;
        min_ = other.min_;
        max_ = other.max_;
        other.counts_.assign(other.boundaries_.size() + 1, 0);
        other.count_ = 0;
        other.sum_ = 0.0;
    }

    std::vector<double> boundaries_;
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    double sum_ = 0.0;
    double min_ = std::numeric_limits<double>::infinity();
    double max_ = -std::numeric_limits<double>::infinity();
    mutable std::mutex mutex_;
};

}  // namespace kcenon::network::metrics

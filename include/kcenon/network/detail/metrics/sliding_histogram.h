// A histogram over a sliding time window — the original's metrics::sliding_histogram API,
// header-only: the window is cut into `bucket_count` slices; observations older than the
// window are dropped as time passes.
#pragma once

#include <chrono>
#include <deque>
#include <kcenon/network/detail/metrics/histogram.h>
#include <memory>
#include <mutex>

namespace kcenon::network::metrics {

struct sliding_histogram_config {
    histogram_config hist_config;
    std::chrono::seconds window_duration{60};
    std::size_t bucket_count{6};

    /// 60 s in 6 slices of 10 s, network latency buckets.
    static sliding_histogram_config default_config() {
        return sliding_histogram_config{histogram_config::default_latency_config(), std::chrono::seconds{60}, 6};
    }
};

class sliding_histogram : public detail::quantiles<sliding_histogram> {
public:
    explicit sliding_histogram(sliding_histogram_config cfg = sliding_histogram_config::default_config())
        : config_(std::move(cfg)),
          slice_(std::max<std::chrono::steady_clock::duration>(
              std::chrono::duration_cast<std::chrono::steady_clock::duration>(config_.window_duration) /
                  static_cast<long>(std::max<std::size_t>(config_.bucket_count, 1)),
              std::chrono::milliseconds(1))) {}

    sliding_histogram(const sliding_histogram&) = delete;
    sliding_histogram& operator=(const sliding_histogram&) = delete;

    sliding_histogram(sliding_histogram&& other) noexcept {
        std::lock_guard<std::mutex> lock(other.mutex_);
        config_ = std::move(other.config_);
        slice_ = other.slice_;
        slices_ = std::move(other.slices_);
    }

    sliding_histogram& operator=(sliding_histogram&& other) noexcept {
        if (this != &other) {
            std::scoped_lock lock(mutex_, other.mutex_);
            config_ = std::move(other.config_);
            slice_ = other.slice_;
            slices_ = std::move(other.slices_);
        }
        return *this;
    }

    ~sliding_histogram() = default;

    void record(double value) {
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard<std::mutex> lock(mutex_);
        expire(now);
        if (slices_.empty() || now - slices_.back().start >= slice_) {
            slices_.push_back(slice{now, std::make_unique<histogram>(config_.hist_config)});
        }
        slices_.back().hist->record(value);
    }

    std::uint64_t count() const { return snapshot().count; }
    double sum() const { return snapshot().sum; }

    /// The observations of the current window together.
    histogram_snapshot snapshot(const std::map<std::string, std::string>& labels = {}) const {
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard<std::mutex> lock(mutex_);
        const histogram shape(config_.hist_config);
        std::vector<std::uint64_t> counts(shape.boundaries_.size() + 1, 0);
        double sum = 0.0;
        double lo = std::numeric_limits<double>::infinity();
        double hi = -std::numeric_limits<double>::infinity();
        for (const auto& s : slices_) {
            if (now - s.start < config_.window_duration) s.hist->merge_into(counts, sum, lo, hi);
        }
        return detail::make_snapshot(shape.boundaries_, counts, sum, lo, hi, labels);
    }

    std::chrono::seconds window_duration() const { return config_.window_duration; }

    void reset() {
        std::lock_guard<std::mutex> lock(mutex_);
        slices_.clear();
    }

private:
    struct slice {
        std::chrono::steady_clock::time_point start;
        std::unique_ptr<histogram> hist;
    };

    void expire(std::chrono::steady_clock::time_point now) {
        while (!slices_.empty() && now - slices_.front().start >= config_.window_duration) slices_.pop_front();
    }

    sliding_histogram_config config_;
    std::chrono::steady_clock::duration slice_{};
    std::deque<slice> slices_;
    mutable std::mutex mutex_;
};

}  // namespace kcenon::network::metrics

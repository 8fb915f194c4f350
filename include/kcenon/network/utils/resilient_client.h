// kcenon::network::utils::resilient_client — a TCP client that reconnects with exponential
// backoff and stops trying through a circuit breaker.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "../core/messaging_client.h"

namespace kcenon::network::utils {

enum class circuit_state { closed, open, half_open };

/// The breaker's thresholds (common_system's defaults).
struct circuit_breaker_config {
    size_t failure_threshold = 5;                    ///< failures within failure_window that open it
    size_t success_threshold = 2;                    ///< half-open successes that close it
    std::chrono::milliseconds failure_window{60000};
    std::chrono::milliseconds timeout{30000};        ///< open this long, then half-open
    size_t half_open_max_requests = 3;               ///< trial calls allowed while half-open
};

/// Closed: calls pass, failures are counted; `failure_threshold` failures within
/// `failure_window` open it. Open: calls are refused until `timeout` has passed, then it is
/// half-open: up to `half_open_max_requests` trial calls; `success_threshold` successes close
/// it, a failure opens it again. Thread-safe.
class circuit_breaker {
public:
    explicit circuit_breaker(circuit_breaker_config config = {}) : config_(config) {}

    /// True when a call may go ahead now (counts half-open trials).
    bool allow() {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto now = clock::now();
        if (state_ == circuit_state::open && now - opened_at_ >= config_.timeout) {
            state_ = circuit_state::half_open;
            trials_ = successes_ = 0;
        }
        if (state_ == circuit_state::open) return false;
        if (state_ == circuit_state::half_open) return trials_++ < config_.half_open_max_requests;
        return true;
    }
    void record_success() {
        std::lock_guard<std::mutex> lock(mutex_);
        if (state_ == circuit_state::half_open && ++successes_ >= config_.success_threshold) state_ = circuit_state::closed;
        if (state_ == circuit_state::closed) failures_ = 0;
    }
    void record_failure() {
        std::lock_guard<std::mutex> lock(mutex_);
        const auto now = clock::now();
        if (state_ == circuit_state::half_open) {
            open(now);
            return;
        }
        if (failures_ == 0 || now - first_failure_ > config_.failure_window) {
            failures_ = 0;
            first_failure_ = now;
        }
        if (++failures_ >= config_.failure_threshold) open(now);
    }
    [[nodiscard]] circuit_state state() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return state_;
    }

private:
    using clock = std::chrono::steady_clock;
    void open(clock::time_point now) {
        state_ = circuit_state::open;
        opened_at_ = now;
        failures_ = 0;
    }

    circuit_breaker_config config_;
    mutable std::mutex mutex_;
    circuit_state state_ = circuit_state::closed;
    size_t failures_ = 0, trials_ = 0, successes_ = 0;
    clock::time_point first_failure_, opened_at_;
};

/// connect() and send_with_retry() try up to `max_retries` times, waiting
/// `initial_backoff × 2^(attempt-1)` (at most 30 s) between attempts; every failed connect or
/// send counts against the circuit breaker, and while it is open both return -604
/// (circuit_open) at once. A connection that drops is made again by the next
/// send_with_retry. Every member is thread-safe; connect() and send_with_retry() block while
/// they back off (disconnect() from another thread cuts the wait short).
///
/// Differences from the original: "connected" means the TCP connection is established (the
/// original counted a started connect as success); backoff waits are interruptible.
class resilient_client {
public:
    resilient_client(const std::string& client_id, const std::string& host, unsigned short port,
                     size_t max_retries = 3, std::chrono::milliseconds initial_backoff = std::chrono::seconds(1),
                     circuit_breaker_config breaker = {})
        : host_(host), port_(port), max_retries_(std::max<size_t>(1, max_retries)), initial_backoff_(initial_backoff),
          breaker_(breaker), client_(std::make_shared<core::detail::connected_client>(client_id)), hooks_(std::make_shared<hooks>()) {
        auto h = hooks_;
        client_->set_disconnected_callback([h] {
            std::function<void()> cb;
            {
                std::lock_guard<std::mutex> lock(h->mutex);
                cb = h->on_disconnect;
            }
            if (cb) cb();
        });
    }
    ~resilient_client() { (void)disconnect(); }
    resilient_client(const resilient_client&) = delete;
    resilient_client& operator=(const resilient_client&) = delete;

    /// Connects (ok at once when connected). -604 while the breaker is open; else the last
    /// attempt's error after max_retries attempts.
    [[nodiscard]] VoidResult connect() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            closing_ = false;
        }
        return with_retries([] { return ok(); });
    }

    /// Closes the connection and interrupts a backoff wait in progress.
    VoidResult disconnect() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            closing_ = true;
        }
        woken_.notify_all();
        return client_->stop_client();
    }

    /// Sends `data`, connecting first when needed; a failed send is retried on a new
    /// connection. -604 while the breaker is open.
    [[nodiscard]] VoidResult send_with_retry(std::vector<uint8_t>&& data) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            closing_ = false;
        }
        return with_retries([&] { return client_->send_packet(std::vector<uint8_t>(data)); });
    }

    [[nodiscard]] bool is_connected() const { return client_->is_connected(); }
    /// Called with the attempt number (1, 2, …) before each retry after a failure.
    void set_reconnect_callback(std::function<void(size_t)> callback) {
        std::lock_guard<std::mutex> lock(hooks_->mutex);
        hooks_->on_reconnect = std::move(callback);
    }
    /// Called on a library thread when the connection drops or is closed.
    void set_disconnect_callback(std::function<void()> callback) {
        std::lock_guard<std::mutex> lock(hooks_->mutex);
        hooks_->on_disconnect = std::move(callback);
    }
    /// The client (for receive callbacks and stats); its disconnected callback is this
    /// object's.
    [[nodiscard]] std::shared_ptr<core::messaging_client> get_client() const { return client_; }
    [[nodiscard]] utils::circuit_state circuit_state() const { return breaker_.state(); }

private:
    struct hooks {
        std::mutex mutex;
        std::function<void(size_t)> on_reconnect;
        std::function<void()> on_disconnect;
    };

    /// Runs `action` on a connected client, up to max_retries attempts with backoff.
    template <typename Action>
    VoidResult with_retries(Action action) {
        VoidResult last = ok();
        for (size_t attempt = 1; attempt <= max_retries_; ++attempt) {
            if (attempt > 1) {
                std::function<void(size_t)> cb;
                {
                    std::lock_guard<std::mutex> lock(hooks_->mutex);
                    cb = hooks_->on_reconnect;
                }
                if (cb) cb(attempt - 1);
                if (!back_off(attempt - 1)) return last;
            }
            if (!breaker_.allow())
                return error_void(error_codes_ext::network_system::circuit_open, "circuit breaker is open", "resilient_client");
            last = ensure_connected();
            if (last.is_ok()) last = action();
            if (last.is_ok()) {
                breaker_.record_success();
                return last;
            }
            breaker_.record_failure();
        }
        return last;
    }

    VoidResult ensure_connected() {
        if (client_->is_connected()) return ok();
        (void)client_->stop_client();  // a dropped connection's client may not have noticed yet
        return client_->start_client(host_, port_);
    }

    /// Waits the backoff of `retry` (1-based); false when disconnect() interrupted it.
    bool back_off(size_t retry) {
        auto wait = initial_backoff_ * (1LL << std::min<size_t>(retry - 1, 20));
        wait = std::min<std::chrono::milliseconds>(wait, std::chrono::seconds(30));
        std::unique_lock<std::mutex> lock(mutex_);
        return !woken_.wait_for(lock, wait, [this] { return closing_; });
    }

    std::string host_;
    unsigned short port_;
    size_t max_retries_;
    std::chrono::milliseconds initial_backoff_;
    circuit_breaker breaker_;
    std::shared_ptr<core::messaging_client> client_;
    std::shared_ptr<hooks> hooks_;
    std::mutex mutex_;
    std::condition_variable woken_;
    bool closing_ = false;
};

}  // namespace kcenon::network::utils

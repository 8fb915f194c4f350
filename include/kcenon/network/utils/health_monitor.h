// kcenon::network::utils::health_monitor — heartbeats over a messaging_client with a deadline,
// reporting a peer that stops answering.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>

#include "../core/messaging_client.h"

namespace kcenon::network::utils {

/// What health_monitor knows about its connection.
struct connection_health {
    bool is_alive{true};
    /// From the last heartbeat to the first data after it (measured to 1/8 of the interval).
    std::chrono::milliseconds last_response_time{0};
    /// Heartbeats in a row that got no answer within the interval.
    size_t missed_heartbeats{0};
    /// Unanswered heartbeats / heartbeats sent, since start_monitoring.
    double packet_loss_rate{0.0};
    std::chrono::steady_clock::time_point last_heartbeat;
};

/// Every `heartbeat_interval` sends the original's 4-byte heartbeat (FF FE 01 00) through the
/// client; the peer counts as answering when any data arrived before the next heartbeat (the
/// peer must answer heartbeats, e.g. an echo, or send anything else). After
/// `max_missed_heartbeats` unanswered heartbeats in a row (or failed sends: not connected)
/// the connection is reported dead; one answer makes it alive again. The health callback runs
/// after every heartbeat's deadline on a library thread. The clock is a library timer: no
/// thread of its own.
///
/// Differences from the original: an answer is required (the original only timed how long
/// send_packet took, so a silent peer looked healthy); the interval may be below a second.
class health_monitor {
public:
    using health_callback_t = std::function<void(const connection_health&)>;

    explicit health_monitor(std::chrono::milliseconds heartbeat_interval = std::chrono::seconds(30),
                            size_t max_missed_heartbeats = 3)
        : interval_(heartbeat_interval.count() > 0 ? heartbeat_interval : std::chrono::milliseconds(1)),
          max_missed_(max_missed_heartbeats > 0 ? max_missed_heartbeats : 1), state_(std::make_shared<state>()) {}
    ~health_monitor() { stop_monitoring(); }
    health_monitor(const health_monitor&) = delete;
    health_monitor& operator=(const health_monitor&) = delete;

    /// Starts (or restarts) monitoring `client`; the first heartbeat goes after one interval
    /// tick. A null client does nothing.
    void start_monitoring(std::shared_ptr<core::messaging_client> client) {
        stop_monitoring();
        if (!client) return;
        {
            std::lock_guard<std::mutex> lock(state_->mutex);
            state_->client = std::move(client);
            state_->health = connection_health{};
            state_->sent = state_->unanswered = state_->ticks = 0;
            state_->waiting = false;
            state_->max_missed = max_missed_;
        }
        const auto tick = std::max<std::chrono::milliseconds::rep>(1, interval_.count() / ticks_per_interval);
        auto st = state_;
        ns_timer* timer = nullptr;
        using H = network::detail::holder<std::function<void()>>;
        const ns_result r =
            ns_timer_new(static_cast<std::uint64_t>(tick), &on_tick_c,
                         network::detail::make_holder(std::function<void()>([st] { st->on_tick(); })), &H::release, &timer);
        std::lock_guard<std::mutex> lock(mutex_);
        timer_ = r == NS_OK ? timer : nullptr;
    }

    /// Stops the heartbeats; returns when no health callback runs any more (inside one it only
    /// stops further ones).
    void stop_monitoring() {
        ns_timer* timer = nullptr;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            std::swap(timer, timer_);
        }
        ns_timer_free(timer);
        std::lock_guard<std::mutex> lock(state_->mutex);
        state_->client.reset();
    }

    [[nodiscard]] connection_health get_health() const {
        std::lock_guard<std::mutex> lock(state_->mutex);
        return state_->health;
    }
    void set_health_callback(health_callback_t callback) {
        std::lock_guard<std::mutex> lock(state_->mutex);
        state_->callback = std::move(callback);
    }
    [[nodiscard]] bool is_monitoring() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return timer_ != nullptr;
    }

private:
    static constexpr int ticks_per_interval = 8;

    struct state {
        std::mutex mutex;
        std::shared_ptr<core::messaging_client> client;
        connection_health health;
        health_callback_t callback;
        size_t max_missed = 3;
        std::uint64_t ticks = 0, sent = 0, unanswered = 0;
        std::uint64_t bytes_at_heartbeat = 0;
        bool waiting = false;  // a heartbeat went out and no data came back yet

        void on_tick() {
            std::shared_ptr<core::messaging_client> c;
            {
                std::lock_guard<std::mutex> lock(mutex);
                c = client;
            }
            if (!c) return;
            const std::uint64_t bytes = c->stats().bytes_in;
            const auto now = std::chrono::steady_clock::now();
            health_callback_t report;
            connection_health snapshot;
            bool beat = false;
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (waiting && bytes > bytes_at_heartbeat) {
                    waiting = false;
                    health.last_response_time =
                        std::chrono::duration_cast<std::chrono::milliseconds>(now - health.last_heartbeat);
                }
                if (++ticks % ticks_per_interval != 0) return;
                if (sent > 0) {  // the previous heartbeat's deadline is now
                    if (waiting) {
                        ++unanswered;
                        ++health.missed_heartbeats;
                    } else {
                        health.missed_heartbeats = 0;
                    }
                    health.is_alive = health.missed_heartbeats < max_missed;
                    health.packet_loss_rate = static_cast<double>(unanswered) / static_cast<double>(sent);
                    report = callback;
                    snapshot = health;
                }
                beat = true;
                ++sent;
                waiting = true;
                bytes_at_heartbeat = bytes;
                health.last_heartbeat = now;
            }
            if (beat) (void)c->send_packet({0xFF, 0xFE, 0x01, 0x00});  // a failed send stays unanswered
            if (report) report(snapshot);
        }
    };

    static void on_tick_c(void* ud) {
        core::detail::guarded([&] { network::detail::held<std::function<void()>>(ud)(); });
    }

    std::chrono::milliseconds interval_;
    size_t max_missed_;
    std::shared_ptr<state> state_;
    mutable std::mutex mutex_;
    ns_timer* timer_ = nullptr;
};

}  // namespace kcenon::network::utils

// Helpers shared by the C++ tests: deadline-bounded waiting (no sleeps) and payloads.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <random>
#include <vector>

#include <kcenon/network/core/options.h>

namespace test {

constexpr std::chrono::seconds deadline{20};

/// A value guarded by a mutex; waiters block until a predicate holds (or the deadline).
template <typename T>
class watched {
public:
    template <typename F>
    void update(F&& f) {
        {
            std::lock_guard<std::mutex> lock(m_);
            f(value_);
        }
        cv_.notify_all();
    }
    template <typename P>
    bool wait(P&& pred, std::chrono::milliseconds limit = deadline) {
        std::unique_lock<std::mutex> lock(m_);
        return cv_.wait_for(lock, limit, [&] { return pred(value_); });
    }
    T get() {
        std::lock_guard<std::mutex> lock(m_);
        return value_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    T value_{};
};

using counter = watched<std::size_t>;
using bytes = std::vector<std::uint8_t>;

inline bytes random_bytes(std::size_t n, std::mt19937& rng) {
    bytes out(n);
    for (auto& b : out) b = static_cast<std::uint8_t>(rng());
    return out;
}

inline kcenon::network::core::server_options loopback(
    kcenon::network::framing f = kcenon::network::framing::raw) {
    kcenon::network::core::server_options o;
    o.bind_address = "127.0.0.1";
    o.framing = f;
    return o;
}

}  // namespace test

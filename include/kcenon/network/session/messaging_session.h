// kcenon::network::session::messaging_session — one client connection of a messaging_server.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "../detail/c_api.h"
#include "../interfaces/i_session.h"

namespace kcenon::network::core {
class messaging_server;
}

namespace kcenon::network::session {

/// A connection accepted by a messaging_server. Obtained from the server's callbacks as a
/// std::shared_ptr; keep it as long as you like (sends after the disconnect return -603).
/// Thread-safe: every member may be called from any thread, also inside callbacks.
class messaging_session : public interfaces::i_session, public std::enable_shared_from_this<messaging_session> {
public:
    using receive_callback_t = std::function<void(const std::vector<uint8_t>&)>;
    using disconnection_callback_t = std::function<void(const std::string&)>;
    using error_callback_t = std::function<void(std::error_code)>;

    /// Internal: the server creates sessions; `handle` is an owned ns_tcp_session handle.
    messaging_session(ns_tcp_session* handle, std::string_view server_id)
        : handle_(handle),
          server_id_(server_id),
          id_(std::to_string(ns_tcp_session_id(handle))) {}

    ~messaging_session() noexcept override { ns_tcp_session_release(handle_); }
    messaging_session(const messaging_session&) = delete;
    messaging_session& operator=(const messaging_session&) = delete;

    /// Unique id of this session (decimal). Differs from the original, where it was the server id.
    [[nodiscard]] std::string_view id() const override { return id_; }
    /// The same id as a number.
    [[nodiscard]] std::uint64_t session_id() const { return ns_tcp_session_id(handle_); }
    [[nodiscard]] const std::string& server_id() const { return server_id_; }

    [[nodiscard]] bool is_connected() const override { return ns_tcp_session_is_connected(handle_); }
    [[nodiscard]] bool is_stopped() const noexcept { return !ns_tcp_session_is_connected(handle_); }

    /// Queues `data`: -603 when closed, -1 when empty, -642 too large (framed), -643 queue full.
    [[nodiscard]] VoidResult send(std::vector<uint8_t>&& data) override {
        return detail::to_result(detail::send_vector(handle_, std::move(data), ns_tcp_session_send,
                                                     ns_tcp_session_send_owned),
                                 "messaging_session");
    }
    /// Queues several messages with one call (one lock, one writer wake-up); all or nothing.
    [[nodiscard]] VoidResult send_batch(const std::vector<std::vector<uint8_t>>& messages) {
        return detail::to_result(detail::send_messages(handle_, messages, ns_tcp_session_send_batch),
                                 "messaging_session");
    }

    /// Fire-and-forget send, as in the original; use send() to see errors.
    void send_packet(std::vector<uint8_t>&& data) { (void)send(std::move(data)); }

    /// Graceful close: queued data is flushed, then the server reports the disconnection.
    /// Safe from any callback (in the original this deadlocked inside a receive callback).
    void close() override { ns_tcp_session_close(handle_); }
    void stop_session() { close(); }
    /// No-op: sessions start when accepted.
    void start_session() {}

    /// Remote endpoint as "address:port" ("[v6]:port" for IPv6).
    [[nodiscard]] std::string remote_endpoint() const {
        char buf[64] = {0};
        std::uint16_t port = 0;
        if (ns_tcp_session_remote_endpoint(handle_, buf, sizeof(buf), &port) != NS_OK) return {};
        return detail::endpoint_text(buf, port);
    }

    [[nodiscard]] network_stats stats() const {
        return detail::read_stats(handle_, ns_tcp_session_get_stats);
    }

    /// Negotiated TLS version ("TLSv1.2", "TLSv1.3"); empty on plain TCP.
    [[nodiscard]] std::string tls_version() const { return detail::session_tls_version(handle_); }
    /// Negotiated ALPN protocol; empty when none.
    [[nodiscard]] std::string alpn_protocol() const { return detail::session_alpn(handle_); }

    /// Per-session callbacks: when set, they replace the server's callback of the same kind
    /// for this session.
    void set_receive_callback(receive_callback_t cb) { set(receive_cb_, std::move(cb)); }
    void set_disconnection_callback(disconnection_callback_t cb) { set(disconnection_cb_, std::move(cb)); }
    void set_error_callback(error_callback_t cb) { set(error_cb_, std::move(cb)); }

private:
    friend class core::messaging_server;

    /// A per-session callback: shared, so an event takes a reference instead of copying it.
    template <typename F>
    using slot = std::shared_ptr<const F>;

    template <typename F>
    void set(slot<F>& s, F cb) {
        slot<F> next = cb ? std::make_shared<const F>(std::move(cb)) : nullptr;
        std::lock_guard<std::mutex> lock(mutex_);
        s.swap(next);
        has_any_.store(receive_cb_ || disconnection_cb_ || error_cb_, std::memory_order_release);
    }
    /// The callback in `s`, or null (no lock while the session has none).
    template <typename F>
    slot<F> callback(const slot<F>& s) const {
        if (!has_any_.load(std::memory_order_acquire)) return nullptr;
        std::lock_guard<std::mutex> lock(mutex_);
        return s;
    }

    ns_tcp_session* handle_;
    std::string server_id_;
    std::string id_;
    mutable std::mutex mutex_;
    std::atomic<bool> has_any_{false};
    slot<receive_callback_t> receive_cb_;
    slot<disconnection_callback_t> disconnection_cb_;
    slot<error_callback_t> error_cb_;
};

}  // namespace kcenon::network::session

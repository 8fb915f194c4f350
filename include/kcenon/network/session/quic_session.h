// kcenon::network::session::quic_session — one QUIC connection on a server, and
// core::quic_connection_stats, as the original declares them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../core/options.h"
#include "../interfaces/i_quic_server.h"

namespace kcenon::network::core {

/// Transport figures of a QUIC connection.
struct quic_connection_stats {
    uint64_t bytes_sent{0};        ///< UDP payload bytes, all packets included
    uint64_t bytes_received{0};
    uint64_t packets_sent{0};
    uint64_t packets_received{0};
    uint64_t packets_lost{0};
    std::chrono::microseconds smoothed_rtt{0};
    std::chrono::microseconds min_rtt{0};
    size_t cwnd{0};                ///< congestion window in bytes
};

namespace detail {

inline quic_connection_stats read_quic_stats(const ns_quic_connection* c) {
    ns_quic_stats s{};
    s.struct_size = sizeof s;
    quic_connection_stats out;
    if (c && ns_quic_connection_get_quic_stats(c, &s) == NS_OK) {
        out.bytes_sent = s.bytes_sent;
        out.bytes_received = s.bytes_received;
        out.packets_sent = s.packets_sent;
        out.packets_received = s.packets_received;
        out.packets_lost = s.packets_lost;
        out.smoothed_rtt = std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(s.smoothed_rtt_us));
        out.min_rtt = std::chrono::microseconds(static_cast<std::chrono::microseconds::rep>(s.min_rtt_us));
        out.cwnd = static_cast<size_t>(s.cwnd);
    }
    return out;
}

inline std::optional<std::string> quic_alpn(const ns_quic_connection* c) {
    char buf[256] = {0};
    if (!c || ns_quic_connection_alpn(c, buf, sizeof buf) != NS_OK || buf[0] == '\0') return std::nullopt;
    return std::string(buf);
}

inline Result<uint64_t> quic_stream_result(ns_result code, uint64_t id, const char* module) {
    if (code == NS_OK) return Result<uint64_t>::ok(id);
    return Result<uint64_t>::err(code, ns_last_error_message(), module);
}

}  // namespace detail
}  // namespace kcenon::network::core

namespace kcenon::network::session {

/// One QUIC connection accepted by a messaging_quic_server. Cheap to keep: it holds the
/// connection, not a copy of its data; after it closed, sends fail with -603.
class quic_session : public interfaces::i_quic_session, public std::enable_shared_from_this<quic_session> {
public:
    using receive_callback_t = std::function<void(const std::vector<uint8_t>&)>;
    using stream_receive_callback_t = std::function<void(uint64_t, const std::vector<uint8_t>&, bool)>;

    /// Takes over an owned handle (from ns_quic_connection_retain or *_get_connection).
    explicit quic_session(ns_quic_connection* handle)
        : handle_(handle), id_(std::to_string(ns_quic_connection_id(handle))) {}
    ~quic_session() override { ns_quic_connection_release(handle_); }
    quic_session(const quic_session&) = delete;
    quic_session& operator=(const quic_session&) = delete;

    /// The connection's process-unique number, in decimal.
    [[nodiscard]] const std::string& session_id() const { return id_; }
    [[nodiscard]] std::string_view id() const override { return id_; }
    /// "ip:port" of the peer ("[ip]:port" for IPv6; the original returned an asio endpoint).
    [[nodiscard]] std::string remote_endpoint() const {
        char buf[64] = {0};
        return ns_quic_connection_peer_address(handle_, buf, sizeof buf) == NS_OK ? std::string(buf) : std::string();
    }
    [[nodiscard]] bool is_active() const noexcept { return ns_quic_connection_is_connected(handle_); }
    [[nodiscard]] bool is_connected() const override { return is_active(); }

    /// Sends one message: the client's receive callback gets it whole, in order. -603 closed,
    /// -642 over the size limit, -643 queue full.
    [[nodiscard]] VoidResult send(std::vector<uint8_t>&& data) override {
        return result(network::detail::send_vector(handle_, std::move(data), ns_quic_connection_send,
                                                   ns_quic_connection_send_owned,
                                                   network::detail::quic_owned_send_threshold));
    }
    [[nodiscard]] VoidResult send(std::string_view data) {
        return result(ns_quic_connection_send(handle_, reinterpret_cast<const uint8_t*>(data.data()), data.size()));
    }
    /// Queues bytes on a stream (one this side opened, or a bidirectional one the client
    /// opened): -1 unknown stream, -681 already finished, -603 closed.
    [[nodiscard]] VoidResult send_on_stream(uint64_t stream_id, std::vector<uint8_t>&& data, bool fin = false) override {
        auto copy = [stream_id, fin](auto* h, const uint8_t* d, size_t n) {
            return ns_quic_connection_send_on_stream(h, stream_id, d, n, fin);
        };
        auto handed_over = [stream_id, fin](auto* h, const uint8_t* d, size_t n, ns_free_fn f, void* ctx) {
            return ns_quic_connection_send_on_stream_owned(h, stream_id, d, n, fin, f, ctx);
        };
        return result(network::detail::send_vector(handle_, std::move(data), copy, handed_over,
                                                   network::detail::quic_owned_send_threshold));
    }
    /// Opens a stream to the client; -680 when the client allows no more now.
    [[nodiscard]] Result<uint64_t> create_stream() override { return open(false); }
    [[nodiscard]] Result<uint64_t> create_unidirectional_stream() override { return open(true); }
    /// Finishes this side of the stream (a fin after what is queued).
    [[nodiscard]] VoidResult close_stream(uint64_t stream_id) override {
        return result(ns_quic_connection_close_stream(handle_, stream_id));
    }
    /// Closes gracefully with code 0.
    void close() override { (void)close(0); }
    /// Closes gracefully with an application error code: queued data is flushed first, then
    /// the client sees the code.
    [[nodiscard]] VoidResult close(uint64_t error_code) {
        return result(ns_quic_connection_close(handle_, error_code, nullptr));
    }
    [[nodiscard]] core::quic_connection_stats stats() const { return core::detail::read_quic_stats(handle_); }

    /// Called with each message of this session (besides the server's receive callback).
    void set_receive_callback(receive_callback_t callback) {
        std::lock_guard<std::mutex> lock(mutex_);
        on_receive_ = std::make_shared<receive_callback_t>(std::move(callback));
    }
    /// Called with each piece of stream data of this session, in order per stream.
    void set_stream_receive_callback(stream_receive_callback_t callback) {
        std::lock_guard<std::mutex> lock(mutex_);
        on_stream_ = std::make_shared<stream_receive_callback_t>(std::move(callback));
    }
    /// Called once when the session ended.
    void set_close_callback(std::function<void()> callback) {
        std::lock_guard<std::mutex> lock(mutex_);
        on_close_ = std::make_shared<std::function<void()>>(std::move(callback));
    }

    // Extensions over the original.
    /// Sends an unreliable datagram (RFC 9221): -642 over the path's limit.
    [[nodiscard]] VoidResult send_datagram(const std::vector<uint8_t>& data) {
        return result(ns_quic_connection_send_datagram(handle_, data.data(), data.size()));
    }
    /// The ALPN protocol negotiated with the client.
    [[nodiscard]] std::optional<std::string> alpn_protocol() const { return core::detail::quic_alpn(handle_); }
    [[nodiscard]] uint64_t connection_id() const { return ns_quic_connection_id(handle_); }

    /// For the server: delivers to this session's own callbacks.
    void deliver(const std::vector<uint8_t>& message) const {
        auto cb = load(on_receive_);
        if (cb && *cb) (*cb)(message);
    }
    void deliver(uint64_t stream_id, const std::vector<uint8_t>& data, bool fin) const {
        auto cb = load(on_stream_);
        if (cb && *cb) (*cb)(stream_id, data, fin);
    }
    void closed() const {
        auto cb = load(on_close_);
        if (cb && *cb) (*cb)();
    }

private:
    template <typename T>
    std::shared_ptr<T> load(const std::shared_ptr<T>& slot) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return slot;
    }
    Result<uint64_t> open(bool unidirectional) {
        uint64_t id = 0;
        ns_result code = ns_quic_connection_create_stream(handle_, unidirectional, &id);
        return core::detail::quic_stream_result(code, id, "quic_session");
    }
    static VoidResult result(ns_result code) { return network::detail::to_result(code, "quic_session"); }

    ns_quic_connection* handle_;
    std::string id_;
    mutable std::mutex mutex_;
    std::shared_ptr<receive_callback_t> on_receive_;
    std::shared_ptr<stream_receive_callback_t> on_stream_;
    std::shared_ptr<std::function<void()>> on_close_;
};

}  // namespace kcenon::network::session

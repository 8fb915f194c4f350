// kcenon::network::core::messaging_quic_client — QUIC client (RFC 9000) on quinn, with the
// original's names and signatures. The original requires NETWORK_USE_EXPERIMENTAL for this
// header; here it is a supported API and compiles with or without that macro.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "../../core/tls_options.h"
#include "../../interfaces/i_quic_client.h"
#include "../../session/quic_session.h"

namespace kcenon::network::core {

/// Options of messaging_quic_client (the original's fields and defaults).
struct quic_client_config {
    std::optional<std::string> ca_cert_file;      ///< trusted in addition to the system roots
    std::optional<std::string> client_cert_file;  ///< mutual TLS
    std::optional<std::string> client_key_file;
    bool verify_server{true};                     ///< false accepts any certificate (logged)
    std::vector<std::string> alpn_protocols;
    uint64_t max_idle_timeout_ms{30000};          ///< 0 = no idle timeout
    uint64_t initial_max_data{1048576};
    uint64_t initial_max_stream_data{65536};
    uint64_t initial_max_streams_bidi{100};
    uint64_t initial_max_streams_uni{100};
    /// 0-RTT: resume a session of this process with the same server name and send the early
    /// data callback's bytes as the first message in 0-RTT (after the handshake when no
    /// ticket is usable or the server rejects it).
    bool enable_early_data{false};
    std::optional<std::vector<uint8_t>> session_ticket;  ///< not used: tickets stay in the library
    uint32_t max_early_data_size{16384};                  ///< not used: QUIC fixes it (RFC 9001)
    // Extensions over the original.
    /// A send that finds the connection's 8 MiB queue full waits up to this long for room instead
    /// of returning -643 at once (0, the default: at once). Never inside a callback.
    uint64_t send_wait_ms{0};
};

/// A QUIC client. start_client() returns once the handshake succeeded or failed. Callbacks
/// run on library threads: connected → (receive | stream)… → error? → disconnected.
class messaging_quic_client : public std::enable_shared_from_this<messaging_quic_client>,
                              public interfaces::i_quic_client {
public:
    using receive_callback_t = std::function<void(const std::vector<uint8_t>&)>;
    using stream_receive_callback_t = std::function<void(uint64_t, const std::vector<uint8_t>&, bool)>;

    explicit messaging_quic_client(std::string_view client_id)
        : handle_(ns_quic_client_new()), core_(std::make_shared<core_state>()) {
        client_id_ = std::string(client_id);
        using H = network::detail::holder<core_ptr>;
        ns_quic_client_set_connection_callback(handle_, &on_connected_c, network::detail::make_holder(core_), &H::release);
        ns_quic_client_set_closed_callback(handle_, &on_closed_c, network::detail::make_holder(core_), &H::release);
        ns_quic_client_set_error_callback(handle_, &on_error_c, network::detail::make_holder(core_), &H::release);
    }
    /// Stops the client (the disconnected callback runs) and releases it.
    ~messaging_quic_client() noexcept override {
        ns_quic_client_stop(handle_);
        ns_quic_client_free(handle_);
    }
    messaging_quic_client(const messaging_quic_client&) = delete;
    messaging_quic_client& operator=(const messaging_quic_client&) = delete;

    /// Connects with the default configuration (server verified against the system roots).
    [[nodiscard]] VoidResult start_client(std::string_view host, unsigned short port) {
        return start_client(host, port, quic_client_config{});
    }
    /// Connects and returns once the handshake is done. Errors: -606 certificate refused or
    /// unusable, -602 handshake timeout, -601 refused (server full), -605 other TLS failure
    /// (e.g. no common ALPN protocol), -664 running, -1/-607 bad host.
    [[nodiscard]] VoidResult start_client(std::string_view host, unsigned short port, const quic_client_config& config) {
        tls_client_settings tls;
        tls.verify_cert = config.verify_server;
        tls.ca_file = config.ca_cert_file.value_or("");
        tls.cert_file = config.client_cert_file.value_or("");
        tls.key_file = config.client_key_file.value_or("");
        {
            std::lock_guard<std::mutex> lock(core_->mutex);
            tls.alpn = core_->alpn.empty() ? config.alpn_protocols : core_->alpn;
            core_->early_data = config.enable_early_data;
        }
        ns_result r = detail::apply_tls(handle_, tls, ns_quic_client_set_tls);
        if (r == NS_OK)
            r = ns_quic_client_set_transport(handle_, config.max_idle_timeout_ms, config.initial_max_data,
                                             config.initial_max_stream_data, config.initial_max_streams_bidi,
                                             config.initial_max_streams_uni);
        if (r == NS_OK) r = ns_quic_client_set_send_wait_ms(handle_, config.send_wait_ms);
        if (r == NS_OK) {
            std::vector<uint8_t> early;
            early_data_callback_t produce;
            {
                std::lock_guard<std::mutex> lock(core_->mutex);
                produce = core_->on_early_data;
            }
            if (config.enable_early_data && produce) early = produce();
            r = ns_quic_client_set_early_data(handle_, config.enable_early_data, early.data(), early.size());
        }
        if (r == NS_OK) r = ns_quic_client_start_wait(handle_, std::string(host).c_str(), port);
        return result(r);
    }
    /// Closes gracefully (code 0, queued data flushed first); waits for running callbacks
    /// unless called from one. Not running → ok.
    [[nodiscard]] VoidResult stop_client() { return result(ns_quic_client_stop(handle_)); }
    [[nodiscard]] const std::string& client_id() const { return client_id_; }

    /// Sends one message: the server's receive callback gets it whole, in order. -603 not
    /// connected, -642 over the size limit, -643 queue full.
    [[nodiscard]] VoidResult send_packet(std::vector<uint8_t>&& data) {
        return result(network::detail::send_vector(handle_, std::move(data), ns_quic_client_send,
                                                   ns_quic_client_send_owned,
                                                   network::detail::quic_owned_send_threshold));
    }
    [[nodiscard]] VoidResult send_packet(std::string_view data) {
        return result(ns_quic_client_send(handle_, reinterpret_cast<const uint8_t*>(data.data()), data.size()));
    }
    [[nodiscard]] VoidResult send(std::vector<uint8_t>&& data) override { return send_packet(std::move(data)); }
    [[nodiscard]] quic_connection_stats stats() const {
        ns_quic_connection* c = ns_quic_client_get_connection(handle_);
        quic_connection_stats s = detail::read_quic_stats(c);
        ns_quic_connection_release(c);
        return s;
    }

    [[nodiscard]] bool is_running() const override { return ns_quic_client_is_running(handle_); }
    /// Blocks until the client stopped (the original returned at once).
    void wait_for_stop() override { ns_quic_client_wait_for_stop(handle_); }
    [[nodiscard]] VoidResult start(std::string_view host, uint16_t port) override { return start_client(host, port); }
    [[nodiscard]] VoidResult stop() override { return stop_client(); }
    [[nodiscard]] bool is_connected() const override { return ns_quic_client_is_connected(handle_); }
    [[nodiscard]] bool is_handshake_complete() const override { return is_connected(); }

    /// Opens a stream; -680 when the server allows no more now.
    [[nodiscard]] Result<uint64_t> create_stream() override { return open(false); }
    [[nodiscard]] Result<uint64_t> create_unidirectional_stream() override { return open(true); }
    /// Queues bytes on a stream: -1 unknown stream, -681 already finished, -603 not connected.
    [[nodiscard]] VoidResult send_on_stream(uint64_t stream_id, std::vector<uint8_t>&& data, bool fin = false) override {
        auto copy = [stream_id, fin](auto* h, const uint8_t* d, size_t n) {
            return ns_quic_client_send_on_stream(h, stream_id, d, n, fin);
        };
        auto handed_over = [stream_id, fin](auto* h, const uint8_t* d, size_t n, ns_free_fn f, void* ctx) {
            return ns_quic_client_send_on_stream_owned(h, stream_id, d, n, fin, f, ctx);
        };
        return result(network::detail::send_vector(handle_, std::move(data), copy, handed_over,
                                                   network::detail::quic_owned_send_threshold));
    }
    /// Finishes this side of the stream (a fin after what is queued).
    [[nodiscard]] VoidResult close_stream(uint64_t stream_id) override {
        return result(ns_quic_client_close_stream(handle_, stream_id));
    }

    /// Protocols offered at the next start_client (replacing the config's).
    void set_alpn_protocols(const std::vector<std::string>& protocols) override {
        std::lock_guard<std::mutex> lock(core_->mutex);
        core_->alpn = protocols;
    }
    [[nodiscard]] std::optional<std::string> alpn_protocol() const override {
        ns_quic_connection* c = ns_quic_client_get_connection(handle_);
        auto alpn = detail::quic_alpn(c);
        ns_quic_connection_release(c);
        return alpn;
    }
    [[nodiscard]] bool is_early_data_accepted() const override {
        ns_quic_connection* c = ns_quic_client_get_connection(handle_);
        bool accepted = ns_quic_connection_early_data_accepted(c);
        ns_quic_connection_release(c);
        return accepted;
    }

    void set_receive_callback(receive_callback_t callback) override {
        update_receiver([&](receiver& r) { r.receive = std::move(callback); });
    }
    void set_stream_callback(stream_callback_t callback) override {
        update_receiver([&](receiver& r) { r.stream = std::move(callback); });
    }
    void set_stream_receive_callback(stream_receive_callback_t callback) { set_stream_callback(std::move(callback)); }
    void set_connected_callback(connected_callback_t callback) override { set(core_->on_connected, std::move(callback)); }
    void set_disconnected_callback(disconnected_callback_t callback) override {
        set(core_->on_disconnected, std::move(callback));
    }
    void set_error_callback(error_callback_t callback) override { set(core_->on_error, std::move(callback)); }
    /// Kept for source compatibility and never called: session tickets stay in the library's
    /// in-process store (rustls does not export them) and are used by every later connection
    /// to the same server name.
    void set_session_ticket_callback(session_ticket_callback_t callback) override {
        set(core_->on_ticket, std::move(callback));
    }
    /// Produces the early data at start_client (when enable_early_data is set).
    void set_early_data_callback(early_data_callback_t callback) override {
        set(core_->on_early_data, std::move(callback));
    }
    /// Told after the handshake whether the server accepted the 0-RTT data (when
    /// enable_early_data is set), right after the connected callback.
    void set_early_data_accepted_callback(early_data_accepted_callback_t callback) override {
        set(core_->on_early_accepted, std::move(callback));
    }

    // Extensions over the original.
    /// Datagrams (RFC 9221) from the server, whole; unreliable.
    void set_datagram_callback(receive_callback_t callback) {
        update_receiver([&](receiver& r) { r.datagram = std::move(callback); });
    }
    /// Sends an unreliable datagram (RFC 9221): -642 over the path's limit.
    [[nodiscard]] VoidResult send_datagram(const std::vector<uint8_t>& data) {
        return result(ns_quic_client_send_datagram(handle_, data.data(), data.size()));
    }
    /// The application error code of the last connection's close (by either side), once it
    /// ended with one; a non-zero code from the server also reaches the error callback (-682).
    [[nodiscard]] std::optional<uint64_t> close_code() const {
        uint64_t code = core_->close_code.load();
        if (code == no_code) return std::nullopt;
        return code;
    }
    [[nodiscard]] network_stats network_statistics() const {
        return network::detail::read_stats(handle_, ns_quic_client_get_stats);
    }

private:
    static constexpr uint64_t no_code = UINT64_MAX;
    struct core_state {
        std::mutex mutex;
        std::vector<std::string> alpn;
        bool early_data = false;
        std::atomic<uint64_t> close_code{no_code};
        connected_callback_t on_connected;
        disconnected_callback_t on_disconnected;
        error_callback_t on_error;
        session_ticket_callback_t on_ticket;
        early_data_callback_t on_early_data;
        early_data_accepted_callback_t on_early_accepted;
    };
    using core_ptr = std::shared_ptr<core_state>;
    struct receiver {
        receive_callback_t receive;
        stream_callback_t stream;
        receive_callback_t datagram;
    };

    static VoidResult result(ns_result code) { return network::detail::to_result(code, "messaging_quic_client"); }
    Result<uint64_t> open(bool unidirectional) {
        uint64_t id = 0;
        ns_result code = ns_quic_client_create_stream(handle_, unidirectional, &id);
        return core::detail::quic_stream_result(code, id, "messaging_quic_client");
    }

    template <typename F>
    void set(F& slot, F callback) {
        std::lock_guard<std::mutex> lock(core_->mutex);
        slot = std::move(callback);
    }

    template <typename Edit>
    void update_receiver(Edit edit) {
        std::lock_guard<std::mutex> lock(receiver_mutex_);
        edit(receiver_);
        using H = network::detail::holder<receiver>;
        ns_quic_client_set_message_callback(handle_, &on_message_c, network::detail::make_holder(receiver_), &H::release);
        ns_quic_client_set_stream_callback(handle_, &on_stream_c, network::detail::make_holder(receiver_), &H::release);
        ns_quic_client_set_datagram_callback(handle_, &on_datagram_c, network::detail::make_holder(receiver_), &H::release);
    }

    static void on_connected_c(void* ud, const ns_quic_connection* c) {
        detail::guarded([&] {
            core_ptr& core = network::detail::held<core_ptr>(ud);
            connected_callback_t cb;
            early_data_accepted_callback_t accepted;
            {
                std::lock_guard<std::mutex> lock(core->mutex);
                core->close_code = no_code;
                cb = core->on_connected;
                if (core->early_data) accepted = core->on_early_accepted;
            }
            if (cb) cb();
            if (accepted) accepted(ns_quic_connection_early_data_accepted(c));
        });
    }

    static void on_message_c(void* ud, const ns_quic_connection*, const uint8_t* data, size_t len) {
        detail::guarded([&] {
            const receiver& r = network::detail::held<receiver>(ud);
            if (r.receive) r.receive(network::detail::received(data, len));
        });
    }

    static void on_datagram_c(void* ud, const ns_quic_connection*, const uint8_t* data, size_t len) {
        detail::guarded([&] {
            const receiver& r = network::detail::held<receiver>(ud);
            if (r.datagram) r.datagram(network::detail::received(data, len));
        });
    }

    static void on_stream_c(void* ud, const ns_quic_connection*, uint64_t stream_id, const uint8_t* data, size_t len,
                            bool fin) {
        detail::guarded([&] {
            const receiver& r = network::detail::held<receiver>(ud);
            if (r.stream) r.stream(stream_id, network::detail::received(data, len), fin);
        });
    }

    static void on_closed_c(void* ud, const ns_quic_connection* c) {
        detail::guarded([&] {
            core_ptr& core = network::detail::held<core_ptr>(ud);
            uint64_t code = no_code;
            bool by_peer = false;
            if (ns_quic_connection_close_info(c, &code, &by_peer, nullptr) == NS_OK) core->close_code = code;
            disconnected_callback_t cb;
            {
                std::lock_guard<std::mutex> lock(core->mutex);
                cb = core->on_disconnected;
            }
            if (cb) cb();
        });
    }

    static void on_error_c(void* ud, const ns_quic_connection*, ns_result code, const char*) {
        detail::guarded([&] {
            core_ptr& core = network::detail::held<core_ptr>(ud);
            error_callback_t cb;
            {
                std::lock_guard<std::mutex> lock(core->mutex);
                cb = core->on_error;
            }
            if (cb) cb(make_error_code(code));
        });
    }

    ns_quic_client* handle_;
    std::string client_id_;
    core_ptr core_;
    std::mutex receiver_mutex_;
    receiver receiver_;
};

using quic_client = messaging_quic_client;
using secure_quic_client = messaging_quic_client;

}  // namespace kcenon::network::core

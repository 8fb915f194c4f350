// kcenon::network::core::messaging_client — TCP client, source-compatible with the original.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "options.h"

namespace kcenon::network::core {

/// A TCP client. start_client() returns at once; the connected or error callback follows.
/// Callbacks run on library threads, never overlapping, in order connected → receive… →
/// error? → disconnected. Every member may be called from any thread, also inside callbacks.
class messaging_client : public std::enable_shared_from_this<messaging_client> {
public:
    using receive_callback_t = std::function<void(const std::vector<uint8_t>&)>;
    using connected_callback_t = std::function<void()>;
    using disconnected_callback_t = std::function<void()>;
    using error_callback_t = std::function<void(std::error_code)>;

    explicit messaging_client(std::string_view client_id)
        : messaging_client(client_id, client_options{}) {}

    messaging_client(std::string_view client_id, const client_options& options)
        : messaging_client(client_id, options, ns_tcp_client_new()) {}

    /// Stops the client (a connected client gets its disconnected callback) and releases it;
    /// a client lent by a connection_pool goes back to its pool instead, still connected.
    ~messaging_client() noexcept {
        if (give_back_) {
            give_back_(handle_);
            return;
        }
        ns_tcp_client_stop(handle_);
        ns_tcp_client_free(handle_);
    }

    messaging_client(const messaging_client&) = delete;
    messaging_client& operator=(const messaging_client&) = delete;

    /// Starts connecting. A plain client returns at once: errors are empty host or port 0 → -1,
    /// malformed host → -607, already running → -664 (the original said -7), and connect
    /// failures (-600, -601, -602, -607) arrive through the error callback. A TLS client
    /// (secure_messaging_client, also when called through a messaging_client&) returns after the
    /// handshake with its outcome, like the original's secure client.
    [[nodiscard]] VoidResult start_client(std::string_view host, unsigned short port) {
        if (options_result_.is_err()) return options_result_;
        const std::string h(host);
        const ns_result code = wait_for_handshake_ ? ns_tcp_client_start_wait(handle_, h.c_str(), port)
                                                   : ns_tcp_client_start(handle_, h.c_str(), port);
        return network::detail::to_result(code, wait_for_handshake_ ? "secure_messaging_client" : "messaging_client");
    }

    /// Stops connecting and closes the connection gracefully; waits for running callbacks
    /// unless called from one. Not running → ok.
    VoidResult stop_client() {
        return network::detail::to_result(ns_tcp_client_stop(handle_), "messaging_client");
    }

    /// Queues data: -603 when not connected (nothing is buffered), -1 when empty, -642 too
    /// large (framed), -643 send queue full.
    [[nodiscard]] VoidResult send_packet(std::vector<uint8_t>&& data) {
        return network::detail::to_result(
            network::detail::send_vector(handle_, std::move(data), ns_tcp_client_send, ns_tcp_client_send_owned),
            "messaging_client");
    }

    /// Queues several messages with one call (one lock, one writer wake-up); all or nothing.
    [[nodiscard]] VoidResult send_batch(const std::vector<std::vector<uint8_t>>& messages) {
        return network::detail::to_result(network::detail::send_messages(handle_, messages, ns_tcp_client_send_batch),
                                          "messaging_client");
    }

    [[nodiscard]] VoidResult start(std::string_view host, uint16_t port) { return start_client(host, port); }
    VoidResult stop() { return stop_client(); }
    [[nodiscard]] VoidResult send(std::vector<uint8_t>&& data) { return send_packet(std::move(data)); }

    [[nodiscard]] bool is_connected() const { return ns_tcp_client_is_connected(handle_); }
    [[nodiscard]] bool is_running() const { return ns_tcp_client_is_running(handle_); }

    /// Blocks until the client is stopped: by stop_client() from another thread, or by itself
    /// when the connection is lost (without reconnect) or reconnect attempts run out.
    void wait_for_stop() { ns_tcp_client_wait_for_stop(handle_); }

    [[nodiscard]] const std::string& client_id() const { return client_id_; }

    /// Changes the options; before start only (else -664, and the options in force stay). An
    /// invalid option is reported here and by the next start_client().
    [[nodiscard]] VoidResult set_options(const client_options& options) {
        VoidResult r = configure(options);
        if (r.is_err() && r.error().code == error_codes::network_system::client_already_running) return r;
        options_result_ = r;
        return r;
    }

    [[nodiscard]] network_stats stats() const {
        return network::detail::read_stats(handle_, ns_tcp_client_get_stats);
    }

    /// Callbacks may be set or replaced at any time, also while connected.
    void set_receive_callback(receive_callback_t cb) {
        if (!cb) {
            ns_tcp_client_set_receive_callback(handle_, nullptr, nullptr, nullptr);
            return;
        }
        ns_tcp_client_set_receive_callback(handle_, &on_receive_c, network::detail::make_holder(std::move(cb)),
                                           &network::detail::holder<receive_callback_t>::release);
    }
    /// The same with a view of the received bytes instead of a `std::vector` copy (not in the
    /// original): `cb(const uint8_t* data, size_t len)`, or in C++20
    /// `cb(std::span<const uint8_t>)`; valid during the call.
    template <typename F, std::enable_if_t<network::detail::is_view_callback_v<F>, int> = 0>
    void set_receive_callback(F cb) {
        ns_tcp_client_set_receive_callback(handle_, &on_view_c,
                                           network::detail::make_holder(network::detail::view_function<>(std::move(cb))),
                                           &network::detail::holder<view_callback_t>::release);
    }
    void set_connected_callback(connected_callback_t cb) { set(core_->on_connected, std::move(cb)); }
    void set_disconnected_callback(disconnected_callback_t cb) { set(core_->on_disconnected, std::move(cb)); }
    void set_error_callback(error_callback_t cb) { set(core_->on_error, std::move(cb)); }

protected:
    /// For TLS clients: takes ownership of `handle` (from ns_tcp_client_new);
    /// with `wait_for_handshake`, start_client() returns after the first connection attempt.
    messaging_client(std::string_view client_id, const client_options& options, ns_tcp_client* handle,
                     bool wait_for_handshake = false)
        : handle_(handle), client_id_(client_id), core_(std::make_shared<core_state>()),
          wait_for_handshake_(wait_for_handshake) {
        options_result_ = configure(options);
        attach();
    }

    /// Keeps the first configuration error; start_client() reports it.
    void remember(ns_result code) {
        if (options_result_.is_ok() && code != NS_OK) options_result_ = network::detail::to_result(code, "messaging_client");
    }

    ns_tcp_client* handle() const { return handle_; }
    const VoidResult& options_result() const { return options_result_; }

private:
    friend class connection_pool;

    /// A client lent by a connection_pool: `handle` stays the pool's and `give_back` returns it.
    messaging_client(std::string_view client_id, ns_tcp_client* handle, std::function<void(ns_tcp_client*)> give_back)
        : handle_(handle), client_id_(client_id), core_(std::make_shared<core_state>()), wait_for_handshake_(true),
          give_back_(std::move(give_back)) {
        attach();
    }

    void attach() {
        using H = network::detail::holder<core_ptr>;
        ns_tcp_client_set_connected_callback(handle_, &on_connected_c, network::detail::make_holder(core_), &H::release);
        ns_tcp_client_set_disconnected_callback(handle_, &on_disconnected_c, network::detail::make_holder(core_), &H::release);
        ns_tcp_client_set_error_callback(handle_, &on_error_c, network::detail::make_holder(core_), &H::release);
    }

    struct core_state {
        std::mutex mutex;
        connected_callback_t on_connected;
        disconnected_callback_t on_disconnected;
        error_callback_t on_error;
    };
    using core_ptr = std::shared_ptr<core_state>;

    VoidResult configure(const client_options& options) {
        return network::detail::to_result(detail::apply(handle_, options), "messaging_client");
    }

    template <typename F>
    void set(F& slot, F cb) {
        std::lock_guard<std::mutex> lock(core_->mutex);
        slot = std::move(cb);
    }

    template <typename F>
    static F copy(void* ud, F core_state::*member) {
        core_ptr& core = network::detail::held<core_ptr>(ud);
        std::lock_guard<std::mutex> lock(core->mutex);
        return (*core).*member;
    }

    static void on_connected_c(void* ud, const ns_tcp_session*) {
        detail::guarded([&] {
            if (auto cb = copy(ud, &core_state::on_connected)) cb();
        });
    }
    static void on_disconnected_c(void* ud, const ns_tcp_session*) {
        detail::guarded([&] {
            if (auto cb = copy(ud, &core_state::on_disconnected)) cb();
        });
    }
    static void on_error_c(void* ud, const ns_tcp_session*, ns_result code, const char*) {
        detail::guarded([&] {
            if (auto cb = copy(ud, &core_state::on_error)) cb(make_error_code(code));
        });
    }
    static void on_receive_c(void* ud, const ns_tcp_session*, const uint8_t* data, std::size_t len) {
        detail::guarded([&] { network::detail::held<receive_callback_t>(ud)(network::detail::received(data, len)); });
    }
    using view_callback_t = std::function<void(const uint8_t*, std::size_t)>;
    static void on_view_c(void* ud, const ns_tcp_session*, const uint8_t* data, std::size_t len) {
        detail::guarded([&] { network::detail::held<view_callback_t>(ud)(data, len); });
    }

    ns_tcp_client* handle_;
    std::string client_id_;
    core_ptr core_;
    bool wait_for_handshake_;
    VoidResult options_result_ = ok();
    std::function<void(ns_tcp_client*)> give_back_;
};

namespace detail {

/// A plain TCP client whose start_client() returns once connected (or with the failure), as
/// secure_messaging_client's does: for the facades, the unified API and resilient_client.
class connected_client : public messaging_client {
public:
    explicit connected_client(std::string_view client_id, const client_options& options = {})
        : messaging_client(client_id, options, ns_tcp_client_new(), true) {}
};

}  // namespace detail

}  // namespace kcenon::network::core

// kcenon::network::core::messaging_ws_client — WebSocket client (RFC 6455, ws:// and wss://),
// source-compatible with the original.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "../interfaces/i_websocket_client.h"
#include "messaging_ws_server.h"

namespace kcenon::network::core {

/// A WebSocket client. start_client() returns once the opening handshake succeeded or failed
/// (so a send right after it goes out). Callbacks run on library threads, never overlapping,
/// in order connected → text/binary… → error? → disconnected. Every member may be called from
/// any thread, also inside callbacks.
class messaging_ws_client : public std::enable_shared_from_this<messaging_ws_client>, public interfaces::i_websocket_client {
public:
    using message_callback_t = std::function<void(const internal::ws_message&)>;
    using text_message_callback_t = std::function<void(const std::string&)>;
    using binary_message_callback_t = std::function<void(const std::vector<uint8_t>&)>;
    using connected_callback_t = std::function<void()>;
    using disconnected_callback_t = std::function<void(internal::ws_close_code, const std::string&)>;
    using error_callback_t = std::function<void(std::error_code)>;

    explicit messaging_ws_client(std::string_view client_id)
        : handle_(ns_ws_client_new()), client_id_(client_id), core_(std::make_shared<core_state>()) {
        using H = network::detail::holder<core_ptr>;
        ns_ws_client_set_connected_callback(handle_, &on_connected_c, network::detail::make_holder(core_), &H::release);
        ns_ws_client_set_close_callback(handle_, &on_close_c, network::detail::make_holder(core_), &H::release);
        ns_ws_client_set_error_callback(handle_, &on_error_c, network::detail::make_holder(core_), &H::release);
    }

    /// Stops the client (a connected client gets its disconnected callback) and releases it.
    ~messaging_ws_client() noexcept override {
        ns_ws_client_stop(handle_);
        ns_ws_client_free(handle_);
    }
    messaging_ws_client(const messaging_ws_client&) = delete;
    messaging_ws_client& operator=(const messaging_ws_client&) = delete;

    /// Applies `config` and connects to ws://host:port/path; returns once the opening handshake
    /// succeeded (the connected callback has run or runs now) or failed: -601 refused (also an
    /// upgrade the server refused), -600, -602 timeout, -607 unresolvable host, -644 not a
    /// WebSocket server, -606 certificate (wss), -664 running, -1 bad option. With
    /// auto_reconnect it keeps trying after a failed first attempt. Inside a callback it does
    /// not wait.
    [[nodiscard]] VoidResult start_client(const ws_client_config& config) {
        if (tls_result_.is_err()) return tls_result_;
        ns_result r = detail::apply(handle_, config);
        if (r == NS_OK) r = ns_ws_client_start_wait(handle_, config.host.c_str(), config.port);
        return network::detail::to_result(r, module());
    }
    [[nodiscard]] VoidResult start_client(std::string_view host, uint16_t port, std::string_view path = "/") {
        ws_client_config config;
        config.host = std::string(host);
        config.port = port;
        config.path = std::string(path);
        return start_client(config);
    }
    /// Closes the connection with 1000 and stops reconnecting; waits for running callbacks
    /// unless called from one. Not running → ok.
    [[nodiscard]] VoidResult stop_client() { return network::detail::to_result(ns_ws_client_stop(handle_), module()); }
    [[nodiscard]] const std::string& client_id() const { return client_id_; }
    [[nodiscard]] VoidResult send_ping(std::vector<uint8_t>&& payload = {}) { return ping(std::move(payload)); }

    [[nodiscard]] bool is_running() const override { return ns_ws_client_is_running(handle_); }
    /// Blocks until the client is stopped (by stop_client() on another thread, or by itself
    /// when the connection ends without reconnect). The original returned at once.
    void wait_for_stop() override { ns_ws_client_wait_for_stop(handle_); }
    [[nodiscard]] VoidResult start(std::string_view host, uint16_t port, std::string_view path = "/") override {
        return start_client(host, port, path);
    }
    [[nodiscard]] VoidResult stop() override { return stop_client(); }
    [[nodiscard]] bool is_connected() const override { return ns_ws_client_is_connected(handle_); }

    /// Queues a text message: -603 not connected, -1 not UTF-8, -642 over max_message_size,
    /// -643 send queue full. `handler` (optional) is called inline with the outcome.
    [[nodiscard]] VoidResult send_text(std::string&& message, send_callback_t handler = nullptr) override {
        const ns_result code =
            ns_ws_client_send_text(handle_, reinterpret_cast<const uint8_t*>(message.data()), message.size());
        return network::detail::finish_send(code, message.size(), handler, module());
    }
    [[nodiscard]] VoidResult send_binary(std::vector<uint8_t>&& data, send_callback_t handler = nullptr) override {
        const ns_result code = ns_ws_client_send_binary(handle_, data.data(), data.size());
        return network::detail::finish_send(code, data.size(), handler, module());
    }
    /// A ping (payload ≤ 125 bytes); the server answers with one pong.
    [[nodiscard]] VoidResult ping(std::vector<uint8_t>&& payload = {}) override {
        return network::detail::to_result(ns_ws_client_send_ping(handle_, payload.data(), payload.size()), module());
    }
    /// Starts the close handshake; the disconnected callback follows, and the client stops.
    [[nodiscard]] VoidResult close(uint16_t code = 1000, std::string_view reason = "") override {
        return network::detail::to_result(ns_ws_client_close(handle_, code, std::string(reason).c_str()), module());
    }

    /// Callbacks may be set or replaced at any time, also while connected.
    void set_text_callback(std::function<void(const std::string&)> callback) override {
        update_receiver([&](receiver& r) { r.text = std::move(callback); });
    }
    void set_binary_callback(std::function<void(const std::vector<uint8_t>&)> callback) override {
        update_receiver([&](receiver& r) { r.binary = std::move(callback); });
    }
    void set_connected_callback(std::function<void()> callback) override { set(core_->on_connected, std::move(callback)); }
    void set_disconnected_callback(std::function<void(uint16_t, std::string_view)> callback) override {
        set(core_->on_disconnected, std::move(callback));
    }
    void set_error_callback(std::function<void(std::error_code)> callback) override { set(core_->on_error, std::move(callback)); }

    // Extensions over the original.
    /// Every message (called besides the text/binary callbacks).
    void set_message_callback(message_callback_t callback) {
        update_receiver([&](receiver& r) { r.message = std::move(callback); });
    }
    /// The current connection, or nullptr when not connected.
    [[nodiscard]] std::shared_ptr<ws_connection> connection() const {
        ns_ws_connection* c = ns_ws_client_get_connection(handle_);
        return c ? std::make_shared<ws_connection>(c) : nullptr;
    }
    [[nodiscard]] network_stats stats() const { return network::detail::read_stats(handle_, ns_ws_client_get_stats); }

protected:
    ns_ws_client* handle() const { return handle_; }
    /// Keeps a TLS configuration error; start_client() reports it.
    void set_tls_result(VoidResult r) { tls_result_ = std::move(r); }
    virtual const char* module() const { return "messaging_ws_client"; }

private:
    struct core_state {
        std::mutex mutex;
        std::function<void()> on_connected;
        std::function<void(uint16_t, std::string_view)> on_disconnected;
        std::function<void(std::error_code)> on_error;
    };
    using core_ptr = std::shared_ptr<core_state>;
    struct receiver {
        std::function<void(const std::string&)> text;
        std::function<void(const std::vector<uint8_t>&)> binary;
        message_callback_t message;
    };

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
        ns_ws_client_set_message_callback(handle_, &on_message_c, network::detail::make_holder(receiver_), &H::release);
    }

    template <typename F>
    static F copy(void* ud, F core_state::*member) {
        core_ptr& core = network::detail::held<core_ptr>(ud);
        std::lock_guard<std::mutex> lock(core->mutex);
        return (*core).*member;
    }

    static void on_connected_c(void* ud, const ns_ws_connection*) {
        detail::guarded([&] {
            if (auto cb = copy(ud, &core_state::on_connected)) cb();
        });
    }
    static void on_close_c(void* ud, const ns_ws_connection*, uint16_t code, const char* reason) {
        detail::guarded([&] {
            if (auto cb = copy(ud, &core_state::on_disconnected)) cb(code, reason);
        });
    }
    static void on_error_c(void* ud, const ns_ws_connection*, ns_result code, const char*) {
        detail::guarded([&] {
            if (auto cb = copy(ud, &core_state::on_error)) cb(make_error_code(code));
        });
    }
    static void on_message_c(void* ud, const ns_ws_connection*, const uint8_t* data, std::size_t len, bool is_text) {
        detail::guarded([&] {
            const receiver& r = network::detail::held<receiver>(ud);
            if (r.message) r.message(detail::received_message(data, len, is_text));
            if (is_text && r.text) r.text(detail::received_text(data, len));
            if (!is_text && r.binary) r.binary(network::detail::received(data, len));
        });
    }

    ns_ws_client* handle_;
    std::string client_id_;
    core_ptr core_;
    std::mutex receiver_mutex_;
    receiver receiver_;
    VoidResult tls_result_ = ok();
};

/// A wss:// client: messaging_ws_client over TLS 1.2/1.3 (the original's secure_ws_client was a
/// plain alias without TLS). Verifies the server against the system roots plus the settings'
/// CAs by default.
class secure_ws_client : public messaging_ws_client {
public:
    explicit secure_ws_client(std::string_view client_id, bool verify_cert = true)
        : secure_ws_client(client_id, verifying(verify_cert)) {}
    secure_ws_client(std::string_view client_id, const tls_client_settings& tls) : messaging_ws_client(client_id) {
        (void)set_tls(tls);
    }
    /// Replaces the TLS settings; before start only (else -664).
    [[nodiscard]] VoidResult set_tls(const tls_client_settings& tls) {
        VoidResult r = network::detail::to_result(detail::apply_tls(handle(), tls, ns_ws_client_set_tls), module());
        set_tls_result(r);
        return r;
    }

protected:
    const char* module() const override { return "secure_ws_client"; }

private:
    static tls_client_settings verifying(bool verify) {
        tls_client_settings s;
        s.verify_cert = verify;
        return s;
    }
};

using ws_client = messaging_ws_client;

}  // namespace kcenon::network::core

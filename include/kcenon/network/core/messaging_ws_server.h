// kcenon::network::core::messaging_ws_server — WebSocket server (RFC 6455, ws:// and wss://),
// source-compatible with the original; ws_connection is one accepted client.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../interfaces/i_websocket_server.h"
#include "../internal/websocket/websocket_protocol.h"
#include "tls_options.h"
#include "ws_options.h"

namespace kcenon::network::core {

namespace detail {

/// "ip:port" of the connection's peer ("[ip]:port" for IPv6).
inline std::string ws_peer(const ns_ws_connection* c) {
    char ip[64] = {0};
    uint16_t port = 0;
    if (ns_ws_connection_remote_endpoint(c, ip, sizeof ip, &port) != NS_OK) return {};
    return network::detail::endpoint_text(ip, port);
}

/// Reads a string property of a connection through `get(c, buf, len)`: into a stack buffer,
/// and only when that is too small into one the size of the longest request head accepted.
template <typename Get>
inline std::string ws_string(const ns_ws_connection* c, Get get) {
    char small[256];
    if (get(c, small, sizeof small) == NS_OK) return std::string(small);
    std::string buf(16 * 1024, '\0');
    if (get(c, &buf[0], buf.size()) != NS_OK) return {};
    buf.resize(std::strlen(buf.c_str()));
    return buf;
}

/// The received text as a `std::string`, reusing one string per thread (no allocation per
/// message once grown). Valid during the callback.
inline const std::string& received_text(const uint8_t* data, std::size_t len) {
    thread_local std::string text;
    text.assign(reinterpret_cast<const char*>(data), len);
    return text;
}

/// The received message as an `internal::ws_message`, reused per thread like received_text.
inline const internal::ws_message& received_message(const uint8_t* data, std::size_t len, bool is_text) {
    thread_local internal::ws_message message;
    message.type = is_text ? internal::ws_message_type::text : internal::ws_message_type::binary;
    message.data.assign(data, data + len);
    return message;
}

}  // namespace detail

/// One WebSocket connection. Cheap to keep: it holds the connection, not a copy of its data;
/// after it closed, sends fail with -603.
class ws_connection : public interfaces::i_websocket_session, public std::enable_shared_from_this<ws_connection> {
public:
    /// Takes over an owned handle (from ns_ws_connection_retain or *_get_connection).
    explicit ws_connection(ns_ws_connection* handle)
        : handle_(handle), id_(detail::ws_peer(handle)), path_(detail::ws_string(handle, ns_ws_connection_path)) {}
    ~ws_connection() override { ns_ws_connection_release(handle_); }
    ws_connection(const ws_connection&) = delete;
    ws_connection& operator=(const ws_connection&) = delete;

    /// "ip:port" of the peer ("[ip]:port" for IPv6), unique among open connections.
    [[nodiscard]] std::string_view id() const override { return id_; }
    [[nodiscard]] bool is_connected() const override { return ns_ws_connection_is_connected(handle_); }
    [[nodiscard]] VoidResult send(std::vector<uint8_t>&& data) override { return send_binary(std::move(data)); }
    void close() override { close(1000); }
    /// Queues a text message: -1 not UTF-8, -603 closed, -642 over max_message_size, -643 queue full.
    [[nodiscard]] VoidResult send_text(std::string&& message) override {
        return result(ns_ws_connection_send_text(handle_, bytes(message), message.size()));
    }
    [[nodiscard]] VoidResult send_binary(std::vector<uint8_t>&& data) override {
        return result(ns_ws_connection_send_binary(handle_, data.data(), data.size()));
    }
    /// Starts the close handshake (code 1000–1003, 1007–1014, 3000–4999; reason ≤ 123 bytes).
    void close(uint16_t code, std::string_view reason = "") override {
        ns_ws_connection_close(handle_, code, std::string(reason).c_str());
    }
    /// The request path of the opening handshake (the original returned the configured path).
    [[nodiscard]] std::string_view path() const override { return path_; }
    [[nodiscard]] std::string remote_endpoint() const { return id_; }

    // Extensions over the original.
    /// Sends a ping (payload ≤ 125 bytes).
    [[nodiscard]] VoidResult ping(std::vector<uint8_t>&& payload = {}) {
        return result(ns_ws_connection_send_ping(handle_, payload.data(), payload.size()));
    }
    /// Process-unique number of this connection, never reused.
    [[nodiscard]] uint64_t connection_id() const { return ns_ws_connection_id(handle_); }
    /// The negotiated subprotocol, empty when none.
    [[nodiscard]] std::string subprotocol() const { return detail::ws_string(handle_, ns_ws_connection_subprotocol); }
    [[nodiscard]] network_stats stats() const { return network::detail::read_stats(handle_, ns_ws_connection_get_stats); }

private:
    static const uint8_t* bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }
    static VoidResult result(ns_result code) { return network::detail::to_result(code, "ws_connection"); }

    ns_ws_connection* handle_;
    std::string id_;
    std::string path_;
};

/// A WebSocket server. Callbacks run on library threads; for one connection they never overlap
/// and come in order connection → text/binary… → error? → disconnection. Every member may be
/// called from any thread, also inside callbacks (stop_server then does not wait).
class messaging_ws_server : public std::enable_shared_from_this<messaging_ws_server>, public interfaces::i_websocket_server {
public:
    using connection_callback_t = std::function<void(std::shared_ptr<ws_connection>)>;
    using disconnection_callback_t = std::function<void(const std::string&, internal::ws_close_code, const std::string&)>;
    using message_callback_t = std::function<void(std::shared_ptr<ws_connection>, const internal::ws_message&)>;
    using text_message_callback_t = std::function<void(std::shared_ptr<ws_connection>, const std::string&)>;
    using binary_message_callback_t = std::function<void(std::shared_ptr<ws_connection>, const std::vector<uint8_t>&)>;
    using error_callback_t = std::function<void(const std::string&, std::error_code)>;

    explicit messaging_ws_server(std::string_view server_id) : handle_(ns_ws_server_new()), core_(std::make_shared<core_state>()) {
        core_->server_id = std::string(server_id);
        using H = network::detail::holder<core_ptr>;
        ns_ws_server_set_connection_callback(handle_, &on_connection_c, network::detail::make_holder(core_), &H::release);
        ns_ws_server_set_close_callback(handle_, &on_close_c, network::detail::make_holder(core_), &H::release);
        ns_ws_server_set_error_callback(handle_, &on_error_c, network::detail::make_holder(core_), &H::release);
    }

    /// Stops the server (disconnection callbacks run) and releases it.
    ~messaging_ws_server() noexcept override {
        ns_ws_server_stop(handle_);
        ns_ws_server_free(handle_);
    }
    messaging_ws_server(const messaging_ws_server&) = delete;
    messaging_ws_server& operator=(const messaging_ws_server&) = delete;

    /// Applies `config` and listens on bind_address:port (0 = any; read it with port()).
    /// Errors: -661 running, -662 address in use, -607 bad bind address, -1 bad option, -606
    /// unusable certificate (secure_ws_server).
    [[nodiscard]] VoidResult start_server(const ws_server_config& config) {
        if (tls_result_.is_err()) return tls_result_;
        ns_result r = detail::apply(handle_, config);
        if (r == NS_OK) r = ns_ws_server_start(handle_, config.port);
        return network::detail::to_result(r, "messaging_ws_server");
    }
    [[nodiscard]] VoidResult start_server(uint16_t port, std::string_view path = "/") {
        ws_server_config config;
        config.port = port;
        config.path = std::string(path);
        return start_server(config);
    }
    /// Stops accepting and closes every connection with 1001; waits for running callbacks
    /// unless called from one. Not running → ok.
    [[nodiscard]] VoidResult stop_server() {
        return network::detail::to_result(ns_ws_server_stop(handle_), "messaging_ws_server");
    }
    [[nodiscard]] const std::string& server_id() const { return core_->server_id; }

    /// Queues the message to every open connection (a full or closing one is skipped).
    void broadcast_text(const std::string& message) {
        ns_ws_server_broadcast_text(handle_, reinterpret_cast<const uint8_t*>(message.data()), message.size(), nullptr);
    }
    void broadcast_binary(const std::vector<uint8_t>& data) {
        ns_ws_server_broadcast_binary(handle_, data.data(), data.size(), nullptr);
    }

    /// The open connection with this id (see ws_connection::id), or nullptr.
    [[nodiscard]] std::shared_ptr<ws_connection> get_connection(const std::string& connection_id) {
        std::lock_guard<std::mutex> lock(core_->mutex);
        auto it = core_->connections.find(connection_id);
        return it == core_->connections.end() ? nullptr : it->second;
    }
    /// The ids of the open connections.
    [[nodiscard]] std::vector<std::string> get_all_connections() {
        std::lock_guard<std::mutex> lock(core_->mutex);
        std::vector<std::string> ids;
        ids.reserve(core_->connections.size());
        for (const auto& kv : core_->connections) ids.push_back(kv.first);
        return ids;
    }

    [[nodiscard]] bool is_running() const override { return ns_ws_server_is_running(handle_); }
    /// Blocks until stop_server() is called from another thread (the original returned at once).
    void wait_for_stop() override { ns_ws_server_wait_for_stop(handle_); }
    [[nodiscard]] VoidResult start(uint16_t port) override { return start_server(port); }
    [[nodiscard]] VoidResult stop() override { return stop_server(); }
    [[nodiscard]] std::size_t connection_count() const override { return ns_ws_server_connection_count(handle_); }

    /// Callbacks may be set or replaced at any time; they apply to open connections too.
    void set_connection_callback(std::function<void(std::shared_ptr<interfaces::i_websocket_session>)> callback) override {
        set(core_->on_connection, std::move(callback));
    }
    void set_disconnection_callback(std::function<void(std::string_view, uint16_t, std::string_view)> callback) override {
        set(core_->on_disconnection, std::move(callback));
    }
    void set_error_callback(std::function<void(std::string_view, std::error_code)> callback) override {
        set(core_->on_error, std::move(callback));
    }
    void set_text_callback(std::function<void(std::string_view, const std::string&)> callback) override {
        update_receiver([&](receiver& r) { r.text = std::move(callback); });
    }
    void set_binary_callback(std::function<void(std::string_view, const std::vector<uint8_t>&)> callback) override {
        update_receiver([&](receiver& r) { r.binary = std::move(callback); });
    }

    // Extensions over the original.
    /// Every message with its connection (called besides the text/binary callbacks).
    void set_message_callback(message_callback_t callback) {
        update_receiver([&](receiver& r) { r.message = std::move(callback); });
    }
    /// The bound port while running, else 0.
    [[nodiscard]] uint16_t port() const {
        uint16_t p = 0;
        return ns_ws_server_port(handle_, &p) == NS_OK ? p : 0;
    }
    [[nodiscard]] network_stats stats() const { return network::detail::read_stats(handle_, ns_ws_server_get_stats); }

protected:
    ns_ws_server* handle() const { return handle_; }
    /// Keeps a TLS configuration error; start_server() reports it.
    void set_tls_result(VoidResult r) { tls_result_ = std::move(r); }

private:
    struct core_state {
        std::string server_id;
        std::mutex mutex;
        std::unordered_map<std::string, std::shared_ptr<ws_connection>> connections;
        std::function<void(std::shared_ptr<interfaces::i_websocket_session>)> on_connection;
        std::function<void(std::string_view, uint16_t, std::string_view)> on_disconnection;
        std::function<void(std::string_view, std::error_code)> on_error;
    };
    using core_ptr = std::shared_ptr<core_state>;
    /// The message callbacks, registered together with the library: no lock per message.
    struct receiver {
        std::function<void(std::string_view, const std::string&)> text;
        std::function<void(std::string_view, const std::vector<uint8_t>&)> binary;
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
        ns_ws_server_set_message_callback(handle_, &on_message_c, network::detail::make_holder(receiver_), &H::release);
    }

    static ws_connection* connection_of(const ns_ws_connection* c) {
        return c ? static_cast<ws_connection*>(ns_ws_connection_get_user_data(c)) : nullptr;
    }

    static void on_connection_c(void* ud, const ns_ws_connection* c) {
        detail::guarded([&] {
            core_ptr& core = network::detail::held<core_ptr>(ud);
            auto conn = std::make_shared<ws_connection>(ns_ws_connection_retain(c));
            ns_ws_connection_set_user_data(c, conn.get());
            std::function<void(std::shared_ptr<interfaces::i_websocket_session>)> cb;
            {
                std::lock_guard<std::mutex> lock(core->mutex);
                core->connections[std::string(conn->id())] = conn;
                cb = core->on_connection;
            }
            if (cb) cb(conn);
        });
    }

    static void on_message_c(void* ud, const ns_ws_connection* c, const uint8_t* data, std::size_t len, bool is_text) {
        detail::guarded([&] {
            const receiver& r = network::detail::held<receiver>(ud);
            ws_connection* conn = connection_of(c);
            if (!conn) return;
            if (r.message) r.message(conn->shared_from_this(), detail::received_message(data, len, is_text));
            if (is_text && r.text) r.text(conn->id(), detail::received_text(data, len));
            if (!is_text && r.binary) r.binary(conn->id(), network::detail::received(data, len));
        });
    }

    static void on_close_c(void* ud, const ns_ws_connection* c, uint16_t code, const char* reason) {
        detail::guarded([&] {
            core_ptr& core = network::detail::held<core_ptr>(ud);
            ws_connection* raw = connection_of(c);
            if (!raw) return;
            std::shared_ptr<ws_connection> conn;  // keeps it alive through the callback
            std::function<void(std::string_view, uint16_t, std::string_view)> cb;
            {
                std::lock_guard<std::mutex> lock(core->mutex);
                auto it = core->connections.find(std::string(raw->id()));
                if (it != core->connections.end() && it->second.get() == raw) {
                    conn = std::move(it->second);
                    core->connections.erase(it);
                }
                cb = core->on_disconnection;
            }
            if (conn && cb) cb(conn->id(), code, reason);
        });
    }

    static void on_error_c(void* ud, const ns_ws_connection* c, ns_result code, const char*) {
        detail::guarded([&] {
            core_ptr& core = network::detail::held<core_ptr>(ud);
            ws_connection* conn = connection_of(c);
            std::function<void(std::string_view, std::error_code)> cb;
            {
                std::lock_guard<std::mutex> lock(core->mutex);
                cb = core->on_error;
            }
            if (cb) cb(conn ? conn->id() : std::string_view(), make_error_code(code));
        });
    }

    ns_ws_server* handle_;
    core_ptr core_;
    std::mutex receiver_mutex_;
    receiver receiver_;
    VoidResult tls_result_ = ok();
};

/// A wss:// server: messaging_ws_server over TLS 1.2/1.3 (the original's secure_ws_server was
/// a plain alias without TLS). Without a certificate start_server() fails with -606.
class secure_ws_server : public messaging_ws_server {
public:
    /// TLS settings to be given with set_tls() before start_server().
    explicit secure_ws_server(std::string_view server_id) : secure_ws_server(server_id, tls_server_settings{}) {}
    secure_ws_server(std::string_view server_id, const tls_server_settings& tls) : messaging_ws_server(server_id) {
        (void)set_tls(tls);
    }
    /// Certificate chain and key from PEM files (read at start_server).
    secure_ws_server(std::string_view server_id, const std::string& cert_file, const std::string& key_file)
        : secure_ws_server(server_id, files(cert_file, key_file)) {}

    /// Replaces the TLS settings; before start only (else -661).
    [[nodiscard]] VoidResult set_tls(const tls_server_settings& tls) {
        VoidResult r = network::detail::to_result(detail::apply_tls(handle(), tls, ns_ws_server_set_tls), "secure_ws_server");
        set_tls_result(r);
        return r;
    }

private:
    static tls_server_settings files(const std::string& cert_file, const std::string& key_file) {
        tls_server_settings s;
        s.cert_file = cert_file;
        s.key_file = key_file;
        return s;
    }
};

using ws_server = messaging_ws_server;

}  // namespace kcenon::network::core

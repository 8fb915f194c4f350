// kcenon::network::core::messaging_quic_server — QUIC server (RFC 9000) on quinn, with the
// original's names and signatures. The original requires NETWORK_USE_EXPERIMENTAL for this
// header; here it is a supported API and compiles with or without that macro.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

#include "../../core/tls_options.h"
#include "../../interfaces/i_quic_server.h"
#include "../../session/quic_session.h"

namespace kcenon::network::core {

/// Options of messaging_quic_server (the original's fields and defaults).
struct quic_server_config {
    std::string cert_file;                   ///< PEM certificate chain (required)
    std::string key_file;                    ///< PEM private key (required)
    std::optional<std::string> ca_cert_file;  ///< CA for client certificates (mutual TLS)
    bool require_client_cert{false};
    std::vector<std::string> alpn_protocols;
    uint64_t max_idle_timeout_ms{30000};     ///< 0 = no idle timeout
    uint64_t initial_max_data{1048576};
    uint64_t initial_max_stream_data{65536};
    uint64_t initial_max_streams_bidi{100};
    uint64_t initial_max_streams_uni{100};
    size_t max_connections{10000};
    bool enable_retry{true};                 ///< address validation with a Retry round trip
    std::vector<uint8_t> retry_key;          ///< not used: quinn keeps its own random key
    // Extensions over the original.
    bool enable_early_data{false};           ///< accept 0-RTT data (it can be replayed)
    std::string bind_address{"0.0.0.0"};
    /// A session's send that finds its connection's 8 MiB queue full waits up to this long for
    /// room instead of returning -643 at once (0, the default: at once). Never inside a callback.
    uint64_t send_wait_ms{0};
};

/// A QUIC server. Callbacks run on library threads; for one session: connection →
/// (receive | stream)… → error? → disconnection, data of one stream in order. Every member may
/// be called from any thread, also inside callbacks (stop_server then does not wait).
class messaging_quic_server : public std::enable_shared_from_this<messaging_quic_server>,
                              public interfaces::i_quic_server {
public:
    using connection_callback_t = std::function<void(std::shared_ptr<session::quic_session>)>;
    using disconnection_callback_t = std::function<void(std::shared_ptr<session::quic_session>)>;
    using receive_callback_t = std::function<void(std::shared_ptr<session::quic_session>, const std::vector<uint8_t>&)>;
    using stream_receive_callback_t =
        std::function<void(std::shared_ptr<session::quic_session>, uint64_t, const std::vector<uint8_t>&, bool)>;
    using error_callback_t = std::function<void(std::error_code)>;

    explicit messaging_quic_server(std::string_view server_id)
        : handle_(ns_quic_server_new()), core_(std::make_shared<core_state>()) {
        core_->server_id = std::string(server_id);
        using H = network::detail::holder<core_ptr>;
        ns_quic_server_set_connection_callback(handle_, &on_connection_c, network::detail::make_holder(core_), &H::release);
        ns_quic_server_set_closed_callback(handle_, &on_closed_c, network::detail::make_holder(core_), &H::release);
        ns_quic_server_set_error_callback(handle_, &on_error_c, network::detail::make_holder(core_), &H::release);
    }
    /// Stops the server (disconnection callbacks run) and releases it.
    ~messaging_quic_server() noexcept override {
        ns_quic_server_stop(handle_);
        ns_quic_server_free(handle_);
    }
    messaging_quic_server(const messaging_quic_server&) = delete;
    messaging_quic_server& operator=(const messaging_quic_server&) = delete;

    /// Starts without a certificate: fails with -606 (QUIC needs TLS); use the overload.
    [[nodiscard]] VoidResult start_server(unsigned short port) { return start_server(port, quic_server_config{}); }
    /// Binds UDP `port` (0 = any; read it with port()) and accepts connections. Errors: -606
    /// certificate/key missing or unusable (the message names the file), -662 port in use,
    /// -661 running, -1 bad option.
    [[nodiscard]] VoidResult start_server(unsigned short port, const quic_server_config& config) {
        tls_server_settings tls;
        tls.cert_file = config.cert_file;
        tls.key_file = config.key_file;
        tls.client_ca_file = config.ca_cert_file.value_or("");
        tls.require_client_cert = config.require_client_cert;
        tls.alpn = config.alpn_protocols;
        ns_result r = detail::apply_tls(handle_, tls, ns_quic_server_set_tls);
        if (r == NS_OK)
            r = ns_quic_server_set_transport(handle_, config.max_idle_timeout_ms, config.initial_max_data,
                                             config.initial_max_stream_data, config.initial_max_streams_bidi,
                                             config.initial_max_streams_uni);
        if (r == NS_OK)
            r = ns_quic_server_set_admission(handle_, config.max_connections, config.enable_retry,
                                             config.enable_early_data);
        if (r == NS_OK) r = ns_quic_server_set_send_wait_ms(handle_, config.send_wait_ms);
        if (r == NS_OK) r = ns_quic_server_set_socket(handle_, config.bind_address.c_str(), 0, 0);
        if (r == NS_OK) r = ns_quic_server_start(handle_, port);
        return result(r);
    }
    /// Stops accepting and closes every session gracefully (code 0); waits for running
    /// callbacks unless called from one. Not running → ok.
    [[nodiscard]] VoidResult stop_server() { return result(ns_quic_server_stop(handle_)); }
    [[nodiscard]] const std::string& server_id() const { return core_->server_id; }

    [[nodiscard]] std::vector<std::shared_ptr<session::quic_session>> sessions() const {
        std::lock_guard<std::mutex> lock(core_->mutex);
        std::vector<std::shared_ptr<session::quic_session>> all;
        all.reserve(core_->sessions.size());
        for (const auto& kv : core_->sessions) all.push_back(kv.second);
        return all;
    }
    /// The open session with this id (see quic_session::session_id), or nullptr.
    [[nodiscard]] std::shared_ptr<session::quic_session> get_session(const std::string& session_id) {
        std::lock_guard<std::mutex> lock(core_->mutex);
        auto it = core_->sessions.find(session_id);
        return it == core_->sessions.end() ? nullptr : it->second;
    }
    [[nodiscard]] size_t session_count() const { return ns_quic_server_connection_count(handle_); }
    /// Closes one session gracefully with an application error code; -620 unknown id.
    [[nodiscard]] VoidResult disconnect_session(const std::string& session_id, uint64_t error_code = 0) {
        auto s = get_session(session_id);
        if (!s) return error_void(error_codes::network_system::session_not_found, "no session " + session_id,
                                  "messaging_quic_server");
        return s->close(error_code);
    }
    void disconnect_all(uint64_t error_code = 0) { ns_quic_server_disconnect_all(handle_, error_code); }
    /// Queues a message to every session (a closing or full one is skipped); -660 when not
    /// running.
    [[nodiscard]] VoidResult broadcast(std::vector<uint8_t>&& data) {
        if (!is_running()) return not_running();
        return result(ns_quic_server_broadcast(handle_, data.data(), data.size(), nullptr));
    }
    /// Queues a message to the listed sessions (unknown ids are skipped); -660 when not running.
    [[nodiscard]] VoidResult multicast(const std::vector<std::string>& session_ids, std::vector<uint8_t>&& data) {
        if (!is_running()) return not_running();
        std::vector<uint64_t> ids;
        ids.reserve(session_ids.size());
        for (const auto& id : session_ids) {
            if (auto s = get_session(id)) ids.push_back(s->connection_id());
        }
        return result(ns_quic_server_multicast(handle_, ids.data(), ids.size(), data.data(), data.size(), nullptr));
    }

    [[nodiscard]] bool is_running() const override { return ns_quic_server_is_running(handle_); }
    /// Blocks until stop_server() is called from another thread (the original returned at once).
    void wait_for_stop() override { ns_quic_server_wait_for_stop(handle_); }
    [[nodiscard]] VoidResult start(uint16_t port) override { return start_server(port); }
    [[nodiscard]] VoidResult stop() override { return stop_server(); }
    [[nodiscard]] size_t connection_count() const override { return session_count(); }

    // Callbacks may be set or replaced at any time; they apply to open sessions too.
    void set_connection_callback(interfaces::i_quic_server::connection_callback_t callback) override {
        set(core_->on_connection_i, std::move(callback));
    }
    void set_disconnection_callback(interfaces::i_quic_server::disconnection_callback_t callback) override {
        set(core_->on_disconnection_i, std::move(callback));
    }
    void set_receive_callback(interfaces::i_quic_server::receive_callback_t callback) override {
        update_receiver([&](receiver& r) { r.receive_i = std::move(callback); });
    }
    void set_stream_callback(interfaces::i_quic_server::stream_callback_t callback) override {
        update_receiver([&](receiver& r) { r.stream_i = std::move(callback); });
    }
    void set_error_callback(interfaces::i_quic_server::error_callback_t callback) override {
        set(core_->on_error_i, std::move(callback));
    }
    void set_connection_callback(connection_callback_t callback) { set(core_->on_connection, std::move(callback)); }
    void set_disconnection_callback(disconnection_callback_t callback) {
        set(core_->on_disconnection, std::move(callback));
    }
    void set_receive_callback(receive_callback_t callback) {
        update_receiver([&](receiver& r) { r.receive = std::move(callback); });
    }
    void set_stream_receive_callback(stream_receive_callback_t callback) {
        update_receiver([&](receiver& r) { r.stream = std::move(callback); });
    }
    void set_error_callback(error_callback_t callback) { set(core_->on_error, std::move(callback)); }

    // Extensions over the original.
    /// Datagrams (RFC 9221) from clients, whole; unreliable.
    void set_datagram_callback(receive_callback_t callback) {
        update_receiver([&](receiver& r) { r.datagram = std::move(callback); });
    }
    /// The bound port while running, else 0.
    [[nodiscard]] uint16_t port() const {
        uint16_t p = 0;
        return ns_quic_server_port(handle_, &p) == NS_OK ? p : 0;
    }
    [[nodiscard]] network_stats stats() const { return network::detail::read_stats(handle_, ns_quic_server_get_stats); }

private:
    using session_ptr = std::shared_ptr<session::quic_session>;
    struct core_state {
        std::string server_id;
        mutable std::mutex mutex;
        std::unordered_map<std::string, session_ptr> sessions;
        connection_callback_t on_connection;
        disconnection_callback_t on_disconnection;
        error_callback_t on_error;
        interfaces::i_quic_server::connection_callback_t on_connection_i;
        interfaces::i_quic_server::disconnection_callback_t on_disconnection_i;
        interfaces::i_quic_server::error_callback_t on_error_i;
    };
    using core_ptr = std::shared_ptr<core_state>;
    /// The data callbacks, registered together with the library: no lock per message.
    struct receiver {
        receive_callback_t receive;
        stream_receive_callback_t stream;
        interfaces::i_quic_server::receive_callback_t receive_i;
        interfaces::i_quic_server::stream_callback_t stream_i;
        receive_callback_t datagram;
    };

    static VoidResult result(ns_result code) { return network::detail::to_result(code, "messaging_quic_server"); }
    static VoidResult not_running() {
        return error_void(error_codes::network_system::server_not_started, "server is not running",
                          "messaging_quic_server");
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
        ns_quic_server_set_message_callback(handle_, &on_message_c, network::detail::make_holder(receiver_), &H::release);
        ns_quic_server_set_stream_callback(handle_, &on_stream_c, network::detail::make_holder(receiver_), &H::release);
        ns_quic_server_set_datagram_callback(handle_, &on_datagram_c, network::detail::make_holder(receiver_), &H::release);
    }

    static session::quic_session* session_of(const ns_quic_connection* c) {
        return c ? reinterpret_cast<session::quic_session*>(ns_quic_connection_user_tag(c)) : nullptr;
    }

    static void on_connection_c(void* ud, const ns_quic_connection* c) {
        detail::guarded([&] {
            core_ptr& core = network::detail::held<core_ptr>(ud);
            auto s = std::make_shared<session::quic_session>(ns_quic_connection_retain(c));
            ns_quic_connection_set_user_tag(c, reinterpret_cast<uintptr_t>(s.get()));
            connection_callback_t cb;
            interfaces::i_quic_server::connection_callback_t cb_i;
            {
                std::lock_guard<std::mutex> lock(core->mutex);
                core->sessions[s->session_id()] = s;
                cb = core->on_connection;
                cb_i = core->on_connection_i;
            }
            if (cb) cb(s);
            if (cb_i) cb_i(s);
        });
    }

    static void on_message_c(void* ud, const ns_quic_connection* c, const uint8_t* data, size_t len) {
        detail::guarded([&] {
            const receiver& r = network::detail::held<receiver>(ud);
            session::quic_session* s = session_of(c);
            if (!s) return;
            const auto& message = network::detail::received(data, len);
            if (r.receive) r.receive(s->shared_from_this(), message);
            if (r.receive_i) r.receive_i(s->id(), message);
            s->deliver(message);
        });
    }

    static void on_datagram_c(void* ud, const ns_quic_connection* c, const uint8_t* data, size_t len) {
        detail::guarded([&] {
            const receiver& r = network::detail::held<receiver>(ud);
            session::quic_session* s = session_of(c);
            if (s && r.datagram) r.datagram(s->shared_from_this(), network::detail::received(data, len));
        });
    }

    static void on_stream_c(void* ud, const ns_quic_connection* c, uint64_t stream_id, const uint8_t* data, size_t len,
                            bool fin) {
        detail::guarded([&] {
            const receiver& r = network::detail::held<receiver>(ud);
            session::quic_session* s = session_of(c);
            if (!s) return;
            const auto& bytes = network::detail::received(data, len);
            if (r.stream) r.stream(s->shared_from_this(), stream_id, bytes, fin);
            if (r.stream_i) r.stream_i(s->id(), stream_id, bytes, fin);
            s->deliver(stream_id, bytes, fin);
        });
    }

    static void on_closed_c(void* ud, const ns_quic_connection* c) {
        detail::guarded([&] {
            core_ptr& core = network::detail::held<core_ptr>(ud);
            session::quic_session* raw = session_of(c);
            if (!raw) return;
            session_ptr s;  // keeps it alive through the callbacks
            disconnection_callback_t cb;
            interfaces::i_quic_server::disconnection_callback_t cb_i;
            {
                std::lock_guard<std::mutex> lock(core->mutex);
                auto it = core->sessions.find(raw->session_id());
                if (it != core->sessions.end()) {
                    s = std::move(it->second);
                    core->sessions.erase(it);
                }
                cb = core->on_disconnection;
                cb_i = core->on_disconnection_i;
            }
            if (!s) return;
            s->closed();
            if (cb) cb(s);
            if (cb_i) cb_i(s->id());
        });
    }

    static void on_error_c(void* ud, const ns_quic_connection* c, ns_result code, const char*) {
        detail::guarded([&] {
            core_ptr& core = network::detail::held<core_ptr>(ud);
            session::quic_session* s = session_of(c);
            error_callback_t cb;
            interfaces::i_quic_server::error_callback_t cb_i;
            {
                std::lock_guard<std::mutex> lock(core->mutex);
                cb = core->on_error;
                cb_i = core->on_error_i;
            }
            if (cb) cb(make_error_code(code));
            if (cb_i) cb_i(s ? s->id() : std::string_view(), make_error_code(code));
        });
    }

    ns_quic_server* handle_;
    core_ptr core_;
    std::mutex receiver_mutex_;
    receiver receiver_;
};

using quic_server = messaging_quic_server;
using secure_quic_server = messaging_quic_server;

}  // namespace kcenon::network::core

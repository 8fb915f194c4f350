// kcenon::network::core::messaging_server — TCP server, source-compatible with the original.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "../session/messaging_session.h"
#include "options.h"

namespace kcenon::network::core {

/// A TCP server. Callbacks run on library threads; for one session they never overlap and
/// come in order connection → receive… → error? → disconnection. Every member may be called
/// from any thread, including from inside callbacks (stop_server then does not wait).
class messaging_server : public std::enable_shared_from_this<messaging_server> {
public:
    using session_ptr = std::shared_ptr<session::messaging_session>;
    using connection_callback_t = std::function<void(session_ptr)>;
    using disconnection_callback_t = std::function<void(const std::string&)>;
    using receive_callback_t = std::function<void(session_ptr, const std::vector<uint8_t>&)>;
    using error_callback_t = std::function<void(session_ptr, std::error_code)>;

    explicit messaging_server(const std::string& server_id)
        : messaging_server(server_id, server_options{}) {}

    messaging_server(const std::string& server_id, const server_options& options)
        : messaging_server(server_id, options, ns_tcp_server_new()) {}

    /// Stops the server (disconnection callbacks run) and releases it.
    ~messaging_server() noexcept {
        ns_tcp_server_stop(handle_);
        ns_tcp_server_free(handle_);
    }

    messaging_server(const messaging_server&) = delete;
    messaging_server& operator=(const messaging_server&) = delete;

    /// Listens on bind_address:port (port 0 = any; read it with port()). Errors: -661 when
    /// running (the original said -7), -662 address in use, -607 bad bind address.
    [[nodiscard]] VoidResult start_server(unsigned short port) {
        if (options_result_.is_err()) return options_result_;
        return network::detail::to_result(ns_tcp_server_start(handle_, port), "messaging_server");
    }

    /// Stops accepting and closes every session gracefully; waits for running callbacks unless
    /// called from one. Not running → ok.
    VoidResult stop_server() {
        return network::detail::to_result(ns_tcp_server_stop(handle_), "messaging_server");
    }

    [[nodiscard]] VoidResult start(uint16_t port) { return start_server(port); }
    VoidResult stop() { return stop_server(); }

    [[nodiscard]] bool is_running() const noexcept { return ns_tcp_server_is_running(handle_); }

    /// Blocks until stop_server() is called (from another thread). Unlike the original, it waits.
    void wait_for_stop() { ns_tcp_server_wait_for_stop(handle_); }

    [[nodiscard]] const std::string& server_id() const { return core_->server_id; }

    /// The bound port while running, else 0.
    [[nodiscard]] unsigned short port() const {
        std::uint16_t p = 0;
        return ns_tcp_server_port(handle_, &p) == NS_OK ? p : 0;
    }

    [[nodiscard]] std::size_t connection_count() const { return ns_tcp_server_session_count(handle_); }

    /// The live sessions.
    [[nodiscard]] std::vector<session_ptr> sessions() const {
        std::lock_guard<std::mutex> lock(core_->mutex);
        std::vector<session_ptr> out;
        out.reserve(core_->sessions.size());
        for (const auto& kv : core_->sessions) out.push_back(kv.second);
        return out;
    }

    /// Changes the options; before start only (else -661, and the options in force stay). An
    /// invalid option is reported here and by the next start_server().
    [[nodiscard]] VoidResult set_options(const server_options& options) {
        VoidResult r = configure(options);
        if (r.is_err() && r.error().code == error_codes::network_system::server_already_running) return r;
        options_result_ = r;
        return r;
    }

    [[nodiscard]] network_stats stats() const {
        return network::detail::read_stats(handle_, ns_tcp_server_get_stats);
    }

    /// Callbacks may be set or replaced at any time; they apply to existing sessions too.
    void set_connection_callback(connection_callback_t cb) { set(core_->on_connection, std::move(cb)); }
    void set_disconnection_callback(disconnection_callback_t cb) { set(core_->on_disconnection, std::move(cb)); }
    void set_error_callback(error_callback_t cb) { set(core_->on_error, std::move(cb)); }
    void set_receive_callback(receive_callback_t cb) { set_receiver(receiver{core_, std::move(cb), nullptr}); }
    /// The same with a view of the received bytes instead of a `std::vector` copy (not in the
    /// original): `cb(session_ptr, const uint8_t* data, size_t len)`, or in C++20
    /// `cb(session_ptr, std::span<const uint8_t>)`; valid during the call.
    template <typename F, std::enable_if_t<network::detail::is_view_callback_v<F, session_ptr>, int> = 0>
    void set_receive_callback(F cb) {
        set_receiver(receiver{core_, nullptr, network::detail::view_function<session_ptr>(std::move(cb))});
    }

protected:
    /// For TLS servers: takes ownership of `handle` (from ns_tcp_server_new).
    messaging_server(const std::string& server_id, const server_options& options, ns_tcp_server* handle)
        : handle_(handle), core_(std::make_shared<core_state>()) {
        core_->server_id = server_id;
        options_result_ = configure(options);
        using H = detail_holder;
        ns_tcp_server_set_connection_callback(handle_, &on_connection_c, network::detail::make_holder(core_), &H::release);
        ns_tcp_server_set_disconnection_callback(handle_, &on_disconnection_c, network::detail::make_holder(core_), &H::release);
        ns_tcp_server_set_error_callback(handle_, &on_error_c, network::detail::make_holder(core_), &H::release);
        set_receive_callback(nullptr);
    }

    /// Keeps the first configuration error; start_server() reports it.
    void remember(ns_result code) {
        if (options_result_.is_ok() && code != NS_OK) options_result_ = network::detail::to_result(code, "messaging_server");
    }

    ns_tcp_server* handle() const { return handle_; }

private:
    struct core_state {
        std::string server_id;
        std::mutex mutex;
        std::unordered_map<std::uint64_t, session_ptr> sessions;
        connection_callback_t on_connection;
        disconnection_callback_t on_disconnection;
        error_callback_t on_error;
    };
    struct receiver {
        std::shared_ptr<core_state> core;
        receive_callback_t callback;
        std::function<void(session_ptr, const uint8_t*, std::size_t)> view;
    };
    void set_receiver(receiver r) {
        ns_tcp_server_set_receive_callback(handle_, &on_receive_c, network::detail::make_holder(std::move(r)),
                                           &network::detail::holder<receiver>::release);
    }
    using core_ptr = std::shared_ptr<core_state>;
    using detail_holder = network::detail::holder<core_ptr>;

    VoidResult configure(const server_options& options) {
        return network::detail::to_result(detail::apply(handle_, options), "messaging_server");
    }

    template <typename F>
    void set(F& slot, F cb) {
        std::lock_guard<std::mutex> lock(core_->mutex);
        slot = std::move(cb);
    }

    static session::messaging_session* session_of(const ns_tcp_session* s) {
        return s ? static_cast<session::messaging_session*>(ns_tcp_session_get_user_data(s)) : nullptr;
    }

    static void on_connection_c(void* ud, const ns_tcp_session* s) {
        detail::guarded([&] {
            core_ptr& core = network::detail::held<core_ptr>(ud);
            auto session = std::make_shared<session::messaging_session>(ns_tcp_session_retain(s), core->server_id);
            ns_tcp_session_set_user_data(s, session.get());
            connection_callback_t cb;
            {
                std::lock_guard<std::mutex> lock(core->mutex);
                core->sessions[session->session_id()] = session;
                cb = core->on_connection;
            }
            if (cb) cb(session);
        });
    }

    static void on_disconnection_c(void* ud, const ns_tcp_session* s) {
        detail::guarded([&] {
            core_ptr& core = network::detail::held<core_ptr>(ud);
            session_ptr session;
            disconnection_callback_t cb;
            {
                std::lock_guard<std::mutex> lock(core->mutex);
                auto it = core->sessions.find(ns_tcp_session_id(s));
                if (it == core->sessions.end()) return;
                session = std::move(it->second);
                core->sessions.erase(it);
                cb = core->on_disconnection;
            }
            if (auto own = session->callback(session->disconnection_cb_)) {
                (*own)(session->id_);
            } else if (cb) {
                cb(session->id_);
            }
        });
    }

    static void on_receive_c(void* ud, const ns_tcp_session* s, const uint8_t* data, std::size_t len) {
        detail::guarded([&] {
            const receiver& r = network::detail::held<receiver>(ud);
            session::messaging_session* raw = session_of(s);
            if (!raw) return;
            if (auto own = raw->callback(raw->receive_cb_)) {
                (*own)(network::detail::received(data, len));
            } else if (r.view) {
                r.view(raw->shared_from_this(), data, len);
            } else if (r.callback) {
                r.callback(raw->shared_from_this(), network::detail::received(data, len));
            }
        });
    }

    static void on_error_c(void* ud, const ns_tcp_session* s, ns_result code, const char*) {
        detail::guarded([&] {
            core_ptr& core = network::detail::held<core_ptr>(ud);
            session::messaging_session* raw = session_of(s);
            session_ptr session = raw ? raw->shared_from_this() : nullptr;
            if (session) {
                if (auto own = session->callback(session->error_cb_)) {
                    (*own)(make_error_code(code));
                    return;
                }
            }
            error_callback_t cb;
            {
                std::lock_guard<std::mutex> lock(core->mutex);
                cb = core->on_error;
            }
            if (cb) cb(session, make_error_code(code));
        });
    }

    ns_tcp_server* handle_;
    core_ptr core_;
    VoidResult options_result_ = ok();
};

}  // namespace kcenon::network::core

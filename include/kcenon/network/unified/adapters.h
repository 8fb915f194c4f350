// The unified API's i_connection / i_listener over any i_protocol_client / i_protocol_server.
// Internal: protocol/*.h create them.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "../facade/detail.h"
#include "i_transport.h"

namespace kcenon::network::unified::detail {

inline span<const std::byte> as_bytes(const std::vector<uint8_t>& d) {
    return span<const std::byte>(reinterpret_cast<const std::byte*>(d.data()), d.size());
}
inline std::vector<uint8_t> to_vector(span<const std::byte> d) {
    const auto* p = reinterpret_cast<const uint8_t*>(d.data());
    return std::vector<uint8_t>(p, p + d.size());
}

/// A parsed "scheme://host:port/path" or "host:port".
struct parsed_url {
    std::string host;
    uint16_t port = 0;
    std::string path = "/";
};

/// Splits `url`; -1 when it has no host or no valid port.
inline Result<parsed_url> parse_url(std::string_view url) {
    auto bad = [&] {
        return error<parsed_url>(error_codes::common_errors::invalid_argument, "malformed URL: " + std::string(url), "unified");
    };
    if (auto scheme = url.find("://"); scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
    parsed_url out;
    if (auto slash = url.find('/'); slash != std::string_view::npos) {
        out.path = std::string(url.substr(slash));
        url = url.substr(0, slash);
    }
    std::string_view port_text;
    if (!url.empty() && url.front() == '[') {
        const auto close = url.find(']');
        if (close == std::string_view::npos || close + 1 >= url.size() || url[close + 1] != ':') return bad();
        out.host = std::string(url.substr(1, close - 1));
        port_text = url.substr(close + 2);
    } else {
        const auto colon = url.rfind(':');
        if (colon == std::string_view::npos) return bad();
        out.host = std::string(url.substr(0, colon));
        port_text = url.substr(colon + 1);
    }
    unsigned long port = 0;
    for (char c : port_text) {
        if (c < '0' || c > '9' || port > 65535) return bad();
        port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (out.host.empty() || port_text.empty() || port == 0 || port > 65535) return bad();
    out.port = static_cast<uint16_t>(port);
    return out;
}

/// A set of callbacks replaced whole; an event takes a pointer to the current set under the
/// lock (no copy of the functions) and calls it outside.
template <typename C>
class callback_set {
public:
    void set(C callbacks) {
        auto next = std::make_shared<const C>(std::move(callbacks));
        std::lock_guard<std::mutex> lock(mutex_);
        current_ = std::move(next);
    }
    std::shared_ptr<const C> get() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return current_;
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<const C> current_ = std::make_shared<const C>();
};

/// Makes the client of one connect(): not started, for this path (URL protocols) and options.
using client_factory =
    std::function<std::shared_ptr<interfaces::i_protocol_client>(const std::string& path, const connection_options&)>;

/// i_connection over a fresh i_protocol_client per connect().
class client_connection : public i_connection {
public:
    client_connection(std::string id, client_factory make)
        : id_(std::move(id)), make_(std::move(make)), hub_(std::make_shared<callback_set<connection_callbacks>>()) {}
    ~client_connection() override { close(); }

    [[nodiscard]] auto connect(const endpoint_info& endpoint) -> VoidResult override {
        return open(endpoint.host, endpoint.port, "/");
    }
    [[nodiscard]] auto connect(std::string_view url) -> VoidResult override {
        auto u = parse_url(url);
        if (u.is_err()) return u.error();
        return open(u.value().host, u.value().port, u.value().path);
    }
    auto close() noexcept -> void override {
        if (auto c = current()) (void)c->stop();
    }
    auto set_callbacks(connection_callbacks callbacks) -> void override { hub_->set(std::move(callbacks)); }
    auto set_options(connection_options options) -> void override {
        std::lock_guard<std::mutex> lock(mutex_);
        options_ = options;
    }
    auto set_timeout(std::chrono::milliseconds timeout) -> void override {
        std::lock_guard<std::mutex> lock(mutex_);
        options_.connect_timeout = timeout;
    }
    [[nodiscard]] auto is_connecting() const noexcept -> bool override { return connecting_.load(); }
    auto wait_for_stop() -> void override {
        if (auto c = current()) c->wait_for_stop();
    }

    [[nodiscard]] auto send(span<const std::byte> data) -> VoidResult override { return send(to_vector(data)); }
    [[nodiscard]] auto send(std::vector<uint8_t>&& data) -> VoidResult override {
        auto c = current();
        if (!c) return error_void(error_codes::network_system::connection_closed, "not connected", "unified");
        return c->send(std::move(data));
    }
    [[nodiscard]] auto is_connected() const noexcept -> bool override {
        auto c = current();
        return c && c->is_connected();
    }
    [[nodiscard]] auto id() const noexcept -> std::string_view override { return id_; }
    [[nodiscard]] auto remote_endpoint() const noexcept -> endpoint_info override {
        std::lock_guard<std::mutex> lock(mutex_);
        return is_connected_locked() ? remote_ : endpoint_info{};
    }
    /// Not tracked by the underlying clients: always empty.
    [[nodiscard]] auto local_endpoint() const noexcept -> endpoint_info override { return {}; }

private:
    VoidResult open(const std::string& host, uint16_t port, const std::string& path) {
        if (host.empty() || port == 0)
            return error_void(error_codes::common_errors::invalid_argument, "endpoint needs a host and a port", "unified");
        if (is_connected())
            return error_void(error_codes::network_system::client_already_running, "already connected", "unified");
        connection_options options;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            options = options_;
        }
        auto client = make_(path, options);
        auto h = hub_;
        client->set_connected_callback([h] {
            if (auto c = h->get(); c->on_connected) c->on_connected();
        });
        client->set_receive_callback([h](const std::vector<uint8_t>& d) {
            if (auto c = h->get(); c->on_data) c->on_data(as_bytes(d));
        });
        client->set_disconnected_callback([h] {
            if (auto c = h->get(); c->on_disconnected) c->on_disconnected();
        });
        client->set_error_callback([h](std::error_code ec) {
            if (auto c = h->get(); c->on_error) c->on_error(ec);
        });
        {
            std::lock_guard<std::mutex> lock(mutex_);
            client_ = client;
            remote_ = endpoint_info(host, port);
        }
        connecting_ = true;
        auto r = client->start(host, port);
        connecting_ = false;
        return r;
    }

    std::shared_ptr<interfaces::i_protocol_client> current() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return client_;
    }
    bool is_connected_locked() const { return client_ && client_->is_connected(); }

    std::string id_;
    client_factory make_;
    std::shared_ptr<callback_set<connection_callbacks>> hub_;
    mutable std::mutex mutex_;
    std::shared_ptr<interfaces::i_protocol_client> client_;
    endpoint_info remote_;
    connection_options options_;
    std::atomic<bool> connecting_{false};
};

/// An accepted connection handed to a listener's accept callback: sends and closes through
/// its session; connect() is refused.
class accepted_connection : public i_connection {
public:
    accepted_connection(std::shared_ptr<interfaces::i_session> session,
                        std::shared_ptr<callback_set<connection_callbacks>> callbacks, endpoint_info local)
        : session_(std::move(session)), callbacks_(std::move(callbacks)), local_(std::move(local)) {}

    [[nodiscard]] auto connect(const endpoint_info&) -> VoidResult override { return refused(); }
    [[nodiscard]] auto connect(std::string_view) -> VoidResult override { return refused(); }
    auto close() noexcept -> void override { session_->close(); }
    /// on_data and on_disconnected of this connection (on_connected has passed).
    auto set_callbacks(connection_callbacks callbacks) -> void override { callbacks_->set(std::move(callbacks)); }
    auto set_options(connection_options) -> void override {}
    auto set_timeout(std::chrono::milliseconds) -> void override {}
    [[nodiscard]] auto is_connecting() const noexcept -> bool override { return false; }
    /// Accepted connections are waited for through their listener: returns at once.
    auto wait_for_stop() -> void override {}
    [[nodiscard]] auto send(span<const std::byte> data) -> VoidResult override { return session_->send(to_vector(data)); }
    [[nodiscard]] auto send(std::vector<uint8_t>&& data) -> VoidResult override { return session_->send(std::move(data)); }
    [[nodiscard]] auto is_connected() const noexcept -> bool override { return session_->is_connected(); }
    [[nodiscard]] auto id() const noexcept -> std::string_view override { return session_->id(); }
    /// The session id names the peer ("ip:port") where the protocol has one.
    [[nodiscard]] auto remote_endpoint() const noexcept -> endpoint_info override {
        return endpoint_info(std::string(session_->id()));
    }
    [[nodiscard]] auto local_endpoint() const noexcept -> endpoint_info override { return local_; }

private:
    static VoidResult refused() {
        return error_void(error_codes::common_errors::invalid_argument, "an accepted connection cannot connect", "unified");
    }
    std::shared_ptr<interfaces::i_session> session_;
    std::shared_ptr<callback_set<connection_callbacks>> callbacks_;
    endpoint_info local_;
};

/// What a listener factory returns: a server, not started, bound to `bind_address`, and how
/// to read its port once started.
struct server_parts {
    std::shared_ptr<interfaces::i_protocol_server> server;
    std::function<uint16_t()> port;
};
using server_factory = std::function<server_parts(const std::string& bind_address)>;

/// i_listener over a fresh i_protocol_server per start().
class server_listener : public i_listener {
public:
    explicit server_listener(server_factory make) : make_(std::move(make)), state_(std::make_shared<state>()) {}
    ~server_listener() override { stop(); }

    [[nodiscard]] auto start(const endpoint_info& bind) -> VoidResult override {
        if (is_listening()) return error_void(error_codes::network_system::server_already_running, "already listening", "unified");
        const std::string address = bind.host.empty() ? "0.0.0.0" : bind.host;
        auto parts = make_(address);
        wire(*parts.server);
        auto r = parts.server->start(bind.port);
        if (r.is_err()) return r;
        std::lock_guard<std::mutex> lock(mutex_);
        parts_ = std::move(parts);
        local_ = endpoint_info(address, parts_.port());
        state_->local = local_;
        return ok();
    }
    [[nodiscard]] auto start(uint16_t port) -> VoidResult override { return start(endpoint_info("0.0.0.0", port)); }
    auto stop() noexcept -> void override {
        if (auto s = server()) (void)s->stop();
    }
    auto set_callbacks(listener_callbacks callbacks) -> void override { state_->callbacks.set(std::move(callbacks)); }
    auto set_accept_callback(accept_callback_t callback) -> void override {
        std::lock_guard<std::mutex> lock(state_->mutex);
        state_->accept = std::move(callback);
    }
    [[nodiscard]] auto is_listening() const noexcept -> bool override {
        auto s = server();
        return s && s->is_running();
    }
    [[nodiscard]] auto local_endpoint() const noexcept -> endpoint_info override {
        std::lock_guard<std::mutex> lock(mutex_);
        return is_listening_locked() ? local_ : endpoint_info{};
    }
    [[nodiscard]] auto connection_count() const noexcept -> size_t override {
        std::lock_guard<std::mutex> lock(state_->mutex);
        return state_->peers.size();
    }
    [[nodiscard]] auto send_to(std::string_view id, span<const std::byte> data) -> VoidResult override {
        auto p = state_->find(id);
        if (!p) return error_void(error_codes::network_system::session_not_found, "no connection " + std::string(id), "unified");
        return p->send(to_vector(data));
    }
    [[nodiscard]] auto broadcast(span<const std::byte> data) -> VoidResult override {
        std::vector<std::shared_ptr<interfaces::i_session>> all;
        {
            std::lock_guard<std::mutex> lock(state_->mutex);
            for (auto& [id, p] : state_->peers) all.push_back(p.session);
        }
        VoidResult first_error = ok();
        bool any_ok = false;
        for (auto& s : all) {
            auto r = s->send(to_vector(data));
            if (r.is_ok())
                any_ok = true;
            else if (first_error.is_ok())
                first_error = r;
        }
        return any_ok ? ok() : first_error;
    }
    auto close_connection(std::string_view id) noexcept -> void override {
        if (auto p = state_->find(id)) p->close();
    }
    auto wait_for_stop() -> void override {
        if (auto s = server()) s->wait_for_stop();
    }

private:
    struct peer {
        std::shared_ptr<interfaces::i_session> session;
        std::shared_ptr<callback_set<connection_callbacks>> callbacks;  // of its accepted_connection
    };
    struct state {
        std::mutex mutex;  // accept and peers
        callback_set<listener_callbacks> callbacks;
        accept_callback_t accept;
        std::map<std::string, peer, std::less<>> peers;
        endpoint_info local;

        std::shared_ptr<interfaces::i_session> find(std::string_view id) {
            std::lock_guard<std::mutex> lock(mutex);
            auto it = peers.find(id);
            return it == peers.end() ? nullptr : it->second.session;
        }
        /// The accepted connection's own callbacks for `id` (an empty set when unknown).
        std::shared_ptr<const connection_callbacks> own(std::string_view id) {
            std::shared_ptr<callback_set<connection_callbacks>> set;
            {
                std::lock_guard<std::mutex> lock(mutex);
                auto it = peers.find(id);
                if (it != peers.end()) set = it->second.callbacks;
            }
            return set ? set->get() : std::make_shared<const connection_callbacks>();
        }
    };

    void wire(interfaces::i_protocol_server& server) {
        auto st = state_;
        server.set_connection_callback([st](std::shared_ptr<interfaces::i_session> s) {
            const std::string id(s->id());
            auto cbs = std::make_shared<callback_set<connection_callbacks>>();
            accept_callback_t accept;
            endpoint_info local;
            {
                std::lock_guard<std::mutex> lock(st->mutex);
                st->peers[id] = peer{s, cbs};
                accept = st->accept;
                local = st->local;
            }
            if (accept)
                accept(std::make_unique<accepted_connection>(s, cbs, local));
            else if (auto c = st->callbacks.get(); c->on_accept)
                c->on_accept(id);
        });
        server.set_receive_callback([st](std::string_view id, const std::vector<uint8_t>& d) {
            if (auto own = st->own(id); own->on_data) own->on_data(as_bytes(d));
            if (auto c = st->callbacks.get(); c->on_data) c->on_data(id, as_bytes(d));
        });
        server.set_disconnection_callback([st](std::string_view id) {
            auto own = st->own(id);
            {
                std::lock_guard<std::mutex> lock(st->mutex);
                auto it = st->peers.find(id);
                if (it != st->peers.end()) st->peers.erase(it);
            }
            if (own->on_disconnected) own->on_disconnected();
            if (auto c = st->callbacks.get(); c->on_disconnect) c->on_disconnect(id);
        });
        server.set_error_callback([st](std::string_view id, std::error_code ec) {
            if (auto own = st->own(id); own->on_error) own->on_error(ec);
            if (auto c = st->callbacks.get(); c->on_error) c->on_error(id, ec);
        });
    }

    std::shared_ptr<interfaces::i_protocol_server> server() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return parts_.server;
    }
    bool is_listening_locked() const { return parts_.server && parts_.server->is_running(); }

    server_factory make_;
    std::shared_ptr<state> state_;
    mutable std::mutex mutex_;
    server_parts parts_;
    endpoint_info local_;
};

/// `c` after connect(to): connected unless the connect failed (the caller checks
/// is_connected()).
template <typename To>
std::unique_ptr<i_connection> connected(std::unique_ptr<i_connection> c, const To& to) {
    (void)c->connect(to);
    return c;
}

/// `l` after start(bind): listening unless the bind failed (the caller checks is_listening()).
inline std::unique_ptr<i_listener> listening(std::unique_ptr<i_listener> l, const endpoint_info& bind) {
    (void)l->start(bind);
    return l;
}

/// `id`, or a generated "<kind>_%08llu" when empty.
inline std::string id_or(std::string_view id, const char* kind) {
    return id.empty() ? facade::detail::generate_id(kind) : std::string(id);
}

}  // namespace kcenon::network::unified::detail

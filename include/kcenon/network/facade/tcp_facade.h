// kcenon::network::facade::tcp_facade — TCP and TLS clients, servers and connection pools
// behind the protocol-agnostic interfaces.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "../core/connection_pool.h"
#include "../core/messaging_client.h"
#include "../core/messaging_server.h"
#include "../core/secure_messaging_client.h"
#include "../core/secure_messaging_server.h"
#include "detail.h"

namespace kcenon::network::facade {

namespace detail {

/// i_protocol_client over a messaging_client (plain or TLS). start() returns once connected.
class tcp_client_adapter : public client_base {
public:
    explicit tcp_client_adapter(std::shared_ptr<core::messaging_client> client) : client_(std::move(client)) {
        auto ev = events_;
        client_->set_receive_callback([ev](const std::vector<uint8_t>& d) { ev->receive(d); });
        client_->set_connected_callback([ev] { ev->connected(); });
        client_->set_disconnected_callback([ev] { ev->disconnected(); });
        client_->set_error_callback([ev](std::error_code ec) { ev->error(ec); });
    }
    ~tcp_client_adapter() override { (void)client_->stop_client(); }

    [[nodiscard]] auto is_running() const -> bool override { return client_->is_running(); }
    auto wait_for_stop() -> void override { client_->wait_for_stop(); }
    [[nodiscard]] auto start(std::string_view host, uint16_t port) -> VoidResult override {
        return client_->start_client(host, port);
    }
    [[nodiscard]] auto stop() -> VoidResult override { return client_->stop_client(); }
    [[nodiscard]] auto send(std::vector<uint8_t>&& data) -> VoidResult override {
        return client_->send_packet(std::move(data));
    }
    [[nodiscard]] auto is_connected() const -> bool override { return client_->is_connected(); }

    /// The underlying client (stats, TLS details).
    [[nodiscard]] const std::shared_ptr<core::messaging_client>& client() const { return client_; }

private:
    std::shared_ptr<core::messaging_client> client_;
};

/// i_protocol_server over a messaging_server (plain or TLS); sessions are messaging_session.
class tcp_server_adapter : public server_base {
public:
    explicit tcp_server_adapter(std::shared_ptr<core::messaging_server> server) : server_(std::move(server)) {
        auto ev = events_;
        using session_ptr = std::shared_ptr<session::messaging_session>;
        server_->set_connection_callback([ev](session_ptr s) { ev->connection(std::move(s)); });
        server_->set_disconnection_callback([ev](const std::string& id) { ev->disconnection(id); });
        server_->set_receive_callback([ev](session_ptr s, const std::vector<uint8_t>& d) { ev->receive(s->id(), d); });
        server_->set_error_callback([ev](session_ptr s, std::error_code ec) { ev->error(s ? s->id() : "", ec); });
    }
    ~tcp_server_adapter() override { (void)server_->stop_server(); }

    [[nodiscard]] auto is_running() const -> bool override { return server_->is_running(); }
    auto wait_for_stop() -> void override { server_->wait_for_stop(); }
    [[nodiscard]] auto start(uint16_t port) -> VoidResult override { return server_->start_server(port); }
    [[nodiscard]] auto stop() -> VoidResult override { return server_->stop_server(); }
    [[nodiscard]] auto connection_count() const -> size_t override { return server_->connection_count(); }

    /// The underlying server (port(), sessions, stats).
    [[nodiscard]] const std::shared_ptr<core::messaging_server>& server() const { return server_; }

private:
    std::shared_ptr<core::messaging_server> server_;
};

/// tls_versions from the facade's tls_version text ("1.2", "TLSv1.3", …); nullopt if unknown.
inline std::optional<core::tls_versions> parse_tls_version(const std::string& v) {
    if (v == "1.2" || v == "TLSv1.2" || v == "TLS1.2") return core::tls_versions::tls12_only;
    if (v == "1.3" || v == "TLSv1.3" || v == "TLS1.3") return core::tls_versions::tls13_only;
    return std::nullopt;
}

}  // namespace detail

/// Creates TCP and TLS endpoints as i_protocol_client / i_protocol_server and connection pools.
/// Differences from the original: `use_ssl` works (the original returned -6 "not yet
/// implemented"); create_client returns once connected (the original's connect was still
/// running); a failed connect gives its own code (-601 refused, -602 timeout, -605/-606 TLS)
/// instead of -600.
class tcp_facade {
public:
    struct client_config {
        std::string host;
        uint16_t port = 0;
        std::string client_id;  ///< empty: "tcp_client_%08llu"
        std::chrono::milliseconds timeout = std::chrono::seconds(30);  ///< connect (and handshake)
        bool use_ssl = false;
        std::optional<std::string> ca_cert_path;  ///< extra trusted CA (PEM), beside the system roots
        bool verify_certificate = true;
    };
    struct server_config {
        uint16_t port = 0;
        std::string server_id;  ///< empty: "tcp_server_%08llu"
        bool use_ssl = false;
        std::optional<std::string> cert_path, key_path;
        std::optional<std::string> tls_version;  ///< "1.2" or "1.3" for only that version; unset: both
        std::string bind_address = "0.0.0.0";  ///< extension: the address to listen on
    };
    struct pool_config {
        std::string host;
        uint16_t port = 0;
        size_t pool_size = 10;
        std::chrono::seconds acquire_timeout = std::chrono::seconds(30);
    };

    /// A started, connected client. -1 naming the field for an empty host, port 0, a timeout
    /// ≤ 0 or an empty ca_cert_path; the connect's own error otherwise.
    [[nodiscard]] auto create_client(const client_config& config) const
        -> Result<std::shared_ptr<interfaces::i_protocol_client>> {
        using R = Result<std::shared_ptr<interfaces::i_protocol_client>>;
        if (config.host.empty()) return detail::invalid<R::value_type>(module, "host", "must not be empty");
        if (config.port == 0) return detail::invalid<R::value_type>(module, "port", "must not be 0");
        if (config.timeout.count() <= 0) return detail::invalid<R::value_type>(module, "timeout", "must be positive");
        if (config.ca_cert_path && config.ca_cert_path->empty())
            return detail::invalid<R::value_type>(module, "ca_cert_path", "must not be empty when set");
        const std::string id = detail::id_or_generated(config.client_id, "tcp_client");
        std::shared_ptr<core::messaging_client> client;
        if (config.use_ssl) {
            core::tls_client_options o;
            o.connect_timeout = config.timeout;
            o.handshake_timeout = config.timeout;
            o.verify_cert = config.verify_certificate;
            o.ca_file = config.ca_cert_path.value_or("");
            client = std::make_shared<core::secure_messaging_client>(id, o);
        } else {
            core::client_options o;
            o.connect_timeout = config.timeout;
            client = std::make_shared<core::detail::connected_client>(id, o);
        }
        auto adapter = std::make_shared<detail::tcp_client_adapter>(std::move(client));
        auto started = adapter->start(config.host, config.port);
        if (started.is_err()) return started.error();
        return std::shared_ptr<interfaces::i_protocol_client>(std::move(adapter));
    }

    /// A server, not started: call start(port). -1 naming the field for port 0, use_ssl without
    /// cert_path or key_path, or an unknown tls_version; -606 at start for unusable files.
    [[nodiscard]] auto create_server(const server_config& config) const
        -> Result<std::shared_ptr<interfaces::i_protocol_server>> {
        using T = std::shared_ptr<interfaces::i_protocol_server>;
        if (config.port == 0) return detail::invalid<T>(module, "port", "must not be 0");
        const std::string id = detail::id_or_generated(config.server_id, "tcp_server");
        std::shared_ptr<core::messaging_server> server;
        if (config.use_ssl) {
            if (!config.cert_path || config.cert_path->empty())
                return detail::invalid<T>(module, "cert_path", "is required with use_ssl");
            if (!config.key_path || config.key_path->empty())
                return detail::invalid<T>(module, "key_path", "is required with use_ssl");
            core::tls_server_options o;
            o.bind_address = config.bind_address;
            o.cert_file = *config.cert_path;
            o.key_file = *config.key_path;
            if (config.tls_version) {
                auto v = detail::parse_tls_version(*config.tls_version);
                if (!v) return detail::invalid<T>(module, "tls_version", "must be \"1.2\" or \"1.3\"");
                o.versions = *v;
            }
            server = std::make_shared<core::secure_messaging_server>(id, o);
        } else {
            core::server_options o;
            o.bind_address = config.bind_address;
            server = std::make_shared<core::messaging_server>(id, o);
        }
        return T(std::make_shared<detail::tcp_server_adapter>(std::move(server)));
    }

    /// A pool of `pool_size` clients to host:port, not initialised: call initialize(). -1
    /// naming the field for an empty host, port 0, pool_size 0 or acquire_timeout ≤ 0.
    [[nodiscard]] auto create_connection_pool(const pool_config& config) const
        -> Result<std::shared_ptr<core::connection_pool>> {
        using T = std::shared_ptr<core::connection_pool>;
        if (config.host.empty()) return detail::invalid<T>(module, "host", "must not be empty");
        if (config.port == 0) return detail::invalid<T>(module, "port", "must not be 0");
        if (config.pool_size == 0) return detail::invalid<T>(module, "pool_size", "must not be 0");
        if (config.acquire_timeout.count() <= 0)
            return detail::invalid<T>(module, "acquire_timeout", "must be positive");
        return std::make_shared<core::connection_pool>(config.host, config.port, config.pool_size, config.acquire_timeout);
    }

private:
    static constexpr const char* module = "tcp_facade";
};

}  // namespace kcenon::network::facade

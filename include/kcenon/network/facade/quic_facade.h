// kcenon::network::facade::quic_facade — QUIC clients and servers behind the
// protocol-agnostic interfaces.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "../internal/experimental/quic_client.h"
#include "../internal/experimental/quic_server.h"
#include "detail.h"

namespace kcenon::network::facade {

namespace detail {

/// i_protocol_client over a messaging_quic_client: start() returns after the handshake;
/// send() sends one message on the default stream.
class quic_client_adapter : public client_base {
public:
    quic_client_adapter(std::string_view client_id, core::quic_client_config config)
        : client_(std::make_shared<core::messaging_quic_client>(client_id)), config_(std::move(config)) {
        auto ev = events_;
        client_->set_receive_callback([ev](const std::vector<uint8_t>& d) { ev->receive(d); });
        client_->set_connected_callback([ev] { ev->connected(); });
        client_->set_disconnected_callback([ev] { ev->disconnected(); });
        client_->set_error_callback([ev](std::error_code ec) { ev->error(ec); });
    }
    ~quic_client_adapter() override { (void)client_->stop_client(); }

    [[nodiscard]] auto is_running() const -> bool override { return client_->is_running(); }
    auto wait_for_stop() -> void override { client_->wait_for_stop(); }
    [[nodiscard]] auto start(std::string_view host, uint16_t port) -> VoidResult override {
        return client_->start_client(host, port, config_);
    }
    [[nodiscard]] auto stop() -> VoidResult override { return client_->stop_client(); }
    [[nodiscard]] auto send(std::vector<uint8_t>&& data) -> VoidResult override {
        return client_->send_packet(std::move(data));
    }
    [[nodiscard]] auto is_connected() const -> bool override { return client_->is_connected(); }

    [[nodiscard]] const std::shared_ptr<core::messaging_quic_client>& client() const { return client_; }

private:
    std::shared_ptr<core::messaging_quic_client> client_;
    core::quic_client_config config_;
};

/// i_protocol_server over a messaging_quic_server; sessions are quic_session objects.
class quic_server_adapter : public server_base {
public:
    quic_server_adapter(std::string_view server_id, core::quic_server_config config)
        : server_(std::make_shared<core::messaging_quic_server>(server_id)), config_(std::move(config)) {
        auto ev = events_;
        using session_ptr = std::shared_ptr<session::quic_session>;
        server_->set_connection_callback([ev](session_ptr s) { ev->connection(std::move(s)); });
        server_->set_disconnection_callback([ev](session_ptr s) { ev->disconnection(s->id()); });
        server_->set_receive_callback([ev](session_ptr s, const std::vector<uint8_t>& d) { ev->receive(s->id(), d); });
        server_->set_error_callback([ev](std::error_code ec) { ev->error("", ec); });
    }
    ~quic_server_adapter() override { (void)server_->stop_server(); }

    [[nodiscard]] auto is_running() const -> bool override { return server_->is_running(); }
    auto wait_for_stop() -> void override { server_->wait_for_stop(); }
    [[nodiscard]] auto start(uint16_t port) -> VoidResult override { return server_->start_server(port, config_); }
    [[nodiscard]] auto stop() -> VoidResult override { return server_->stop_server(); }
    [[nodiscard]] auto connection_count() const -> size_t override { return server_->session_count(); }

    [[nodiscard]] const std::shared_ptr<core::messaging_quic_server>& server() const { return server_; }

private:
    std::shared_ptr<core::messaging_quic_server> server_;
    core::quic_server_config config_;
};

}  // namespace detail

/// Creates QUIC endpoints as i_protocol_client / i_protocol_server, not started. Works (the
/// original's QUIC facade was experimental); `enable_0rtt` resumes sessions of this process.
class quic_facade {
public:
    struct client_config {
        std::string host;
        uint16_t port = 0;
        std::string client_id;  ///< empty: "quic_client_%08llu"
        std::optional<std::string> ca_cert_path, client_cert_path, client_key_path;
        bool verify_server = true;
        std::string alpn;  ///< one protocol, empty for none
        uint64_t max_idle_timeout_ms = 30000;
        bool enable_0rtt = false;
    };
    struct server_config {
        uint16_t port = 0;
        std::string server_id;  ///< empty: "quic_server_%08llu"
        std::string cert_path, key_path;
        std::optional<std::string> ca_cert_path;
        bool require_client_cert = false;
        std::string alpn;  ///< one protocol, empty for none
        uint64_t max_idle_timeout_ms = 30000;
        size_t max_connections = 10000;
        std::string bind_address = "0.0.0.0";  ///< extension: the address to listen on
    };

    /// A client; start(host, port) connects (config.host/port are validated, start() takes
    /// its own). -1 naming the field for an empty host, port 0 or max_idle_timeout_ms 0.
    [[nodiscard]] auto create_client(const client_config& config) const
        -> Result<std::shared_ptr<interfaces::i_protocol_client>> {
        using T = std::shared_ptr<interfaces::i_protocol_client>;
        if (config.host.empty()) return detail::invalid<T>(module, "host", "must not be empty");
        if (config.port == 0) return detail::invalid<T>(module, "port", "must not be 0");
        if (config.max_idle_timeout_ms == 0) return detail::invalid<T>(module, "max_idle_timeout_ms", "must not be 0");
        core::quic_client_config c;
        c.ca_cert_file = config.ca_cert_path;
        c.client_cert_file = config.client_cert_path;
        c.client_key_file = config.client_key_path;
        c.verify_server = config.verify_server;
        if (!config.alpn.empty()) c.alpn_protocols = {config.alpn};
        c.max_idle_timeout_ms = config.max_idle_timeout_ms;
        c.enable_early_data = config.enable_0rtt;
        return T(std::make_shared<detail::quic_client_adapter>(detail::id_or_generated(config.client_id, "quic_client"), c));
    }

    /// A server; start(port) listens. -1 naming the field for port 0, an empty cert_path or
    /// key_path, max_idle_timeout_ms 0 or max_connections 0.
    [[nodiscard]] auto create_server(const server_config& config) const
        -> Result<std::shared_ptr<interfaces::i_protocol_server>> {
        using T = std::shared_ptr<interfaces::i_protocol_server>;
        if (config.port == 0) return detail::invalid<T>(module, "port", "must not be 0");
        if (config.cert_path.empty()) return detail::invalid<T>(module, "cert_path", "must not be empty");
        if (config.key_path.empty()) return detail::invalid<T>(module, "key_path", "must not be empty");
        if (config.max_idle_timeout_ms == 0) return detail::invalid<T>(module, "max_idle_timeout_ms", "must not be 0");
        if (config.max_connections == 0) return detail::invalid<T>(module, "max_connections", "must not be 0");
        core::quic_server_config c;
        c.cert_file = config.cert_path;
        c.key_file = config.key_path;
        c.ca_cert_file = config.ca_cert_path;
        c.require_client_cert = config.require_client_cert;
        if (!config.alpn.empty()) c.alpn_protocols = {config.alpn};
        c.max_idle_timeout_ms = config.max_idle_timeout_ms;
        c.max_connections = config.max_connections;
        c.bind_address = config.bind_address;
        return T(std::make_shared<detail::quic_server_adapter>(detail::id_or_generated(config.server_id, "quic_server"), c));
    }

private:
    static constexpr const char* module = "quic_facade";
};

}  // namespace kcenon::network::facade

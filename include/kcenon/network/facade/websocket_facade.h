// kcenon::network::facade::websocket_facade — WebSocket clients and servers behind the
// protocol-agnostic interfaces.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "../core/messaging_ws_client.h"
#include "../core/messaging_ws_server.h"
#include "detail.h"

namespace kcenon::network::facade {

namespace detail {

/// i_protocol_client over a messaging_ws_client: start() opens ws://host:port<path> and
/// returns after the opening handshake; send() sends a binary message; text and binary
/// messages both reach the receive callback as bytes.
class ws_client_adapter : public client_base {
public:
    ws_client_adapter(std::string_view client_id, std::string path, std::chrono::milliseconds ping_interval)
        : client_(std::make_shared<core::messaging_ws_client>(client_id)), path_(std::move(path)),
          ping_interval_(ping_interval) {
        auto ev = events_;
        client_->set_binary_callback([ev](const std::vector<uint8_t>& d) { ev->receive(d); });
        client_->set_text_callback([ev](const std::string& t) { ev->receive(bytes_of(t)); });
        client_->set_connected_callback([ev] { ev->connected(); });
        client_->set_disconnected_callback([ev](uint16_t, std::string_view reason) {
            ev->disconnected(reason.empty() ? std::nullopt : std::optional<std::string_view>(reason));
        });
        client_->set_error_callback([ev](std::error_code ec) { ev->error(ec); });
    }
    ~ws_client_adapter() override { (void)client_->stop_client(); }

    [[nodiscard]] auto is_running() const -> bool override { return client_->is_running(); }
    auto wait_for_stop() -> void override { client_->wait_for_stop(); }
    [[nodiscard]] auto start(std::string_view host, uint16_t port) -> VoidResult override {
        core::ws_client_config config;
        config.host = std::string(host);
        config.port = port;
        config.path = path_;
        config.ping_interval = ping_interval_;
        return client_->start_client(config);
    }
    [[nodiscard]] auto stop() -> VoidResult override { return client_->stop_client(); }
    [[nodiscard]] auto send(std::vector<uint8_t>&& data) -> VoidResult override {
        return client_->send_binary(std::move(data));
    }
    [[nodiscard]] auto is_connected() const -> bool override { return client_->is_connected(); }

    /// The request path of the next start() ("/" by default).
    void set_path(std::string path) { path_ = std::move(path); }
    [[nodiscard]] const std::shared_ptr<core::messaging_ws_client>& client() const { return client_; }

private:
    std::shared_ptr<core::messaging_ws_client> client_;
    std::string path_;
    std::chrono::milliseconds ping_interval_;
};

/// i_protocol_server over a messaging_ws_server: sessions are ws_connection objects; text
/// and binary messages both reach the receive callback as bytes.
class ws_server_adapter : public server_base {
public:
    ws_server_adapter(std::string_view server_id, std::string path, std::string bind_address)
        : server_(std::make_shared<core::messaging_ws_server>(server_id)), path_(std::move(path)),
          bind_address_(std::move(bind_address)) {
        auto ev = events_;
        server_->set_connection_callback(
            [ev](std::shared_ptr<interfaces::i_websocket_session> s) { ev->connection(std::move(s)); });
        server_->set_disconnection_callback([ev](std::string_view id, uint16_t, std::string_view) { ev->disconnection(id); });
        server_->set_binary_callback([ev](std::string_view id, const std::vector<uint8_t>& d) { ev->receive(id, d); });
        server_->set_text_callback([ev](std::string_view id, const std::string& t) { ev->receive(id, bytes_of(t)); });
        server_->set_error_callback([ev](std::string_view id, std::error_code ec) { ev->error(id, ec); });
    }
    ~ws_server_adapter() override { (void)server_->stop_server(); }

    [[nodiscard]] auto is_running() const -> bool override { return server_->is_running(); }
    auto wait_for_stop() -> void override { server_->wait_for_stop(); }
    [[nodiscard]] auto start(uint16_t port) -> VoidResult override {
        core::ws_server_config config;
        config.port = port;
        config.path = path_;
        config.bind_address = bind_address_;
        return server_->start_server(config);
    }
    [[nodiscard]] auto stop() -> VoidResult override { return server_->stop_server(); }
    [[nodiscard]] auto connection_count() const -> size_t override { return server_->connection_count(); }

    [[nodiscard]] const std::shared_ptr<core::messaging_ws_server>& server() const { return server_; }

private:
    std::shared_ptr<core::messaging_ws_server> server_;
    std::string path_;
    std::string bind_address_;
};

}  // namespace detail

/// Creates WebSocket endpoints as i_protocol_client / i_protocol_server, not started.
/// Differences: ping_interval is used (a ping after that long without one; the original
/// ignored it); client_config has a `path` (the original's adapter needed set_path()).
class websocket_facade {
public:
    struct client_config {
        std::string client_id;  ///< empty: "ws_client_%08llu"
        std::chrono::milliseconds ping_interval = std::chrono::seconds(30);
        std::string path = "/";  ///< extension: the request path used by start()
    };
    struct server_config {
        uint16_t port = 0;
        std::string path = "/";
        std::string server_id;  ///< empty: "ws_server_%08llu"
        std::string bind_address = "0.0.0.0";  ///< extension: the address to listen on
    };

    /// A client; start(host, port) connects. -1 naming the field for ping_interval ≤ 0 or a
    /// path that is empty or relative.
    [[nodiscard]] auto create_client(const client_config& config) const
        -> Result<std::shared_ptr<interfaces::i_protocol_client>> {
        using T = std::shared_ptr<interfaces::i_protocol_client>;
        if (config.ping_interval.count() <= 0) return detail::invalid<T>(module, "ping_interval", "must be positive");
        auto path = detail::check_path(module, "path", config.path);
        if (path.is_err()) return path.error();
        return T(std::make_shared<detail::ws_client_adapter>(detail::id_or_generated(config.client_id, "ws_client"),
                                                             config.path, config.ping_interval));
    }

    /// A server; start(port) listens. -1 naming the field for port 0 or a path that is empty
    /// or relative.
    [[nodiscard]] auto create_server(const server_config& config) const
        -> Result<std::shared_ptr<interfaces::i_protocol_server>> {
        using T = std::shared_ptr<interfaces::i_protocol_server>;
        if (config.port == 0) return detail::invalid<T>(module, "port", "must not be 0");
        auto path = detail::check_path(module, "path", config.path);
        if (path.is_err()) return path.error();
        return T(std::make_shared<detail::ws_server_adapter>(detail::id_or_generated(config.server_id, "ws_server"),
                                                             config.path, config.bind_address));
    }

private:
    static constexpr const char* module = "websocket_facade";
};

}  // namespace kcenon::network::facade

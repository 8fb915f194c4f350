// kcenon::network::protocol::quic — QUIC connections and listeners of the unified API; data
// goes as messages on the default stream.
#pragma once

#include <memory>
#include <string_view>

#include "../facade/quic_facade.h"
#include "../unified/adapters.h"

namespace kcenon::network::protocol::quic {

/// A connection, not connected; `config` (extension) carries the TLS trust and ALPN.
[[nodiscard]] inline auto create_connection(std::string_view id = "", const core::quic_client_config& config = {})
    -> std::unique_ptr<unified::i_connection> {
    const std::string name = unified::detail::id_or(id, "quic_client");
    return std::make_unique<unified::detail::client_connection>(
        name, [name, config](const std::string&, const unified::connection_options&) {
            return std::make_shared<facade::detail::quic_client_adapter>(name, config);
        });
}

/// A listener, not listening; `config` (extension) carries the certificate and key (start()
/// fails with -606 without them).
[[nodiscard]] inline auto create_listener(std::string_view id = "", const core::quic_server_config& config = {})
    -> std::unique_ptr<unified::i_listener> {
    const std::string name = unified::detail::id_or(id, "quic_server");
    return std::make_unique<unified::detail::server_listener>([name, config](const std::string& bind) {
        core::quic_server_config c = config;
        c.bind_address = bind;
        auto adapter = std::make_shared<facade::detail::quic_server_adapter>(name, c);
        auto server = adapter->server();
        return unified::detail::server_parts{adapter, [server] { return server->port(); }};
    });
}

/// A connection to `endpoint`, connected unless the connect failed (check is_connected()).
[[nodiscard]] inline auto connect(const unified::endpoint_info& endpoint, std::string_view id = "", const core::quic_client_config& config = {})
    -> std::unique_ptr<unified::i_connection> {
    return unified::detail::connected(create_connection(id, config), endpoint);
}

/// As connect(endpoint) for a URL ("scheme://host:port[/path]" or "host:port").
[[nodiscard]] inline auto connect(std::string_view url, std::string_view id = "", const core::quic_client_config& config = {})
    -> std::unique_ptr<unified::i_connection> {
    return unified::detail::connected(create_connection(id, config), url);
}

/// A listener on `bind_address`, listening unless the bind failed (check is_listening()).
[[nodiscard]] inline auto listen(const unified::endpoint_info& bind_address, std::string_view id = "", const core::quic_server_config& config = {})
    -> std::unique_ptr<unified::i_listener> {
    return unified::detail::listening(create_listener(id, config), bind_address);
}

/// A listener on every address at `port`.
[[nodiscard]] inline auto listen(uint16_t port, std::string_view id = "", const core::quic_server_config& config = {})
    -> std::unique_ptr<unified::i_listener> {
    return listen(unified::endpoint_info("0.0.0.0", port), id, config);
}

}  // namespace kcenon::network::protocol::quic

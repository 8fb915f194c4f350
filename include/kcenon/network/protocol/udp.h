// kcenon::network::protocol::udp — UDP "connections" (a client bound to one target) and
// listeners (each remote endpoint is a connection) of the unified API.
#pragma once

#include <memory>
#include <string_view>

#include "../facade/udp_facade.h"
#include "../unified/adapters.h"

namespace kcenon::network::protocol::udp {

/// A connection, not connected; connect() binds a socket and targets the endpoint.
[[nodiscard]] inline auto create_connection(std::string_view id = "") -> std::unique_ptr<unified::i_connection> {
    const std::string name = unified::detail::id_or(id, "udp_client");
    return std::make_unique<unified::detail::client_connection>(
        name, [name](const std::string&, const unified::connection_options&) {
            return std::make_shared<facade::detail::udp_client_adapter>(name);
        });
}

/// A listener, not listening; start() binds.
[[nodiscard]] inline auto create_listener(std::string_view id = "") -> std::unique_ptr<unified::i_listener> {
    const std::string name = unified::detail::id_or(id, "udp_server");
    return std::make_unique<unified::detail::server_listener>([name](const std::string& bind) {
        core::udp_options o;
        o.bind_address = bind;
        auto adapter = std::make_shared<facade::detail::udp_server_adapter>(name, o);
        auto server = adapter->server();
        return unified::detail::server_parts{adapter, [server] { return server->port(); }};
    });
}

/// A connection to `endpoint`, connected unless the connect failed (check is_connected()).
[[nodiscard]] inline auto connect(const unified::endpoint_info& endpoint, std::string_view id = "")
    -> std::unique_ptr<unified::i_connection> {
    return unified::detail::connected(create_connection(id), endpoint);
}

/// As connect(endpoint) for a URL ("scheme://host:port[/path]" or "host:port").
[[nodiscard]] inline auto connect(std::string_view url, std::string_view id = "")
    -> std::unique_ptr<unified::i_connection> {
    return unified::detail::connected(create_connection(id), url);
}

/// A listener on `bind_address`, listening unless the bind failed (check is_listening()).
[[nodiscard]] inline auto listen(const unified::endpoint_info& bind_address, std::string_view id = "")
    -> std::unique_ptr<unified::i_listener> {
    return unified::detail::listening(create_listener(id), bind_address);
}

/// A listener on every address at `port`.
[[nodiscard]] inline auto listen(uint16_t port, std::string_view id = "")
    -> std::unique_ptr<unified::i_listener> {
    return listen(unified::endpoint_info("0.0.0.0", port), id);
}

}  // namespace kcenon::network::protocol::udp

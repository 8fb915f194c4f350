// kcenon::network::protocol::websocket — WebSocket connections and listeners of the unified
// API; data is sent as binary messages, text messages arrive as bytes.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "../facade/websocket_facade.h"
#include "../unified/adapters.h"

namespace kcenon::network::protocol::websocket {

/// A connection, not connected; connect(url) uses the URL's path ("/" for an endpoint).
[[nodiscard]] inline auto create_connection(std::string_view id = "") -> std::unique_ptr<unified::i_connection> {
    const std::string name = unified::detail::id_or(id, "ws_client");
    return std::make_unique<unified::detail::client_connection>(
        name, [name](const std::string& path, const unified::connection_options&) {
            return std::make_shared<facade::detail::ws_client_adapter>(name, path, std::chrono::seconds(30));
        });
}

/// A listener, not listening; start() binds. `path` (extension) is the request path served.
[[nodiscard]] inline auto create_listener(std::string_view id = "", std::string_view path = "/")
    -> std::unique_ptr<unified::i_listener> {
    const std::string name = unified::detail::id_or(id, "ws_server");
    return std::make_unique<unified::detail::server_listener>([name, p = std::string(path)](const std::string& bind) {
        auto adapter = std::make_shared<facade::detail::ws_server_adapter>(name, p, bind);
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
[[nodiscard]] inline auto listen(const unified::endpoint_info& bind_address, std::string_view id = "", std::string_view path = "/")
    -> std::unique_ptr<unified::i_listener> {
    return unified::detail::listening(create_listener(id, path), bind_address);
}

/// A listener on every address at `port`.
[[nodiscard]] inline auto listen(uint16_t port, std::string_view id = "", std::string_view path = "/")
    -> std::unique_ptr<unified::i_listener> {
    return listen(unified::endpoint_info("0.0.0.0", port), id, path);
}

}  // namespace kcenon::network::protocol::websocket

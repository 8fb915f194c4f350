// kcenon::network::protocol::tcp — TCP connections and listeners of the unified API.
#pragma once

#include <memory>
#include <string_view>

#include "../facade/tcp_facade.h"
#include "../unified/adapters.h"

namespace kcenon::network::protocol::tcp {

/// A connection, not connected; connect() returns once connected. Options: connect_timeout,
/// read_timeout (the connection closes after that long without data), keep_alive.
[[nodiscard]] inline auto create_connection(std::string_view id = "") -> std::unique_ptr<unified::i_connection> {
    const std::string name = unified::detail::id_or(id, "tcp_client");
    return std::make_unique<unified::detail::client_connection>(
        name, [name](const std::string&, const unified::connection_options& o) {
            core::client_options c;
            if (o.connect_timeout.count() > 0) c.connect_timeout = o.connect_timeout;
            c.idle_timeout = o.read_timeout;
            if (o.keep_alive) c.keepalive = std::chrono::seconds(30);
            auto client = std::make_shared<core::detail::connected_client>(name, c);
            return std::make_shared<facade::detail::tcp_client_adapter>(std::move(client));
        });
}

/// A listener, not listening; start() binds.
[[nodiscard]] inline auto create_listener(std::string_view id = "") -> std::unique_ptr<unified::i_listener> {
    const std::string name = unified::detail::id_or(id, "tcp_server");
    return std::make_unique<unified::detail::server_listener>([name](const std::string& bind) {
        core::server_options o;
        o.bind_address = bind;
        auto server = std::make_shared<core::messaging_server>(name, o);
        return unified::detail::server_parts{std::make_shared<facade::detail::tcp_server_adapter>(server),
                                             [server] { return static_cast<uint16_t>(server->port()); }};
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

}  // namespace kcenon::network::protocol::tcp

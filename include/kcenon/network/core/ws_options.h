// ws_server_config / ws_client_config of the original, every field honoured, plus extensions.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "options.h"

namespace kcenon::network::core {

/// Options both ends of a WebSocket connection share (extensions marked).
struct ws_connection_options {
    /// A ping after this long without one; a peer that answers none within pong_timeout is
    /// dropped and reported closed with 1006. 0 = no keep-alive. (The original ignored it.)
    std::chrono::milliseconds ping_interval{30000};
    std::chrono::milliseconds pong_timeout{10000};  ///< extension
    /// Received pings are always answered with exactly one pong, as RFC 6455 requires; kept for
    /// source compatibility (the original answered with a pong *and* a ping).
    bool auto_pong = true;
    /// Larger messages (or frames) close the connection with 1009; larger sends fail with
    /// -642. (The original ignored it.)
    std::size_t max_message_size = 10 * 1024 * 1024;
    std::size_t send_queue_limit = 8u * 1024 * 1024;  ///< extension: beyond → -643
    std::chrono::milliseconds close_timeout{5000};    ///< extension: wait for the peer's close frame
    bool no_delay = true;                             ///< extension: TCP_NODELAY
};

/// Options of messaging_ws_server (start_server).
struct ws_server_config : ws_connection_options {
    uint16_t port = 8080;
    /// The only path that upgrades; others get HTTP 404 (the original upgraded any path).
    std::string path = "/";
    /// Connections beyond this get HTTP 503.
    std::size_t max_connections = 1000;
    std::string bind_address = "0.0.0.0";             ///< extension
    std::vector<std::string> subprotocols;            ///< extension: offered, in preference order
    std::vector<std::string> allowed_origins;         ///< extension: empty allows any
    std::chrono::milliseconds handshake_timeout{10000};  ///< extension
};

/// Options of messaging_ws_client (start_client).
struct ws_client_config : ws_connection_options {
    std::string host;
    uint16_t port = 80;
    std::string path = "/";
    /// Extra request headers, sent with the opening handshake. (The original ignored them.)
    std::map<std::string, std::string> headers;
    /// Resolve, connect, TLS and the opening handshake within this. (The original ignored it.)
    std::chrono::milliseconds connect_timeout{10000};
    /// Reconnect with backoff after a failed connect or a lost connection, with the timing of
    /// `reconnect` (its `enabled` is ignored: this flag decides). (The original ignored it.)
    bool auto_reconnect = false;
    reconnect_options reconnect;              ///< extension
    std::vector<std::string> subprotocols;    ///< extension: asked for
    std::string origin;                       ///< extension: Origin header, empty for none
};

namespace detail {

template <typename H>
struct ws_setters {
    ns_result (*path)(H*, const char*);
    ns_result (*subprotocols)(H*, const char* const*, std::size_t);
    ns_result (*max_message_size)(H*, std::size_t);
    ns_result (*send_queue_limit)(H*, std::size_t);
    ns_result (*keepalive)(H*, std::uint64_t, std::uint64_t);
    ns_result (*close_timeout_ms)(H*, std::uint64_t);
    ns_result (*no_delay)(H*, bool);
};

inline std::vector<const char*> c_strings(const std::vector<std::string>& items) {
    std::vector<const char*> out;
    out.reserve(items.size());
    for (const auto& i : items) out.push_back(i.c_str());
    return out;
}

template <typename H>
inline ns_result apply_ws(H* h, const std::string& path, const std::vector<std::string>& subprotocols,
                          const ws_connection_options& o, const ws_setters<H>& s) {
    using network::detail::to_ms;
    const auto names = c_strings(subprotocols);
    ns_result r = s.path(h, path.c_str());
    if (r == NS_OK) r = s.subprotocols(h, names.data(), names.size());
    if (r == NS_OK) r = s.max_message_size(h, o.max_message_size);
    if (r == NS_OK) r = s.send_queue_limit(h, o.send_queue_limit);
    if (r == NS_OK) r = s.keepalive(h, to_ms(o.ping_interval), to_ms(o.pong_timeout));
    if (r == NS_OK) r = s.close_timeout_ms(h, to_ms(o.close_timeout));
    if (r == NS_OK) r = s.no_delay(h, o.no_delay);
    return r;
}

inline ns_result apply(ns_ws_server* h, const ws_server_config& c) {
    static const ws_setters<ns_ws_server> setters{
        ns_ws_server_set_path,      ns_ws_server_set_subprotocols, ns_ws_server_set_max_message_size,
        ns_ws_server_set_send_queue_limit, ns_ws_server_set_keepalive, ns_ws_server_set_close_timeout_ms,
        ns_ws_server_set_no_delay};
    ns_result r = apply_ws(h, c.path, c.subprotocols, c, setters);
    if (r == NS_OK) r = ns_ws_server_set_bind_address(h, c.bind_address.c_str());
    if (r == NS_OK) r = ns_ws_server_set_max_connections(h, c.max_connections);
    if (r == NS_OK) {
        const auto origins = c_strings(c.allowed_origins);
        r = ns_ws_server_set_allowed_origins(h, origins.data(), origins.size());
    }
    if (r == NS_OK) r = ns_ws_server_set_handshake_timeout_ms(h, network::detail::to_ms(c.handshake_timeout));
    return r;
}

inline ns_result apply(ns_ws_client* h, const ws_client_config& c) {
    static const ws_setters<ns_ws_client> setters{
        ns_ws_client_set_path,      ns_ws_client_set_subprotocols, ns_ws_client_set_max_message_size,
        ns_ws_client_set_send_queue_limit, ns_ws_client_set_keepalive, ns_ws_client_set_close_timeout_ms,
        ns_ws_client_set_no_delay};
    using network::detail::to_ms;
    ns_result r = apply_ws(h, c.path, c.subprotocols, c, setters);
    if (r == NS_OK) {
        std::vector<const char*> names, values;
        for (const auto& kv : c.headers) {
            names.push_back(kv.first.c_str());
            values.push_back(kv.second.c_str());
        }
        r = ns_ws_client_set_headers(h, names.data(), values.data(), names.size());
    }
    if (r == NS_OK) r = ns_ws_client_set_origin(h, c.origin.empty() ? nullptr : c.origin.c_str());
    if (r == NS_OK) r = ns_ws_client_set_connect_timeout_ms(h, to_ms(c.connect_timeout));
    if (r == NS_OK) {
        const auto& rc = c.reconnect;
        r = ns_ws_client_set_reconnect(h, c.auto_reconnect, to_ms(rc.initial_delay), to_ms(rc.max_delay),
                                       rc.max_attempts, rc.jitter_percent);
    }
    return r;
}

}  // namespace detail
}  // namespace kcenon::network::core

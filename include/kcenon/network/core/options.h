// Options of TCP servers and clients (extensions over the original, all optional).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "../detail/c_api.h"

namespace kcenon::network::core {

/// Per-connection options shared by servers and clients.
struct connection_options {
    network::framing framing = network::framing::raw;
    std::size_t max_message_size = 16u * 1024 * 1024;  ///< framed mode: larger → -642
    std::size_t send_queue_limit = 8u * 1024 * 1024;   ///< queued bytes per connection; beyond → -643
    std::chrono::milliseconds idle_timeout{0};         ///< close after this long without data (0 = off)
    bool no_delay = true;                              ///< TCP_NODELAY
    std::chrono::milliseconds keepalive{0};            ///< SO_KEEPALIVE idle time (0 = off)
    std::chrono::milliseconds linger{1000};            ///< how long a graceful close flushes
};

/// Options of a messaging_server.
struct server_options : connection_options {
    std::string bind_address = "0.0.0.0";  ///< like the original; "127.0.0.1", "::1", "::" …
    std::size_t max_connections = 10000;   ///< excess connections are closed at once (-623)
};

/// Automatic reconnection with exponential backoff.
struct reconnect_options {
    bool enabled = false;
    std::chrono::milliseconds initial_delay{100};
    std::chrono::milliseconds max_delay{30000};
    std::uint32_t max_attempts = 10;  ///< failures in a row before -604 (0 = unlimited)
    std::uint32_t jitter_percent = 20;
};

/// Options of a messaging_client.
struct client_options : connection_options {
    std::chrono::milliseconds connect_timeout{10000};
    reconnect_options reconnect;
};

namespace detail {

template <typename H>
struct connection_setters {
    ns_result (*framing)(H*, int32_t);
    ns_result (*max_message_size)(H*, std::size_t);
    ns_result (*send_queue_limit)(H*, std::size_t);
    ns_result (*idle_timeout_ms)(H*, std::uint64_t);
    ns_result (*no_delay)(H*, bool);
    ns_result (*keepalive_ms)(H*, std::uint64_t);
    ns_result (*linger_ms)(H*, std::uint64_t);
};

template <typename H>
inline ns_result apply(H* h, const connection_options& o, const connection_setters<H>& s) {
    using network::detail::to_ms;
    ns_result r = NS_OK;
    if ((r = s.framing(h, static_cast<int32_t>(o.framing))) != NS_OK) return r;
    if ((r = s.max_message_size(h, o.max_message_size)) != NS_OK) return r;
    if ((r = s.send_queue_limit(h, o.send_queue_limit)) != NS_OK) return r;
    if ((r = s.idle_timeout_ms(h, to_ms(o.idle_timeout))) != NS_OK) return r;
    if ((r = s.no_delay(h, o.no_delay)) != NS_OK) return r;
    if ((r = s.keepalive_ms(h, to_ms(o.keepalive))) != NS_OK) return r;
    return s.linger_ms(h, to_ms(o.linger));
}

inline ns_result apply(ns_tcp_server* h, const server_options& o) {
    static const connection_setters<ns_tcp_server> setters{
        ns_tcp_server_set_framing,         ns_tcp_server_set_max_message_size,
        ns_tcp_server_set_send_queue_limit, ns_tcp_server_set_idle_timeout_ms,
        ns_tcp_server_set_no_delay,        ns_tcp_server_set_keepalive_ms,
        ns_tcp_server_set_linger_ms};
    ns_result r = apply(h, static_cast<const connection_options&>(o), setters);
    if (r == NS_OK) r = ns_tcp_server_set_bind_address(h, o.bind_address.c_str());
    if (r == NS_OK) r = ns_tcp_server_set_max_connections(h, o.max_connections);
    return r;
}

inline ns_result apply(ns_tcp_client* h, const client_options& o) {
    static const connection_setters<ns_tcp_client> setters{
        ns_tcp_client_set_framing,         ns_tcp_client_set_max_message_size,
        ns_tcp_client_set_send_queue_limit, ns_tcp_client_set_idle_timeout_ms,
        ns_tcp_client_set_no_delay,        ns_tcp_client_set_keepalive_ms,
        ns_tcp_client_set_linger_ms};
    using network::detail::to_ms;
    ns_result r = apply(h, static_cast<const connection_options&>(o), setters);
    if (r == NS_OK) r = ns_tcp_client_set_connect_timeout_ms(h, to_ms(o.connect_timeout));
    if (r == NS_OK) {
        const auto& rc = o.reconnect;
        r = ns_tcp_client_set_reconnect(h, rc.enabled, to_ms(rc.initial_delay), to_ms(rc.max_delay),
                                        rc.max_attempts, rc.jitter_percent);
    }
    return r;
}

/// Runs a user callback from a C trampoline: exceptions must not unwind into the library.
template <typename F>
inline void guarded(F&& f) noexcept {
    try {
        f();
    } catch (...) {
        // Swallowed like the original did; the connection keeps working.
    }
}

}  // namespace detail
}  // namespace kcenon::network::core

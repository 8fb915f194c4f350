// kcenon::network::unified — endpoint, callback and option types of the unified API.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>

#include "../types/span.h"

namespace kcenon::network::unified {

/// A host and port; for URL-based protocols `host` may hold the whole URL and `port` 0.
struct endpoint_info {
    std::string host;
    uint16_t port = 0;

    endpoint_info() = default;
    endpoint_info(const std::string& h, uint16_t p) : host(h), port(p) {}
    endpoint_info(const char* h, uint16_t p) : host(h), port(p) {}
    explicit endpoint_info(const std::string& url) : host(url) {}
    explicit endpoint_info(const char* url) : host(url) {}

    [[nodiscard]] auto is_valid() const noexcept -> bool { return !host.empty(); }
    /// "host:port", or the host alone when the port is 0.
    [[nodiscard]] auto to_string() const -> std::string { return port == 0 ? host : host + ":" + std::to_string(port); }
    [[nodiscard]] auto operator==(const endpoint_info& o) const noexcept -> bool { return host == o.host && port == o.port; }
    [[nodiscard]] auto operator!=(const endpoint_info& o) const noexcept -> bool { return !(*this == o); }
};

/// Events of one connection (each optional). They run on library threads, never concurrently
/// for one connection; `data` is valid only during the call.
struct connection_callbacks {
    std::function<void()> on_connected;
    std::function<void(span<const std::byte>)> on_data;
    std::function<void()> on_disconnected;
    std::function<void(std::error_code)> on_error;
};

/// Events of a listener, each naming the connection by its id.
struct listener_callbacks {
    std::function<void(std::string_view)> on_accept;
    std::function<void(std::string_view, span<const std::byte>)> on_data;
    std::function<void(std::string_view)> on_disconnect;
    std::function<void(std::string_view, std::error_code)> on_error;
};

/// Options of a connection, applied by the next connect().
struct connection_options {
    std::chrono::milliseconds connect_timeout{0};  ///< 0: the protocol's default (10 s)
    std::chrono::milliseconds read_timeout{0};     ///< 0: none; else the connection closes after this long without data (TCP)
    std::chrono::milliseconds write_timeout{0};    ///< accepted, not used: sends never block
    bool keep_alive = false;                       ///< TCP keep-alive probes (TCP)
    bool no_delay = false;                         ///< accepted: TCP_NODELAY is always on
};

}  // namespace kcenon::network::unified

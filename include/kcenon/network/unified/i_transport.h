// kcenon::network::unified::i_transport, i_connection, i_listener — the unified API's
// interfaces.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "../types/result.h"
#include "types.h"

namespace kcenon::network::unified {

/// Sends bytes to one peer.
class i_transport {
public:
    virtual ~i_transport() = default;
    i_transport(const i_transport&) = delete;
    i_transport& operator=(const i_transport&) = delete;

    [[nodiscard]] virtual auto send(span<const std::byte> data) -> VoidResult = 0;
    [[nodiscard]] virtual auto send(std::vector<uint8_t>&& data) -> VoidResult = 0;
    [[nodiscard]] virtual auto is_connected() const noexcept -> bool = 0;
    [[nodiscard]] virtual auto id() const noexcept -> std::string_view = 0;
    [[nodiscard]] virtual auto remote_endpoint() const noexcept -> endpoint_info = 0;
    [[nodiscard]] virtual auto local_endpoint() const noexcept -> endpoint_info = 0;

protected:
    i_transport() = default;
};

/// A connection of any protocol: connect, exchange, close.
class i_connection : public i_transport {
public:
    /// Connects and returns once connected (or with the failure: -601, -602, -607 …).
    [[nodiscard]] virtual auto connect(const endpoint_info& endpoint) -> VoidResult = 0;
    /// Connects to "scheme://host:port[/path]" or "host:port" ("[::1]:port" for IPv6).
    [[nodiscard]] virtual auto connect(std::string_view url) -> VoidResult = 0;
    /// Closes gracefully; on_disconnected follows. Safe to call more than once.
    virtual auto close() noexcept -> void = 0;
    virtual auto set_callbacks(connection_callbacks callbacks) -> void = 0;
    virtual auto set_options(connection_options options) -> void = 0;
    virtual auto set_timeout(std::chrono::milliseconds timeout) -> void = 0;
    [[nodiscard]] virtual auto is_connecting() const noexcept -> bool = 0;
    /// Blocks until the connection is closed (at once when it is not open).
    virtual auto wait_for_stop() -> void = 0;
};

/// A listener of any protocol: its connections are named by id.
class i_listener {
public:
    /// Gets each accepted connection as an object; when set, on_accept is not called.
    using accept_callback_t = std::function<void(std::unique_ptr<i_connection>)>;

    virtual ~i_listener() = default;
    i_listener(const i_listener&) = delete;
    i_listener& operator=(const i_listener&) = delete;

    /// Listens on bind_address.host (empty: every address) and port (0: a free one, see
    /// local_endpoint()).
    [[nodiscard]] virtual auto start(const endpoint_info& bind_address) -> VoidResult = 0;
    [[nodiscard]] virtual auto start(uint16_t port) -> VoidResult = 0;
    /// Stops listening and closes every connection (on_disconnect for each).
    virtual auto stop() noexcept -> void = 0;
    virtual auto set_callbacks(listener_callbacks callbacks) -> void = 0;
    virtual auto set_accept_callback(accept_callback_t callback) -> void = 0;
    [[nodiscard]] virtual auto is_listening() const noexcept -> bool = 0;
    [[nodiscard]] virtual auto local_endpoint() const noexcept -> endpoint_info = 0;
    [[nodiscard]] virtual auto connection_count() const noexcept -> size_t = 0;
    /// -620 for an unknown id.
    [[nodiscard]] virtual auto send_to(std::string_view connection_id, span<const std::byte> data) -> VoidResult = 0;
    /// Sends to every connection: ok when none failed or at least one send succeeded.
    [[nodiscard]] virtual auto broadcast(span<const std::byte> data) -> VoidResult = 0;
    virtual auto close_connection(std::string_view connection_id) noexcept -> void = 0;
    /// Blocks until stop() (from another thread).
    virtual auto wait_for_stop() -> void = 0;

protected:
    i_listener() = default;
};

}  // namespace kcenon::network::unified

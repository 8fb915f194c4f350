// kcenon::network::interfaces::i_session — one peer of a server, whatever the protocol.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "../types/result.h"

namespace kcenon::network::interfaces {

/// One connection (TCP, TLS, WebSocket, QUIC), remote endpoint (UDP) or request (HTTP) on a
/// server. Shared with the server: keep the shared_ptr as long as you need the session.
class i_session {
public:
    virtual ~i_session() = default;
    /// Unique among the server's sessions.
    [[nodiscard]] virtual auto id() const -> std::string_view = 0;
    [[nodiscard]] virtual auto is_connected() const -> bool = 0;
    /// Sends to this peer: -603 once it is gone.
    [[nodiscard]] virtual auto send(std::vector<uint8_t>&& data) -> VoidResult = 0;
    /// Closes the connection gracefully; the server's disconnection callback follows.
    virtual auto close() -> void = 0;
};

}  // namespace kcenon::network::interfaces

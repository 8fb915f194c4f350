// kcenon::network::interfaces::i_websocket_session — one WebSocket connection, as the original
// declares it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../types/result.h"
#include "i_session.h"

namespace kcenon::network::interfaces {

/// A WebSocket connection is an i_session: id() is "ip:port" of the peer ("[ip]:port" for
/// IPv6), send() sends a binary message, close() closes with 1000 (normal).
class i_websocket_session : public i_session {
public:
    using i_session::close;
    [[nodiscard]] virtual VoidResult send_text(std::string&& message) = 0;
    [[nodiscard]] virtual VoidResult send_binary(std::vector<uint8_t>&& data) = 0;
    virtual void close(uint16_t code, std::string_view reason = "") = 0;
    /// The request path of the opening handshake.
    [[nodiscard]] virtual std::string_view path() const = 0;
};

}  // namespace kcenon::network::interfaces

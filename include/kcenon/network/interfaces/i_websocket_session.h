// kcenon::network::interfaces::i_websocket_session — one WebSocket connection, as the original
// declares it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../types/result.h"

namespace kcenon::network::interfaces {

class i_websocket_session {
public:
    virtual ~i_websocket_session() = default;
    /// "ip:port" of the peer ("[ip]:port" for IPv6).
    [[nodiscard]] virtual std::string_view id() const = 0;
    [[nodiscard]] virtual bool is_connected() const = 0;
    /// Sends a binary message.
    [[nodiscard]] virtual VoidResult send(std::vector<uint8_t>&& data) = 0;
    /// Closes with 1000 (normal).
    virtual void close() = 0;
    [[nodiscard]] virtual VoidResult send_text(std::string&& message) = 0;
    [[nodiscard]] virtual VoidResult send_binary(std::vector<uint8_t>&& data) = 0;
    virtual void close(uint16_t code, std::string_view reason = "") = 0;
    /// The request path of the opening handshake.
    [[nodiscard]] virtual std::string_view path() const = 0;
};

}  // namespace kcenon::network::interfaces

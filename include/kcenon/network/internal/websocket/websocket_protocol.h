// kcenon::network::internal WebSocket types of the original (websocket_frame.h and
// websocket_protocol.h there): opcodes, close codes, and a received message.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kcenon::network::internal {

/// RFC 6455 frame opcodes.
enum class ws_opcode : uint8_t { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

/// RFC 6455 close codes. 1005 and 1006 (extensions over the original) are only reported, never
/// sent: the peer's close frame had no code / the connection ended without a close handshake.
enum class ws_close_code : uint16_t {
    normal = 1000,
    going_away = 1001,
    protocol_error = 1002,
    unsupported_data = 1003,
    no_status_received = 1005,
    abnormal_closure = 1006,
    invalid_frame = 1007,
    policy_violation = 1008,
    message_too_big = 1009,
    internal_error = 1011,
};

enum class ws_message_type { text, binary };

/// A whole received message (fragments reassembled).
struct ws_message {
    ws_message_type type = ws_message_type::binary;
    std::vector<uint8_t> data;

    [[nodiscard]] std::string as_text() const { return std::string(data.begin(), data.end()); }
    [[nodiscard]] const std::vector<uint8_t>& as_binary() const { return data; }
};

}  // namespace kcenon::network::internal

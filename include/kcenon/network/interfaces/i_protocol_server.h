// kcenon::network::interfaces::i_protocol_server — a server of any protocol (what the facades
// return).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "../types/result.h"
#include "i_network_component.h"
#include "i_session.h"

namespace kcenon::network::interfaces {

/// A server of TCP, TLS, UDP, WebSocket, HTTP or QUIC. Peers are i_session objects, named by
/// their id() in the receive, disconnection and error callbacks (an empty id for errors of no
/// session). Callbacks for one session never run concurrently and come in order connection →
/// receive… → error? → disconnection.
class i_protocol_server : public i_network_component {
public:
    using connection_callback_t = std::function<void(std::shared_ptr<i_session>)>;
    using disconnection_callback_t = std::function<void(std::string_view)>;
    using receive_callback_t = std::function<void(std::string_view, const std::vector<uint8_t>&)>;
    using error_callback_t = std::function<void(std::string_view, std::error_code)>;

    /// Binds `port` on every address (0 picks a free port) and serves.
    [[nodiscard]] virtual auto start(uint16_t port) -> VoidResult = 0;
    [[nodiscard]] virtual auto stop() -> VoidResult = 0;
    [[nodiscard]] virtual auto connection_count() const -> size_t = 0;
    virtual auto set_connection_callback(connection_callback_t callback) -> void = 0;
    virtual auto set_disconnection_callback(disconnection_callback_t callback) -> void = 0;
    virtual auto set_receive_callback(receive_callback_t callback) -> void = 0;
    virtual auto set_error_callback(error_callback_t callback) -> void = 0;
};

}  // namespace kcenon::network::interfaces

// kcenon::network::interfaces::i_protocol_client — a client of any protocol (what the facades
// return).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "../types/result.h"
#include "connection_observer.h"
#include "i_network_component.h"

namespace kcenon::network::interfaces {

/// A client of TCP, TLS, UDP, WebSocket, HTTP or QUIC. Callbacks run on library threads, never
/// concurrently for one client, in order connected → receive… → error? → disconnected; they
/// may be set or replaced at any time. An observer, when set, gets every event after the
/// callbacks.
class i_protocol_client : public i_network_component {
public:
    using receive_callback_t = std::function<void(const std::vector<uint8_t>&)>;
    using connected_callback_t = std::function<void()>;
    using disconnected_callback_t = std::function<void()>;
    using error_callback_t = std::function<void(std::error_code)>;

    [[nodiscard]] virtual auto start(std::string_view host, uint16_t port) -> VoidResult = 0;
    [[nodiscard]] virtual auto stop() -> VoidResult = 0;
    [[nodiscard]] virtual auto send(std::vector<uint8_t>&& data) -> VoidResult = 0;
    [[nodiscard]] virtual auto is_connected() const -> bool = 0;
    virtual auto set_observer(std::shared_ptr<connection_observer> observer) -> void = 0;
    virtual auto set_receive_callback(receive_callback_t callback) -> void = 0;
    virtual auto set_connected_callback(connected_callback_t callback) -> void = 0;
    virtual auto set_disconnected_callback(disconnected_callback_t callback) -> void = 0;
    virtual auto set_error_callback(error_callback_t callback) -> void = 0;
};

}  // namespace kcenon::network::interfaces

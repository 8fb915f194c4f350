// kcenon::network::interfaces::i_websocket_server — the original's WebSocket server interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "i_websocket_session.h"
#include "i_network_component.h"

namespace kcenon::network::interfaces {

class i_websocket_server : public i_network_component {
public:
    virtual ~i_websocket_server() = default;
    [[nodiscard]] virtual VoidResult start(uint16_t port) = 0;
    [[nodiscard]] virtual VoidResult stop() = 0;
    [[nodiscard]] virtual std::size_t connection_count() const = 0;
    virtual void set_connection_callback(std::function<void(std::shared_ptr<i_websocket_session>)> callback) = 0;
    virtual void set_disconnection_callback(
        std::function<void(std::string_view session_id, uint16_t code, std::string_view reason)> callback) = 0;
    virtual void set_text_callback(std::function<void(std::string_view session_id, const std::string&)> callback) = 0;
    virtual void set_binary_callback(
        std::function<void(std::string_view session_id, const std::vector<uint8_t>&)> callback) = 0;
    virtual void set_error_callback(std::function<void(std::string_view session_id, std::error_code)> callback) = 0;
};

}  // namespace kcenon::network::interfaces

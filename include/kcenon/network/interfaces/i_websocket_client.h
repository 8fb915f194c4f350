// kcenon::network::interfaces::i_websocket_client — the original's WebSocket client interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "../types/result.h"
#include "i_network_component.h"

namespace kcenon::network::interfaces {

class i_websocket_client : public i_network_component {
public:
    /// Called inline with a send's outcome and the bytes queued (0 on error).
    using send_callback_t = std::function<void(std::error_code, std::size_t)>;

    virtual ~i_websocket_client() = default;
    [[nodiscard]] virtual VoidResult start(std::string_view host, uint16_t port, std::string_view path = "/") = 0;
    [[nodiscard]] virtual VoidResult stop() = 0;
    [[nodiscard]] virtual bool is_connected() const = 0;
    [[nodiscard]] virtual VoidResult send_text(std::string&& message, send_callback_t handler = nullptr) = 0;
    [[nodiscard]] virtual VoidResult send_binary(std::vector<uint8_t>&& data, send_callback_t handler = nullptr) = 0;
    [[nodiscard]] virtual VoidResult ping(std::vector<uint8_t>&& payload = {}) = 0;
    [[nodiscard]] virtual VoidResult close(uint16_t code = 1000, std::string_view reason = "") = 0;
    virtual void set_text_callback(std::function<void(const std::string&)> callback) = 0;
    virtual void set_binary_callback(std::function<void(const std::vector<uint8_t>&)> callback) = 0;
    virtual void set_connected_callback(std::function<void()> callback) = 0;
    virtual void set_disconnected_callback(std::function<void(uint16_t code, std::string_view reason)> callback) = 0;
    virtual void set_error_callback(std::function<void(std::error_code)> callback) = 0;
};

}  // namespace kcenon::network::interfaces

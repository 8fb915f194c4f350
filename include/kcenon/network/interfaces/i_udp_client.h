// kcenon::network::interfaces::i_udp_client / i_udp_server — the original's UDP interfaces.
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

class i_udp_client : public i_network_component {
public:
    /// A peer's address ("127.0.0.1", "::1") and port.
    struct endpoint_info {
        std::string address;
        uint16_t port = 0;
    };
    using receive_callback_t = std::function<void(const std::vector<uint8_t>&, const endpoint_info&)>;
    using error_callback_t = std::function<void(std::error_code)>;
    /// Called after a send with its outcome and the bytes sent.
    using send_callback_t = std::function<void(std::error_code, std::size_t)>;

    virtual ~i_udp_client() = default;
    [[nodiscard]] virtual VoidResult start(std::string_view host, uint16_t port) = 0;
    virtual VoidResult stop() = 0;
    [[nodiscard]] virtual VoidResult send(std::vector<uint8_t>&& data, send_callback_t handler = nullptr) = 0;
    [[nodiscard]] virtual VoidResult set_target(std::string_view host, uint16_t port) = 0;
    virtual void set_receive_callback(receive_callback_t callback) = 0;
    virtual void set_error_callback(error_callback_t callback) = 0;
};

class i_udp_server : public i_network_component {
public:
    using endpoint_info = i_udp_client::endpoint_info;
    using receive_callback_t = i_udp_client::receive_callback_t;
    using error_callback_t = i_udp_client::error_callback_t;
    using send_callback_t = i_udp_client::send_callback_t;

    virtual ~i_udp_server() = default;
    [[nodiscard]] virtual VoidResult start(uint16_t port) = 0;
    virtual VoidResult stop() = 0;
    [[nodiscard]] virtual VoidResult send_to(const endpoint_info& endpoint, std::vector<uint8_t>&& data,
                                             send_callback_t handler = nullptr) = 0;
    virtual void set_receive_callback(receive_callback_t callback) = 0;
    virtual void set_error_callback(error_callback_t callback) = 0;
};

}  // namespace kcenon::network::interfaces

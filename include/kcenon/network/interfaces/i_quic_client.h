// kcenon::network::interfaces::i_quic_client — the original's QUIC client interface.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "../types/result.h"
#include "i_network_component.h"

namespace kcenon::network::interfaces {

class i_quic_client : public i_network_component {
public:
    using receive_callback_t = std::function<void(const std::vector<uint8_t>&)>;
    using stream_callback_t = std::function<void(uint64_t, const std::vector<uint8_t>&, bool)>;
    using connected_callback_t = std::function<void()>;
    using disconnected_callback_t = std::function<void()>;
    using error_callback_t = std::function<void(std::error_code)>;
    using session_ticket_callback_t =
        std::function<void(std::vector<uint8_t> ticket_data, uint32_t lifetime_hint, uint32_t max_early_data)>;
    using early_data_callback_t = std::function<std::vector<uint8_t>()>;
    using early_data_accepted_callback_t = std::function<void(bool accepted)>;

    virtual ~i_quic_client() = default;
    [[nodiscard]] virtual VoidResult start(std::string_view host, uint16_t port) = 0;
    [[nodiscard]] virtual VoidResult stop() = 0;
    [[nodiscard]] virtual bool is_connected() const = 0;
    [[nodiscard]] virtual bool is_handshake_complete() const = 0;
    [[nodiscard]] virtual VoidResult send(std::vector<uint8_t>&& data) = 0;
    [[nodiscard]] virtual Result<uint64_t> create_stream() = 0;
    [[nodiscard]] virtual Result<uint64_t> create_unidirectional_stream() = 0;
    [[nodiscard]] virtual VoidResult send_on_stream(uint64_t stream_id, std::vector<uint8_t>&& data,
                                                    bool fin = false) = 0;
    [[nodiscard]] virtual VoidResult close_stream(uint64_t stream_id) = 0;
    virtual void set_alpn_protocols(const std::vector<std::string>& protocols) = 0;
    [[nodiscard]] virtual std::optional<std::string> alpn_protocol() const = 0;
    [[nodiscard]] virtual bool is_early_data_accepted() const = 0;
    virtual void set_receive_callback(receive_callback_t callback) = 0;
    virtual void set_stream_callback(stream_callback_t callback) = 0;
    virtual void set_connected_callback(connected_callback_t callback) = 0;
    virtual void set_disconnected_callback(disconnected_callback_t callback) = 0;
    virtual void set_error_callback(error_callback_t callback) = 0;
    virtual void set_session_ticket_callback(session_ticket_callback_t callback) = 0;
    virtual void set_early_data_callback(early_data_callback_t callback) = 0;
    virtual void set_early_data_accepted_callback(early_data_accepted_callback_t callback) = 0;
};

}  // namespace kcenon::network::interfaces

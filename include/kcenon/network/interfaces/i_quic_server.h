// kcenon::network::interfaces::i_quic_server and i_quic_session — the original's QUIC server
// interfaces.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include "../types/result.h"
#include "i_session.h"
#include "i_network_component.h"

namespace kcenon::network::interfaces {

/// One QUIC connection on a server, with its streams. As an i_session, send() sends one
/// message (delivered whole, in order, to the peer's receive callback) and close() closes
/// gracefully with application error code 0.
class i_quic_session : public i_session {
public:
    [[nodiscard]] virtual Result<uint64_t> create_stream() = 0;
    [[nodiscard]] virtual Result<uint64_t> create_unidirectional_stream() = 0;
    [[nodiscard]] virtual VoidResult send_on_stream(uint64_t stream_id, std::vector<uint8_t>&& data,
                                                    bool fin = false) = 0;
    [[nodiscard]] virtual VoidResult close_stream(uint64_t stream_id) = 0;
};

class i_quic_server : public i_network_component {
public:
    using connection_callback_t = std::function<void(std::shared_ptr<i_quic_session>)>;
    using disconnection_callback_t = std::function<void(std::string_view)>;
    using receive_callback_t = std::function<void(std::string_view, const std::vector<uint8_t>&)>;
    using stream_callback_t = std::function<void(std::string_view, uint64_t, const std::vector<uint8_t>&, bool)>;
    using error_callback_t = std::function<void(std::string_view, std::error_code)>;

    virtual ~i_quic_server() = default;
    [[nodiscard]] virtual VoidResult start(uint16_t port) = 0;
    [[nodiscard]] virtual VoidResult stop() = 0;
    [[nodiscard]] virtual std::size_t connection_count() const = 0;
    virtual void set_connection_callback(connection_callback_t callback) = 0;
    virtual void set_disconnection_callback(disconnection_callback_t callback) = 0;
    virtual void set_receive_callback(receive_callback_t callback) = 0;
    virtual void set_stream_callback(stream_callback_t callback) = 0;
    virtual void set_error_callback(error_callback_t callback) = 0;
};

}  // namespace kcenon::network::interfaces

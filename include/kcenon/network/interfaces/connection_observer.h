// kcenon::network::interfaces::connection_observer, null_connection_observer, callback_adapter:
// one object receiving all events of a client (i_protocol_client::set_observer).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <system_error>

#include "../types/span.h"

namespace kcenon::network::interfaces {

/// Events of one client connection. Methods run on library threads, never concurrently for one
/// client, in order on_connected → on_receive… → on_error? → on_disconnected. `data` is valid
/// only during the call. In C++17 the span is kcenon::network::span (std::span in C++20).
class connection_observer {
public:
    virtual ~connection_observer() = default;
    virtual auto on_receive(span<const uint8_t> data) -> void = 0;
    virtual auto on_connected() -> void = 0;
    /// `reason` is empty for a normal close; otherwise e.g. the WebSocket close reason.
    virtual auto on_disconnected(std::optional<std::string_view> reason = std::nullopt) -> void = 0;
    virtual auto on_error(std::error_code ec) -> void = 0;
};

/// Does nothing; derive from it to handle only some events.
class null_connection_observer : public connection_observer {
public:
    auto on_receive(span<const uint8_t>) -> void override {}
    auto on_connected() -> void override {}
    auto on_disconnected(std::optional<std::string_view>) -> void override {}
    auto on_error(std::error_code) -> void override {}
};

/// An observer built from functions, set fluently before the client starts:
/// `adapter->on_receive(...).on_connected(...)`.
class callback_adapter : public connection_observer {
public:
    using receive_fn = std::function<void(span<const uint8_t>)>;
    using connected_fn = std::function<void()>;
    using disconnected_fn = std::function<void(std::optional<std::string_view>)>;
    using error_fn = std::function<void(std::error_code)>;

    auto on_receive(receive_fn fn) -> callback_adapter& {
        receive_ = std::move(fn);
        return *this;
    }
    auto on_connected(connected_fn fn) -> callback_adapter& {
        connected_ = std::move(fn);
        return *this;
    }
    auto on_disconnected(disconnected_fn fn) -> callback_adapter& {
        disconnected_ = std::move(fn);
        return *this;
    }
    auto on_error(error_fn fn) -> callback_adapter& {
        error_ = std::move(fn);
        return *this;
    }

    auto on_receive(span<const uint8_t> data) -> void override {
        if (receive_) receive_(data);
    }
    auto on_connected() -> void override {
        if (connected_) connected_();
    }
    auto on_disconnected(std::optional<std::string_view> reason) -> void override {
        if (disconnected_) disconnected_(reason);
    }
    auto on_error(std::error_code ec) -> void override {
        if (error_) error_(ec);
    }

private:
    receive_fn receive_;
    connected_fn connected_;
    disconnected_fn disconnected_;
    error_fn error_;
};

}  // namespace kcenon::network::interfaces

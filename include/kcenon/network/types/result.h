// Result<T>, VoidResult, error_info and the error-code constants of network_system.
// Source-compatible with kcenon::network's Result (common_system), plus explicit operator bool.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace kcenon::network {

/// Error details: a code from the error table, a message, the module that raised it.
struct error_info {
    int code = 0;
    std::string message;
    std::string module;
    std::optional<std::string> details;

    error_info() = default;
    explicit error_info(const std::string& msg) : code(-1), message(msg) {}
    error_info(int c, const std::string& msg, const std::string& mod = "")
        : code(c), message(msg), module(mod) {}
    error_info(int c, const std::string& msg, const std::string& mod, const std::string& det)
        : code(c), message(msg), module(mod), details(det) {}

    bool operator==(const error_info& o) const {
        return code == o.code && message == o.message && module == o.module && details == o.details;
    }
    bool operator!=(const error_info& o) const { return !(*this == o); }
};

/// A value or an error_info. The error is kept behind a shared pointer (errors are rare and
/// immutable; copies share it): GCC 12 reports false maybe-uninitialized warnings at -O2/-O3
/// when an error_info, with its std::optional<std::string>, is destroyed inline.
template <typename T>
class Result {
public:
    using value_type = T;

    Result(const T& v) : data_(std::in_place_index<0>, v) {}
    Result(T&& v) : data_(std::in_place_index<0>, std::move(v)) {}
    Result(const error_info& e) : data_(std::in_place_index<1>, std::make_shared<const error_info>(e)) {}
    Result(error_info&& e)
        : data_(std::in_place_index<1>, std::make_shared<const error_info>(std::move(e))) {}

    template <typename U = T>
    static Result ok(U&& v) { return Result(T(std::forward<U>(v))); }
    static Result err(const error_info& e) { return Result(e); }
    static Result err(error_info&& e) { return Result(std::move(e)); }
    static Result err(int code, const std::string& msg, const std::string& module = "") {
        return Result(error_info{code, msg, module});
    }
    static Result uninitialized() { return Result(error_info{-6, "Result not initialized"}); }

    bool is_ok() const noexcept { return data_.index() == 0; }
    bool is_err() const noexcept { return data_.index() != 0; }
    /// Extension over the original: true when ok.
    explicit operator bool() const noexcept { return is_ok(); }

    /// The value; throws std::bad_optional_access on error (as the original).
    const T& value() const& { return *checked(); }
    T& value() & { return *checked(); }
    T&& value() && { return std::move(*checked()); }

    /// The value; throws std::runtime_error("Called unwrap on error: ...") on error.
    const T& unwrap() const {
        if (is_err()) throw std::runtime_error("Called unwrap on error: " + error().message);
        return *std::get_if<0>(&data_);
    }
    T& unwrap() {
        if (is_err()) throw std::runtime_error("Called unwrap on error: " + error().message);
        return *std::get_if<0>(&data_);
    }
    T unwrap_or(T fallback) const { return is_ok() ? *std::get_if<0>(&data_) : std::move(fallback); }
    T value_or(T fallback) const { return unwrap_or(std::move(fallback)); }

    /// The error; an empty error_info (code 0) when ok.
    const error_info& error() const {
        static const error_info none{};
        const auto* e = std::get_if<1>(&data_);
        return e ? **e : none;
    }

    template <typename F>
    auto map(F&& f) const -> Result<std::decay_t<std::invoke_result_t<F, const T&>>> {
        using U = std::decay_t<std::invoke_result_t<F, const T&>>;
        if (is_ok()) return Result<U>(f(*std::get_if<0>(&data_)));
        return Result<U>(error());
    }
    template <typename F>
    auto and_then(F&& f) const -> std::invoke_result_t<F, const T&> {
        using R = std::invoke_result_t<F, const T&>;
        if (is_ok()) return f(*std::get_if<0>(&data_));
        return R(error());
    }
    template <typename F>
    Result or_else(F&& f) const {
        if (is_ok()) return *this;
        return f(error());
    }

private:
    const T* checked() const {
        const T* v = std::get_if<0>(&data_);
        if (!v) throw std::bad_optional_access();
        return v;
    }
    T* checked() {
        T* v = std::get_if<0>(&data_);
        if (!v) throw std::bad_optional_access();
        return v;
    }

    std::variant<T, std::shared_ptr<const error_info>> data_;
};

using VoidResult = Result<std::monostate>;

template <typename T>
inline Result<std::decay_t<T>> ok(T&& value) {
    return Result<std::decay_t<T>>(std::forward<T>(value));
}
inline VoidResult ok() { return VoidResult(std::monostate{}); }

template <typename T>
inline Result<T> error(int code, const std::string& message,
                       const std::string& source = "network_system",
                       const std::string& details = "") {
    return Result<T>(error_info{code, message, source, details});
}
inline VoidResult error_void(int code, const std::string& message,
                             const std::string& source = "network_system",
                             const std::string& details = "") {
    return VoidResult(error_info{code, message, source, details});
}
inline std::string get_error_details(const error_info& e) { return e.details.value_or(""); }
inline const std::string& get_error_source(const error_info& e) { return e.module; }

namespace error_codes {
namespace common_errors {
constexpr int success = 0;
constexpr int invalid_argument = -1;
constexpr int not_found = -2;
constexpr int permission_denied = -3;
constexpr int timeout = -4;
constexpr int cancelled = -5;
constexpr int not_initialized = -6;
constexpr int already_exists = -7;
constexpr int out_of_memory = -8;
constexpr int io_error = -9;
constexpr int network_error = -10;
constexpr int internal_error = -99;
}  // namespace common_errors
namespace network_system {
constexpr int connection_failed = -600;
constexpr int connection_refused = -601;
constexpr int connection_timeout = -602;
constexpr int connection_closed = -603;
constexpr int circuit_open = -604;
constexpr int tls_handshake_failed = -605;
constexpr int certificate_error = -606;
constexpr int address_resolution_failed = -607;
constexpr int session_not_found = -620;
constexpr int session_expired = -621;
constexpr int invalid_session = -622;
constexpr int session_limit_reached = -623;
constexpr int send_failed = -640;
constexpr int receive_failed = -641;
constexpr int message_too_large = -642;
constexpr int send_queue_full = -643;
constexpr int protocol_error = -644;
constexpr int server_not_started = -660;
constexpr int server_already_running = -661;
constexpr int bind_failed = -662;
constexpr int client_not_started = -663;
constexpr int client_already_running = -664;
constexpr int stream_limit_reached = -680;
constexpr int stream_closed = -681;
constexpr int closed_by_peer = -682;
}  // namespace network_system
}  // namespace error_codes

namespace error_codes_ext::network_system {
constexpr int circuit_open = -604;
}

namespace internal {
template <typename T>
using Result = ::kcenon::network::Result<T>;
using VoidResult = ::kcenon::network::VoidResult;
using error_info = ::kcenon::network::error_info;
}  // namespace internal

}  // namespace kcenon::network

/// Older code names the library `network_system::…`.
namespace network_system = kcenon::network;

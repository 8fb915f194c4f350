// Internal glue between the C ABI and the C++ wrapper: result conversion, the
// std::error_category, and callback holders. Not part of the public API.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#if __cplusplus >= 202002L && __has_include(<span>)
#include <span>
#define NS_HAVE_SPAN 1
#endif

#include <network_system.h>

#include "../types/result.h"

namespace kcenon::network {

/// The std::error_category of network_system codes (values from the error table).
class network_error_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "network_system"; }
    std::string message(int code) const override { return ns_error_name(code); }
};

inline const std::error_category& network_category() noexcept {
    static const network_error_category category;
    return category;
}

inline std::error_code make_error_code(int code) noexcept { return {code, network_category()}; }

/// Framing of a TCP connection.
enum class framing {
    raw = NS_FRAMING_RAW,                        ///< byte stream, no header (default, like the original)
    length_prefixed = NS_FRAMING_LENGTH_PREFIXED ///< 4-byte big-endian length per message
};

/// Counters of a server, client or session.
struct network_stats {
    std::uint64_t connections_total = 0;
    std::uint64_t active_connections = 0;
    std::uint64_t connections_rejected = 0;
    std::uint64_t messages_in = 0;
    std::uint64_t messages_out = 0;
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t queued_bytes = 0;
    std::uint64_t errors = 0;
    std::uint64_t dropped = 0;  ///< UDP: not sent (buffer full) + dropped by the kernel
    std::uint64_t writes = 0;   ///< TCP/TLS: socket writes (fewer than messages_out when coalesced)
};

namespace detail {

inline VoidResult to_result(ns_result code, const char* module) {
    if (code == NS_OK) return ok();
    return error_void(code, ns_last_error_message(), module);
}

inline network_stats to_stats(const ns_stats& s) {
    return network_stats{s.connections_total, s.active_connections, s.connections_rejected, s.messages_in,
                         s.messages_out,      s.bytes_in,           s.bytes_out,            s.queued_bytes,
                         s.errors,            s.dropped,            s.writes};
}

template <typename Handle, typename Getter>
inline network_stats read_stats(Handle* h, Getter get) {
    ns_stats s{};
    s.struct_size = sizeof(s);
    return get(h, &s) == NS_OK ? to_stats(s) : network_stats{};
}

/// "ip:port", "[ip]:port" for IPv6 literals: how endpoints and URLs write an address.
inline std::string endpoint_text(const std::string& ip, std::uint16_t port) {
    return (ip.find(':') == std::string::npos ? ip : "[" + ip + "]") + ":" + std::to_string(port);
}

/// A view the library hands out, copied into a string.
inline std::string view_string(ns_http_str s) { return s.len ? std::string(s.data, s.len) : std::string(); }

inline std::uint64_t to_ms(std::chrono::milliseconds d) {
    return d.count() > 0 ? static_cast<std::uint64_t>(d.count()) : 0;
}

/// Heap holder handed to C as user data; deleted by the library when no longer used.
template <typename T>
struct holder {
    T value;
    static void release(void* p) { delete static_cast<holder*>(p); }
};

template <typename T>
inline void* make_holder(T value) {
    return new holder<T>{std::move(value)};
}

template <typename T>
inline T& held(void* p) {
    return static_cast<holder<T>*>(p)->value;
}

inline std::string session_tls_version(const ns_tcp_session* s) {
    char buf[32] = {0};
    return ns_tcp_session_tls_version(s, buf, sizeof buf) == NS_OK ? std::string(buf) : std::string();
}

inline std::string session_alpn(const ns_tcp_session* s) {
    char buf[256] = {0};
    return ns_tcp_session_alpn(s, buf, sizeof buf) == NS_OK ? std::string(buf) : std::string();
}

/// The received bytes as a `std::vector` (what the original's callbacks take), reusing one
/// vector per thread: no allocation per message once it has grown. Valid during the callback,
/// like every pointer the library hands out.
inline const std::vector<std::uint8_t>& received(const std::uint8_t* data, std::size_t len) {
    thread_local std::vector<std::uint8_t> buffer;
    buffer.assign(data, data + len);
    return buffer;
}

/// The decayed parameter types of a callable with one non-template call operator (no `type`
/// for generic lambdas, overload sets and nullptr).
template <typename M>
struct member_args {};
template <typename C, typename R, typename... A>
struct member_args<R (C::*)(A...)> {
    using type = std::tuple<std::decay_t<A>...>;
};
template <typename C, typename R, typename... A>
struct member_args<R (C::*)(A...) const> : member_args<R (C::*)(A...)> {};
template <typename C, typename R, typename... A>
struct member_args<R (C::*)(A...) noexcept> : member_args<R (C::*)(A...)> {};
template <typename C, typename R, typename... A>
struct member_args<R (C::*)(A...) const noexcept> : member_args<R (C::*)(A...)> {};
template <typename F, typename = void>
struct args_of {};
template <typename F>
struct args_of<F, std::void_t<decltype(&F::operator())>> : member_args<decltype(&F::operator())> {};
template <typename R, typename... A>
struct args_of<R (*)(A...), void> {
    using type = std::tuple<std::decay_t<A>...>;
};

/// Whether `F`'s parameters are exactly `Args` (after decay).
template <typename F, typename Args, typename = void>
struct takes : std::false_type {};
template <typename F, typename Args>
struct takes<F, Args, std::void_t<typename args_of<std::decay_t<F>>::type>>
    : std::is_same<typename args_of<std::decay_t<F>>::type, Args> {};

#if NS_HAVE_SPAN
template <typename F, typename... Prefix>
inline constexpr bool takes_span_v = takes<F, std::tuple<Prefix..., std::span<const std::uint8_t>>>::value;
#else
template <typename F, typename... Prefix>
inline constexpr bool takes_span_v = false;
#endif

/// A receive callback that takes a view of the bytes — `(Prefix..., const uint8_t*, size_t)`,
/// or `(Prefix..., std::span<const uint8_t>)` in C++20 — instead of a `std::vector` copy.
template <typename F, typename... Prefix>
inline constexpr bool is_view_callback_v =
    takes<F, std::tuple<Prefix..., const std::uint8_t*, std::size_t>>::value || takes_span_v<F, Prefix...>;

/// A view callback as a `(Prefix..., pointer, length)` function.
template <typename... Prefix, typename F>
std::function<void(Prefix..., const std::uint8_t*, std::size_t)> view_function(F f) {
#if NS_HAVE_SPAN
    if constexpr (takes_span_v<F, Prefix...>) {
        return [f = std::move(f)](Prefix... prefix, const std::uint8_t* data, std::size_t len) mutable {
            f(std::move(prefix)..., std::span<const std::uint8_t>(data, len));
        };
    } else
#endif
    {
        return f;
    }
}

/// The result of a send with its code, after calling the optional `handler(error, bytes)`
/// inline with the outcome.
template <typename Handler>
inline VoidResult finish_send(ns_result code, std::size_t size, const Handler& handler, const char* module) {
    VoidResult r = to_result(code, module);
    if (handler) handler(code == NS_OK ? std::error_code() : make_error_code(code), code == NS_OK ? size : 0);
    return r;
}

/// Sends a batch of vectors through `send_batch(h, data[], len[], count)`.
template <typename Handle, typename Batch>
inline ns_result send_messages(Handle* h, const std::vector<std::vector<std::uint8_t>>& messages, Batch send_batch) {
    std::vector<const std::uint8_t*> data;
    std::vector<std::size_t> len;
    data.reserve(messages.size());
    len.reserve(messages.size());
    for (const auto& m : messages) {
        data.push_back(m.data());
        len.push_back(m.size());
    }
    return send_batch(h, data.data(), len.data(), messages.size());
}

/// Below this size a send copies (into the connection's staging buffer: no allocation, and
/// measured faster than handing the vector over even at 64 KiB); from it on the vector is
/// handed over without a copy and freed by the library once written.
constexpr std::size_t owned_send_threshold = 1 << 20;
/// QUIC copies a send into a fresh buffer (there is no staging buffer), so from this size on
/// handing the vector over is cheaper.
constexpr std::size_t quic_owned_send_threshold = 16 * 1024;

inline void free_vector(void* p) { delete static_cast<std::vector<std::uint8_t>*>(p); }

/// Sends `data` through `send_copy` or, from `threshold` bytes on, `send_owned` (zero-copy).
template <typename Handle, typename Copy, typename Owned>
inline ns_result send_vector(Handle* h, std::vector<std::uint8_t>&& data, Copy send_copy,
                             Owned send_owned, std::size_t threshold = owned_send_threshold) {
    if (data.size() < threshold) return send_copy(h, data.data(), data.size());
    auto* v = new std::vector<std::uint8_t>(std::move(data));
    return send_owned(h, v->data(), v->size(), &free_vector, v);
}

}  // namespace detail
}  // namespace kcenon::network


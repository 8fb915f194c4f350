// What secure_messaging_udp_server / secure_messaging_udp_client share: the callback
// trampolines of the C ABI's DTLS callbacks, and the options beyond the original's.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "udp_options.h"

namespace kcenon::network::core {

/// Options of the DTLS classes (all optional, before start).
struct dtls_options {
    std::string bind_address;                 ///< server default "0.0.0.0"; client: any of the target's family
    uint32_t mtu = 1400;                      ///< path MTU: a send whose record would not fit is refused (-642)
    std::chrono::milliseconds idle_timeout{}; ///< session ends (-621) after this long unheard; 0 = the default
    std::size_t recv_buffer_size = 0;         ///< SO_RCVBUF bytes (0 = system default)
    std::size_t send_buffer_size = 0;         ///< SO_SNDBUF bytes
    std::string ca_file;                      ///< client: trusted CA (PEM) besides the system roots
    std::string server_name;                  ///< client: name verified instead of the host given to start
};

namespace detail {

/// A peer's session began or ended: the user's `void(const endpoint_info&)` callback.
inline void on_dtls_peer(void* ud, const char* address, uint16_t port) {
    try {
        using peer_fn = std::function<void(const interfaces::i_udp_client::endpoint_info&)>;
        network::detail::held<peer_fn>(ud)(interfaces::i_udp_client::endpoint_info{address, port});
    } catch (...) {
    }
}

/// An error (with the peer it concerns, unused by the original's `void(std::error_code)`).
inline void on_dtls_error(void* ud, ns_result code, const char*, const char*, uint16_t) {
    try {
        network::detail::held<std::function<void(std::error_code)>>(ud)(make_error_code(code));
    } catch (...) {
    }
}

/// Registers `callback` through `set(handle, trampoline, holder, release)`; empty removes it.
template <typename H, typename F, typename T>
inline void set_callback(H* handle, ns_result (*set)(H*, T, void*, ns_free_fn), T trampoline, F callback) {
    if (!callback) {
        set(handle, nullptr, nullptr, nullptr);
        return;
    }
    set(handle, trampoline, network::detail::make_holder(std::move(callback)), &network::detail::holder<F>::release);
}

}  // namespace detail
}  // namespace kcenon::network::core

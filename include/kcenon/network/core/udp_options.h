// Options of messaging_udp_server / messaging_udp_client (all optional, before start).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "../detail/c_api.h"
#include "../interfaces/i_udp_client.h"

namespace kcenon::network::core {

struct udp_options {
    std::string bind_address;            ///< server default "0.0.0.0"; client: any of the target's family
    bool reuse_address = false;          ///< SO_REUSEADDR (server): several multicast receivers per port
    bool broadcast = false;              ///< SO_BROADCAST
    std::size_t recv_buffer_size = 0;    ///< SO_RCVBUF bytes (0 = system default)
    std::size_t send_buffer_size = 0;    ///< SO_SNDBUF bytes
    int multicast_ttl = -1;              ///< -1 = system default (1); 0 keeps IPv4 multicast on this host
    bool multicast_loop = true;
    std::string multicast_interface;     ///< IPv4 address of the interface, or IPv6 interface index
};

namespace detail {

struct udp_setters {
    template <typename H>
    static ns_result apply(H* h, const udp_options& o, ns_result (*bind)(H*, const char*),
                           ns_result (*broadcast)(H*, bool), ns_result (*buffers)(H*, std::size_t, std::size_t),
                           ns_result (*multicast)(H*, uint32_t, bool, const char*)) {
        ns_result r = NS_OK;
        if (!o.bind_address.empty()) r = bind(h, o.bind_address.c_str());
        if (r == NS_OK) r = broadcast(h, o.broadcast);
        if (r == NS_OK) r = buffers(h, o.recv_buffer_size, o.send_buffer_size);
        if (r == NS_OK && (o.multicast_ttl >= 0 || !o.multicast_interface.empty()))
            r = multicast(h, static_cast<uint32_t>(o.multicast_ttl < 0 ? 1 : o.multicast_ttl), o.multicast_loop,
                          o.multicast_interface.empty() ? nullptr : o.multicast_interface.c_str());
        return r;
    }
};

/// Receive trampoline shared by server and client: the holder keeps the user's callback.
inline void on_datagram(void* ud, const uint8_t* data, std::size_t len, const char* address, uint16_t port) {
    try {
        auto& cb = network::detail::held<interfaces::i_udp_client::receive_callback_t>(ud);
        cb(network::detail::received(data, len), interfaces::i_udp_client::endpoint_info{address, port});
    } catch (...) {
    }
}

inline void on_udp_error(void* ud, ns_result code, const char*) {
    try {
        network::detail::held<interfaces::i_udp_client::error_callback_t>(ud)(make_error_code(code));
    } catch (...) {
    }
}

}  // namespace detail
}  // namespace kcenon::network::core

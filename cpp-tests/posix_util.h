// Plain POSIX socket helpers for tests that act as an independent peer.
#pragma once

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "test_util.h"

namespace test::posix {

class fd_guard {
public:
    explicit fd_guard(int fd) : fd_(fd) {}
    ~fd_guard() {
        if (fd_ >= 0) ::close(fd_);
    }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

inline sockaddr_in loopback_addr(unsigned short port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

inline bool wait_readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(test::deadline).count())) == 1;
}

/// Reads exactly n bytes (or fails on EOF/timeout).
inline test::bytes read_exactly(int fd, std::size_t n) {
    test::bytes out;
    std::uint8_t buf[65536];
    while (out.size() < n) {
        if (!wait_readable(fd)) break;
        ssize_t got = ::read(fd, buf, std::min(sizeof buf, n - out.size()));
        if (got <= 0) break;
        out.insert(out.end(), buf, buf + got);
    }
    return out;
}

inline bool write_all(int fd, const test::bytes& data) {
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}


/// True when the peer closes the connection (EOF or reset) within the deadline; the bytes
/// before it are discarded.
inline bool reads_to_close(int fd) {
    std::uint8_t buf[4096];
    for (;;) {
        if (!wait_readable(fd)) return false;
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) return true;
    }
}

/// A connected TCP socket to 127.0.0.1:port (-1 on failure).
inline int connect_loopback(unsigned short port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    auto addr = loopback_addr(port);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

/// A port of 127.0.0.1 bound by `type` (SOCK_STREAM or SOCK_DGRAM) socket `fd`, 0 on failure.
inline uint16_t bind_loopback(int fd) {
    sockaddr_in a = loopback_addr(0);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        return 0;
    return ntohs(a.sin_port);
}

/// A TCP port of 127.0.0.1 that refuses connections while this object lives: bound, never
/// listening (a SYN gets a reset), and held, so no test running alongside can take it.
class refusing_tcp_port {
public:
    refusing_tcp_port() : fd_(::socket(AF_INET, SOCK_STREAM, 0)), port_(bind_loopback(fd_.get())) {}
    uint16_t port() const { return port_; }

private:
    fd_guard fd_;
    uint16_t port_;
};

/// A UDP port of 127.0.0.1 that answers with ICMP "port unreachable" while this object lives:
/// bound and connected to itself, it takes no datagram from anyone else, and it is held.
class unreachable_udp_port {
public:
    unreachable_udp_port() : fd_(::socket(AF_INET, SOCK_DGRAM, 0)), port_(bind_loopback(fd_.get())) {
        sockaddr_in self = loopback_addr(port_);
        ::connect(fd_.get(), reinterpret_cast<sockaddr*>(&self), sizeof self);
    }
    uint16_t port() const { return port_; }

private:
    fd_guard fd_;
    uint16_t port_;
};

/// Whether this kernel loops multicast back on the loopback interface, asked with plain
/// sockets: joins `group` on lo, sends one datagram to it with TTL 0 (IPv4) or hop limit 1
/// (IPv6, interface-local scope) and waits for it. Empty when it works, else why not — a
/// library test skips only then, and fails when the kernel can but the library does not.
inline std::string multicast_loopback_refusal(bool v6) {
    const int family = v6 ? AF_INET6 : AF_INET;
    fd_guard rx(::socket(family, SOCK_DGRAM, 0)), tx(::socket(family, SOCK_DGRAM, 0));
    if (rx.get() < 0 || tx.get() < 0) return "no socket";
    const int lo = static_cast<int>(::if_nametoindex("lo"));
    sockaddr_storage bound{}, group{};
    socklen_t len = 0;
    if (v6) {
        auto* b = reinterpret_cast<sockaddr_in6*>(&bound);
        b->sin6_family = AF_INET6;
        b->sin6_addr = in6addr_any;
        auto* g = reinterpret_cast<sockaddr_in6*>(&group);
        g->sin6_family = AF_INET6;
        ::inet_pton(AF_INET6, "ff01::4e54", &g->sin6_addr);
        len = sizeof(sockaddr_in6);
    } else {
        auto* b = reinterpret_cast<sockaddr_in*>(&bound);
        b->sin_family = AF_INET;
        b->sin_addr.s_addr = htonl(INADDR_ANY);
        auto* g = reinterpret_cast<sockaddr_in*>(&group);
        g->sin_family = AF_INET;
        ::inet_pton(AF_INET, "239.255.78.84", &g->sin_addr);
        len = sizeof(sockaddr_in);
    }
    if (::bind(rx.get(), reinterpret_cast<sockaddr*>(&bound), len) != 0) return "cannot bind";
    sockaddr_storage local{};
    socklen_t local_len = sizeof local;
    ::getsockname(rx.get(), reinterpret_cast<sockaddr*>(&local), &local_len);
    if (v6) {
        ipv6_mreq m{};
        m.ipv6mr_multiaddr = reinterpret_cast<sockaddr_in6*>(&group)->sin6_addr;
        m.ipv6mr_interface = static_cast<unsigned>(lo);
        if (::setsockopt(rx.get(), IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m) != 0) return "IPV6_JOIN_GROUP refused on lo";
        unsigned idx = static_cast<unsigned>(lo);
        int hops = 1;
        ::setsockopt(tx.get(), IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx, sizeof idx);
        ::setsockopt(tx.get(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
        reinterpret_cast<sockaddr_in6*>(&group)->sin6_port = reinterpret_cast<sockaddr_in6*>(&local)->sin6_port;
    } else {
        ip_mreq m{};
        m.imr_multiaddr = reinterpret_cast<sockaddr_in*>(&group)->sin_addr;
        m.imr_interface.s_addr = htonl(INADDR_LOOPBACK);
        if (::setsockopt(rx.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) != 0) return "IP_ADD_MEMBERSHIP refused on lo";
        in_addr itf{};
        itf.s_addr = htonl(INADDR_LOOPBACK);
        unsigned char ttl = 0;
        ::setsockopt(tx.get(), IPPROTO_IP, IP_MULTICAST_IF, &itf, sizeof itf);
        ::setsockopt(tx.get(), IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof ttl);
        reinterpret_cast<sockaddr_in*>(&group)->sin_port = reinterpret_cast<sockaddr_in*>(&local)->sin_port;
    }
    if (::sendto(tx.get(), "p", 1, 0, reinterpret_cast<sockaddr*>(&group), len) != 1) return "the kernel cannot send multicast on lo";
    pollfd p{rx.get(), POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1) return "the kernel does not loop multicast back on lo";
    return {};
}

}  // namespace test::posix

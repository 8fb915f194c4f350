// Plain POSIX socket helpers for tests that act as an independent peer.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

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

}  // namespace test::posix

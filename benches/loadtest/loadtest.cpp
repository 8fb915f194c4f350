// network_system_loadtest: end-to-end load tests written against the public C++ API, with an
// optional baseline of plain POSIX sockets (blocking, writev batching) in the same run.
//
//   network_system_loadtest <throughput|rtt|connections|connect|slowreader|soak|abuse|echo> [options]
//     --transport tcp|tls|udp|dtls|ws|quic   (default tcp; connections: tcp only; dtls: throughput
//     (datagrams/s one-way, losses) and rtt, beside our plain UDP in the same run; ws: throughput and
//     rtt, binary messages, baseline = the Python websockets package run by --python PYTHON;
//     quic: throughput (--connections = streams: 1 = messages on the message stream, more =
//     raw streams), rtt and connect (handshakes), baseline = the quinn program given by
//     --quinn PATH (examples/quic_baseline.rs), with our TLS-over-TCP measured beside both)
//     --size BYTES --count N --connections C --framing framed|raw (default framed)
//     --api packet|batch|view (default packet: one send_packet per message, what existing code
//     does; batch: send_batch of up to 512 messages; view: send_packet, and the receiver's
//     callback takes a view of the bytes instead of a std::vector; wait, connect workload only:
//     start_client returns once connected, as the facades' clients, instead of the connected
//     callback being awaited)
//     --runs K (median of K runs, default 1)  --baseline  --json FILE  --certs DIR (tls)
//     soak (tcp, tls): --connections C clients (default 10000) echo for --seconds S (default 60),
//     then --count N connect/exchange/disconnect cycles (default 1000000) from 4 threads, after a
//     short round of both as warm-up; fails unless both processes' open fds come back to their
//     baseline (±5 %) and their heap in use too (+256 KiB); reports RSS
//     abuse (tcp, framed): --connections C well-behaved clients (default 100) send a message each
//     every 10 ms for --seconds S quiet (default 20), then S more while 4 slow readers and 4
//     flooders of oversized frames attack the same server; latency quiet vs under attack
//     echo (tcp raw, or ws binary): --connections C clients, each a closed-loop echo of --size bytes (send,
//     wait for all of it back, again) for --seconds S (default 5) after a 0.5 s warm-up;
//     messages/s, round-trip percentiles and CPU time per message; baseline = the same workload
//     on Boost.Asio (tcp) or Boost.Beast (ws), the program given by --asio PATH (asio_echo,
//     built when Boost is found)
//
// Figures are counted at the receiver. MB = 10^6 bytes.
#include <kcenon/network/core/messaging_client.h>
#include <kcenon/network/core/messaging_server.h>
#include <kcenon/network/core/messaging_udp_client.h>
#include <kcenon/network/core/messaging_udp_server.h>
#include <kcenon/network/core/secure_messaging_udp_client.h>
#include <kcenon/network/core/secure_messaging_udp_server.h>
#include <kcenon/network/core/messaging_ws_client.h>
#include <kcenon/network/core/messaging_ws_server.h>
#include <kcenon/network/core/secure_messaging_client.h>
#include <kcenon/network/core/secure_messaging_server.h>
#include <kcenon/network/internal/experimental/quic_client.h>
#include <kcenon/network/internal/experimental/quic_server.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace kcenon::network;
using clock_type = std::chrono::steady_clock;

namespace {

// ---- options and results ------------------------------------------------------------------

struct options {
    std::string workload, transport = "tcp", json, certs, api = "packet", python = "python3", quinn, asio;
    std::size_t size = 0, count = 0, connections = 0, seconds = 0;
    bool framed = true, baseline = false;
    int runs = 1;
};

struct metric {
    std::string name, unit;
    double ours = 0, baseline = -1;  // -1: not measured
    bool higher_is_better = true;
};

[[noreturn]] void fail(const std::string& why) {
    std::fprintf(stderr, "network_system_loadtest: %s\n", why.c_str());
    std::exit(1);
}

double seconds_since(clock_type::time_point t) {
    return std::chrono::duration<double>(clock_type::now() - t).count();
}

/// Spins (yielding) until `done()` or `limit` seconds pass; false on timeout.
template <typename F>
bool wait_until(F done, double limit = 60) {
    const auto start = clock_type::now();
    while (!done()) {
        if (seconds_since(start) > limit) return false;
        std::this_thread::yield();
    }
    return true;
}

/// A counter to block on (the connect workload waits like the blocking baseline does, instead
/// of spinning on a 2-core machine).
class latch {
public:
    void add(std::size_t n) {
        {
            std::lock_guard<std::mutex> lock(m_);
            value_ += n;
        }
        cv_.notify_all();
    }
    bool wait_at_least(std::size_t n, double limit = 20) {
        std::unique_lock<std::mutex> lock(m_);
        return cv_.wait_for(lock, std::chrono::duration<double>(limit), [&] { return value_ >= n; });
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    std::size_t value_ = 0;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    std::size_t i = static_cast<std::size_t>(p * static_cast<double>(sorted.size()));
    return sorted[std::min(i, sorted.size() - 1)];
}

/// Raises the open-file limit: to 131072 where allowed (root), else the soft limit to the hard one.
void raise_fd_limit() {
    rlimit r{};
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
    const rlim_t want = std::max<rlim_t>(r.rlim_max, 131072);
    rlimit more{want, want};
    if (setrlimit(RLIMIT_NOFILE, &more) != 0 && r.rlim_cur < r.rlim_max) {
        r.rlim_cur = r.rlim_max;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

rlim_t fd_limit() {
    rlimit r{};
    return getrlimit(RLIMIT_NOFILE, &r) == 0 ? r.rlim_cur : 0;
}

// ---- our side: servers and clients of each transport --------------------------------------

core::server_options tcp_server_options(const options& o) {
    core::server_options s;
    s.bind_address = "127.0.0.1";
    s.framing = o.framed ? framing::length_prefixed : framing::raw;
    s.max_connections = 100000;
    return s;
}

std::shared_ptr<core::messaging_server> make_server(const options& o) {
    if (o.transport == "tls") {
        core::tls_server_options t;
        static_cast<core::server_options&>(t) = tcp_server_options(o);
        t.cert_file = o.certs + "/server.pem";
        t.key_file = o.certs + "/server.key";
        return std::make_shared<core::secure_messaging_server>("loadtest", t);
    }
    return std::make_shared<core::messaging_server>("loadtest", tcp_server_options(o));
}

std::shared_ptr<core::messaging_client> make_client(const options& o) {
    if (o.transport == "tls") {
        core::tls_client_options t;
        t.framing = o.framed ? framing::length_prefixed : framing::raw;
        t.use_system_roots = false;
        t.ca_file = o.certs + "/ca.pem";
        return std::make_shared<core::secure_messaging_client>("loadtest", t);
    }
    core::client_options c;
    c.framing = o.framed ? framing::length_prefixed : framing::raw;
    // api=wait: start_client returns once connected, as the facades' and unified API's clients do.
    if (o.api == "wait") return std::make_shared<core::detail::connected_client>("loadtest", c);
    return std::make_shared<core::messaging_client>("loadtest", c);
}

/// Connects and waits for the connected callback (TLS: the handshake); with api=wait only for
/// start_client, which returns once connected.
void connect(const options& o, core::messaging_client& c, unsigned short port) {
    latch up;
    const bool callback = o.api != "wait";
    if (callback) c.set_connected_callback([&] { up.add(1); });
    VoidResult r = o.transport == "tls" ? static_cast<core::secure_messaging_client&>(c).start_client("127.0.0.1", port)
                                        : c.start_client("127.0.0.1", port);
    if (r.is_err()) fail("connect: " + r.error().message);
    if (callback && !up.wait_at_least(1)) fail("connect timed out");
    c.set_connected_callback(nullptr);
}

// ---- POSIX baseline helpers -------------------------------------------------------------------

int posix_listen(unsigned short& port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4096) != 0) fail("baseline listen");
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    return fd;
}

int posix_connect(unsigned short port, int type = SOCK_STREAM) {
    int fd = ::socket(AF_INET, type, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) fail("baseline connect");
    int one = 1;
    if (type == SOCK_STREAM) ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

bool write_all(int fd, const void* p, std::size_t n) {
    const char* c = static_cast<const char*>(p);
    while (n > 0) {
        ssize_t w = ::write(fd, c, n);
        if (w <= 0) return false;
        c += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

bool read_exact(int fd, void* p, std::size_t n) {
    char* c = static_cast<char*>(p);
    while (n > 0) {
        ssize_t r = ::read(fd, c, n);
        if (r <= 0) return false;
        c += r;
        n -= static_cast<std::size_t>(r);
    }
    return true;
}

/// writev of iovecs, handling partial writes.
bool writev_all(int fd, std::vector<iovec> iov) {
    std::size_t i = 0;
    while (i < iov.size()) {
        ssize_t w = ::writev(fd, iov.data() + i, static_cast<int>(std::min<std::size_t>(iov.size() - i, 1024)));
        if (w <= 0) return false;
        std::size_t n = static_cast<std::size_t>(w);
        while (i < iov.size() && n >= iov[i].iov_len) n -= iov[i++].iov_len;
        if (i < iov.size()) {
            iov[i].iov_base = static_cast<char*>(iov[i].iov_base) + n;
            iov[i].iov_len -= n;
        }
    }
    return true;
}

// ---- throughput ---------------------------------------------------------------------------------

/// One-way stream over TCP/TLS with our library; returns seconds until the receiver got all.
double ours_stream(const options& o) {
    const std::size_t per_client = o.count / o.connections;
    const std::uint64_t goal = per_client * o.connections * o.size;
    std::atomic<std::uint64_t> received{0};
    auto server = make_server(o);
    if (o.api == "view") {
        // The view form of the receive callback: no std::vector copy per delivery.
        server->set_receive_callback([&](std::shared_ptr<session::messaging_session>, const uint8_t*, std::size_t n) {
            received.fetch_add(n, std::memory_order_relaxed);
        });
    } else {
        server->set_receive_callback([&](std::shared_ptr<session::messaging_session>, const std::vector<uint8_t>& d) {
            received.fetch_add(d.size(), std::memory_order_relaxed);
        });
    }
    if (auto r = server->start_server(0); r.is_err()) fail("server: " + r.error().message);
    std::vector<std::shared_ptr<core::messaging_client>> clients;
    for (std::size_t i = 0; i < o.connections; ++i) {
        clients.push_back(make_client(o));
        connect(o, *clients.back(), server->port());
    }
    const std::size_t batch =
        o.api == "batch" ? std::max<std::size_t>(1, std::min<std::size_t>(512, (256 * 1024) / o.size)) : 1;
    const std::vector<std::vector<uint8_t>> messages(batch, std::vector<uint8_t>(o.size, 0x5a));
    const auto start = clock_type::now();
    std::vector<std::thread> senders;
    for (auto& c : clients) {
        senders.emplace_back([&, c] {
            for (std::size_t sent = 0; sent < per_client;) {
                const std::size_t n = std::min(batch, per_client - sent);
                // packet: what code written for the original does, one call per message with a
                // vector the caller builds (its copy is the caller's cost, as it would be there).
                VoidResult r = o.api != "batch" ? c->send_packet(std::vector<uint8_t>(messages[0]))
                               : n == batch      ? c->send_batch(messages)
                                                 : c->send_batch(std::vector<std::vector<uint8_t>>(
                                                  messages.begin(), messages.begin() + static_cast<long>(n)));
                if (r.is_ok()) {
                    sent += n;
                } else if (r.error().code == error_codes::network_system::send_queue_full) {
                    // Backpressure: let the writer drain instead of spinning on a shared core.
                    std::this_thread::sleep_for(std::chrono::microseconds(50));
                } else {
                    fail("send: " + r.error().message);
                }
            }
        });
    }
    for (auto& t : senders) t.join();
    if (!wait_until([&] { return received.load(std::memory_order_relaxed) >= goal; }, 120)) {
        const auto s = server->stats();
        std::fprintf(stderr, "stalled: received %llu of %llu bytes; server: active %llu, bytes_in %llu, errors %llu\n",
                     static_cast<unsigned long long>(received.load()), static_cast<unsigned long long>(goal),
                     static_cast<unsigned long long>(s.active_connections), static_cast<unsigned long long>(s.bytes_in),
                     static_cast<unsigned long long>(s.errors));
        for (auto& c : clients) {
            const auto cs = c->stats();
            std::fprintf(stderr, "  client: connected %d, bytes_out %llu, queued %llu, errors %llu\n", c->is_connected() ? 1 : 0,
                         static_cast<unsigned long long>(cs.bytes_out), static_cast<unsigned long long>(cs.queued_bytes),
                         static_cast<unsigned long long>(cs.errors));
        }
        fail("throughput: the receiver did not get everything");
    }
    const double secs = seconds_since(start);
    for (auto& c : clients) c->stop_client();
    server->stop_server();
    return secs;
}

/// The same stream with blocking POSIX sockets: writev of up to 64 messages per call.
double posix_stream(const options& o) {
    unsigned short port = 0;
    int listener = posix_listen(port);
    const std::size_t per_client = o.count / o.connections;
    const std::size_t wire = o.size + (o.framed ? 4 : 0);
    const std::uint64_t goal = per_client * o.connections * wire;
    std::atomic<std::uint64_t> received{0};
    std::vector<std::thread> readers;
    std::thread acceptor([&] {
        for (std::size_t i = 0; i < o.connections; ++i) {
            int fd = ::accept(listener, nullptr, nullptr);
            readers.emplace_back([&, fd] {
                std::vector<char> buf(256 * 1024);
                ssize_t n;
                while ((n = ::read(fd, buf.data(), buf.size())) > 0) received.fetch_add(static_cast<std::uint64_t>(n));
                ::close(fd);
            });
        }
    });
    std::vector<int> fds;
    for (std::size_t i = 0; i < o.connections; ++i) fds.push_back(posix_connect(port));
    acceptor.join();
    const std::vector<uint8_t> payload(o.size, 0x5a);
    const uint32_t header = htonl(static_cast<uint32_t>(o.size));
    const std::size_t batch = std::max<std::size_t>(1, std::min<std::size_t>(64, (256 * 1024) / o.size));
    const auto start = clock_type::now();
    std::vector<std::thread> writers;
    for (int fd : fds) {
        writers.emplace_back([&, fd] {
            for (std::size_t sent = 0; sent < per_client;) {
                const std::size_t n = std::min(batch, per_client - sent);
                std::vector<iovec> iov;
                for (std::size_t k = 0; k < n; ++k) {
                    if (o.framed) iov.push_back({const_cast<uint32_t*>(&header), 4});
                    iov.push_back({const_cast<uint8_t*>(payload.data()), payload.size()});
                }
                if (!writev_all(fd, iov)) fail("baseline write");
                sent += n;
            }
        });
    }
    for (auto& t : writers) t.join();
    if (!wait_until([&] { return received.load() >= goal; }, 120)) fail("baseline: receiver incomplete");
    const double secs = seconds_since(start);
    for (int fd : fds) ::close(fd);
    for (auto& t : readers) t.join();
    ::close(listener);
    return secs;
}

/// Datagrams counted at a receiver: `on_datagram()` is called by its receive callback.
struct datagram_counter {
    std::atomic<std::uint64_t> received{0};
    std::atomic<std::int64_t> last_ns{0};
    void on_datagram() {
        received.fetch_add(1, std::memory_order_relaxed);
        last_ns.store(clock_type::now().time_since_epoch().count(), std::memory_order_relaxed);
    }
    /// Sends o.count datagrams of o.size through `send` (one call per datagram; a full send
    /// buffer is retried), then waits until all arrived or none did for 200 ms; returns
    /// {seconds from the first send to the last arrival, datagrams received}.
    template <typename Send>
    std::pair<double, std::uint64_t> run(const options& o, const char* what, Send send) {
        const auto start = clock_type::now();
        for (std::size_t i = 0; i < o.count;) {
            VoidResult r = send(std::vector<uint8_t>(o.size, 0x5a));
            if (r.is_ok()) ++i;
            else if (r.error().code != error_codes::network_system::send_queue_full) fail(std::string(what) + " send: " + r.error().message);
        }
        wait_until([&] {
            const auto last = clock_type::time_point(clock_type::duration(last_ns.load()));
            return received.load() >= o.count || (last_ns.load() != 0 && seconds_since(last) > 0.2);
        });
        const auto last = clock_type::time_point(clock_type::duration(last_ns.load()));
        return {std::chrono::duration<double>(last - start).count(), received.load()};
    }
};

/// UDP one-way: returns {seconds, received}; datagrams refused at send are retried.
std::pair<double, std::uint64_t> ours_udp_stream(const options& o) {
    core::udp_options so;
    so.bind_address = "127.0.0.1";
    so.recv_buffer_size = 8u << 20;
    core::messaging_udp_server server("loadtest", so);
    datagram_counter counter;
    server.set_receive_callback([&](const std::vector<uint8_t>&, const interfaces::i_udp_client::endpoint_info&) { counter.on_datagram(); });
    if (auto r = server.start_server(0); r.is_err()) fail("udp server: " + r.error().message);
    core::udp_options co;
    co.send_buffer_size = 8u << 20;
    core::messaging_udp_client client("loadtest", co);
    if (auto r = client.start_client("127.0.0.1", server.port()); r.is_err()) fail("udp client: " + r.error().message);
    return counter.run(o, "udp", [&](std::vector<uint8_t>&& d) { return client.send(std::move(d)); });
}

// ---- DTLS: ours beside our plain UDP, in the same run -------------------------------------------

core::dtls_options dtls_settings(const options& o) {
    core::dtls_options d;
    d.bind_address = "127.0.0.1";
    d.ca_file = o.certs + "/ca.pem";
    d.server_name = "localhost";
    d.recv_buffer_size = 8u << 20;
    d.send_buffer_size = 8u << 20;
    return d;
}

/// A DTLS server (echoing, or counting into `counter`) and a connected client.
struct dtls_pair {
    std::shared_ptr<core::secure_messaging_udp_server> server;
    std::unique_ptr<core::secure_messaging_udp_client> client;
    dtls_pair(const options& o, datagram_counter* counter) {
        server = std::make_shared<core::secure_messaging_udp_server>("loadtest", dtls_settings(o));
        (void)server->set_certificate_chain_file(o.certs + "/server.pem");
        (void)server->set_private_key_file(o.certs + "/server.key");
        core::secure_messaging_udp_server* raw = server.get();
        server->set_receive_callback([raw, counter](const std::vector<uint8_t>& d, const core::secure_messaging_udp_server::endpoint_info& from) {
            if (counter) counter->on_datagram();
            else raw->async_send_to(std::vector<uint8_t>(d), from);
        });
        if (auto r = server->start_server(0); r.is_err()) fail("dtls server: " + r.error().message);
        client = std::make_unique<core::secure_messaging_udp_client>("loadtest", true, dtls_settings(o));
    }
    void connect() {
        if (auto r = client->start_client("127.0.0.1", server->port()); r.is_err()) fail("dtls client: " + r.error().message);
    }
    ~dtls_pair() {
        (void)client->stop_client();
        (void)server->stop_server();
    }
};

std::pair<double, std::uint64_t> dtls_stream(const options& o) {
    datagram_counter counter;
    dtls_pair p(o, &counter);
    p.connect();
    return counter.run(o, "dtls", [&](std::vector<uint8_t>&& d) { return p.client->send_packet(std::move(d)); });
}

std::pair<double, std::uint64_t> posix_udp_stream(const options& o) {
    int rx = ::socket(AF_INET, SOCK_DGRAM, 0);
    int big = 8 << 20;
    ::setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(rx, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(rx, reinterpret_cast<sockaddr*>(&a), &len);
    timeval tv{0, 200000};
    ::setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::atomic<std::uint64_t> received{0};
    clock_type::time_point last{};
    std::thread reader([&] {
        std::vector<char> buf(65536);
        while (::recv(rx, buf.data(), buf.size(), 0) > 0) {
            received.fetch_add(1);
            last = clock_type::now();
        }
    });
    int tx = posix_connect(ntohs(a.sin_port), SOCK_DGRAM);
    const std::vector<uint8_t> payload(o.size, 0x5a);
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < o.count; ++i) ::send(tx, payload.data(), payload.size(), 0);
    reader.join();  // ends 200 ms after the last datagram
    ::close(tx);
    ::close(rx);
    return {std::chrono::duration<double>(last - start).count(), received.load()};
}

// ---- WebSocket: ours, and the Python websockets package as the baseline ----------------------

core::ws_server_config ws_config() {
    core::ws_server_config c;
    c.port = 0;
    c.bind_address = "127.0.0.1";
    c.max_connections = 100000;
    c.ping_interval = std::chrono::milliseconds(0);  // the baseline runs without pings too
    return c;
}

/// One-way binary stream over WebSocket: one send_binary per message; seconds until the server
/// received every byte.
double ws_stream(const options& o) {
    const std::size_t per_client = o.count / o.connections;
    const std::uint64_t goal = per_client * o.connections * o.size;
    std::atomic<std::uint64_t> received{0};
    auto server = std::make_shared<core::messaging_ws_server>("loadtest");
    server->set_binary_callback([&](std::string_view, const std::vector<uint8_t>& d) {
        received.fetch_add(d.size(), std::memory_order_relaxed);
    });
    if (auto r = server->start_server(ws_config()); r.is_err()) fail("ws server: " + r.error().message);
    std::vector<std::unique_ptr<core::messaging_ws_client>> clients;
    for (std::size_t i = 0; i < o.connections; ++i) {
        clients.push_back(std::make_unique<core::messaging_ws_client>("loadtest"));
        if (auto r = clients.back()->start_client("127.0.0.1", server->port()); r.is_err()) fail("ws connect: " + r.error().message);
    }
    const std::vector<uint8_t> message(o.size, 0x5a);
    const auto start = clock_type::now();
    std::vector<std::thread> senders;
    for (auto& c : clients) {
        senders.emplace_back([&, raw = c.get()] {
            for (std::size_t sent = 0; sent < per_client;) {
                VoidResult r = raw->send_binary(std::vector<uint8_t>(message));
                if (r.is_ok()) {
                    ++sent;
                } else if (r.error().code == error_codes::network_system::send_queue_full) {
                    std::this_thread::sleep_for(std::chrono::microseconds(50));  // backpressure
                } else {
                    fail("ws send: " + r.error().message);
                }
            }
        });
    }
    for (auto& t : senders) t.join();
    if (!wait_until([&] { return received.load(std::memory_order_relaxed) >= goal; }, 120)) fail("ws: the receiver did not get everything");
    const double secs = seconds_since(start);
    clients.clear();
    (void)server->stop_server();
    return secs;
}

/// Echo round trips over WebSocket, in microseconds (after 100 warm-up ones).
std::vector<double> ws_rtt(const options& o) {
    std::vector<double> samples;
    std::atomic<std::uint64_t> echoed{0};
    auto server = std::make_shared<core::messaging_ws_server>("rtt");
    server->set_message_callback([](std::shared_ptr<core::ws_connection> c, const internal::ws_message& m) {
        (void)c->send_binary(std::vector<uint8_t>(m.data));
    });
    if (server->start_server(ws_config()).is_err()) fail("ws rtt server");
    core::messaging_ws_client client("rtt");
    client.set_binary_callback([&](const std::vector<uint8_t>& d) { echoed.fetch_add(d.size(), std::memory_order_release); });
    if (client.start_client("127.0.0.1", server->port()).is_err()) fail("ws rtt client");
    const std::vector<uint8_t> msg(o.size, 7);
    for (std::size_t i = 0; i < o.count + 100; ++i) {
        const auto expected = echoed.load() + o.size;
        const auto t = clock_type::now();
        if (client.send_binary(std::vector<uint8_t>(msg)).is_err()) fail("ws rtt send failed");
        if (!wait_until([&] { return echoed.load(std::memory_order_acquire) >= expected; }, 10)) fail("ws rtt: echo lost");
        if (i >= 100) samples.push_back(seconds_since(t) * 1e6);
    }
    (void)client.stop_client();
    (void)server->stop_server();
    return samples;
}

/// Runs a baseline program `cmd`; returns the numbers it prints after `tag`.
std::vector<double> baseline_program(const std::string& cmd, const std::string& tag) {
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) fail("cannot run " + cmd);
    std::string out;
    char buf[65536];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, p)) out.append(buf, n);
    if (::pclose(p) != 0 || out.rfind(tag + " ", 0) != 0) fail("baseline failed (" + cmd + "): " + out.substr(0, 200));
    std::istringstream in(out.substr(tag.size()));
    std::vector<double> values;
    for (double v; in >> v;) values.push_back(v);
    if (values.empty()) fail("baseline printed nothing (" + cmd + ")");
    return values;
}

/// Runs benches/loadtest/ws_baseline.py with `args`; returns the numbers after its `tag`.
std::vector<double> python_baseline(const options& o, const std::string& args, const std::string& tag) {
    return baseline_program(o.python + " " + NS_LOADTEST_DIR "/ws_baseline.py " + args, tag);
}

double python_stream(const options& o) {
    const auto v = python_baseline(o, "throughput " + std::to_string(o.size) + " " + std::to_string(o.count) + " " +
                                          std::to_string(o.connections), "seconds");
    return v[0];
}

/// One-way datagram streams, o.runs times each, ours and (when `base` is given) the baseline
/// alternately: the median rate received and the datagrams lost over all runs.
template <typename Ours, typename Base>
std::vector<metric> datagram_rows(const options& o, const std::string& name, Ours ours_stream, Base base_stream) {
    std::vector<double> ours, base;
    std::uint64_t lost = 0, base_lost = 0;
    for (int r = 0; r < o.runs; ++r) {
        auto [secs, got] = ours_stream();
        ours.push_back(static_cast<double>(got) / secs);
        lost += o.count - std::min<std::uint64_t>(got, o.count);
        if (base_stream) {
            auto [bsecs, bgot] = base_stream();
            base.push_back(static_cast<double>(bgot) / bsecs);
            base_lost += o.count - std::min<std::uint64_t>(bgot, o.count);
        }
    }
    const bool b = !base.empty();
    return {{name, "dgram/s", median(ours), b ? median(base) : -1},
            {"datagrams lost (all runs)", "dgram", static_cast<double>(lost), b ? static_cast<double>(base_lost) : -1, false}};
}

using stream_fn = std::function<std::pair<double, std::uint64_t>()>;

std::vector<metric> throughput(const options& o) {
    std::vector<metric> out;
    if (o.transport == "udp")
        return datagram_rows(o, "datagrams/s received", [&] { return ours_udp_stream(o); },
                             o.baseline ? stream_fn([&] { return posix_udp_stream(o); }) : stream_fn());
    std::vector<double> ours, base;
    for (int r = 0; r < o.runs; ++r) {
        const bool ws = o.transport == "ws";
        ours.push_back(ws ? ws_stream(o) : ours_stream(o));
        if (o.baseline) base.push_back(ws ? python_stream(o) : posix_stream(o));
    }
    const double n = static_cast<double>(o.count / o.connections * o.connections);
    const double mb = n * static_cast<double>(o.size) / 1e6;
    out.push_back({"messages/s", "msg/s", n / median(ours), o.baseline ? n / median(base) : -1});
    out.push_back({"payload MB/s", "MB/s", mb / median(ours), o.baseline ? mb / median(base) : -1});
    return out;
}

// ---- echo: many connections, each a closed-loop echo (like uWebSockets' load_test) ----------

/// One echo run, in the order of the rows reported: messages/s, round trip p50, p90, p99, p99.9
/// and max (µs), the process's CPU time per message (µs).
using echo_result = std::array<double, 7>;
const char* const echo_rows[] = {"messages/s", "round trip p50", "round trip p90", "round trip p99", "round trip p99.9",
                                 "round trip max", "CPU time per message"};

double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// The closed loop every transport shares: connection i sends its next message through
/// `send(i)`; the transport's receive callback reports the bytes that came back with
/// `arrived(i, n)` (never concurrently for one connection).
struct echo_loop {
    struct conn {
        std::size_t got = 0;
        clock_type::time_point sent_at;
        std::vector<float> latencies;
    };
    const options& o;
    std::function<VoidResult(std::size_t)> send;
    std::vector<conn> conns = std::vector<conn>(o.connections);
    std::atomic<bool> measuring{false}, running{true};

    void arrived(std::size_t i, std::size_t n) {
        conn& c = conns[i];
        c.got += n;
        if (c.got < o.size) return;
        c.got -= o.size;
        const auto now = clock_type::now();
        if (measuring.load(std::memory_order_relaxed))
            c.latencies.push_back(std::chrono::duration<float, std::micro>(now - c.sent_at).count());
        if (!running.load(std::memory_order_relaxed)) return;
        c.sent_at = now;
        (void)send(i);
    }
    /// Starts every loop; 0.5 s warm-up, then o.seconds measured; stops sending after it.
    echo_result run() {
        for (std::size_t i = 0; i < conns.size(); ++i) {
            conns[i].sent_at = clock_type::now();
            if (auto r = send(i); r.is_err()) fail("echo send: " + r.error().message);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        const double cpu0 = cpu_seconds();
        const auto t0 = clock_type::now();
        measuring = true;
        std::this_thread::sleep_for(std::chrono::duration<double>(static_cast<double>(o.seconds)));
        measuring = false;
        const double seconds = seconds_since(t0), cpu = cpu_seconds() - cpu0;
        running = false;
        std::vector<double> all;
        for (auto& c : conns) all.insert(all.end(), c.latencies.begin(), c.latencies.end());
        if (all.empty()) fail("echo: no message completed in the measured window");
        std::sort(all.begin(), all.end());
        const double n = static_cast<double>(all.size());
        return {n / seconds,           percentile(all, 0.5),   percentile(all, 0.9), percentile(all, 0.99),
                percentile(all, 0.999), all.back(), cpu * 1e6 / n};
    }
};

/// Ours over TCP: a raw echo server (`send_packet` of each received vector, as existing code
/// writes it) and o.connections clients in this process sending with `send_packet`.
echo_result ours_tcp_echo(const options& o) {
    options raw = o;
    raw.framed = false;
    auto server = make_server(raw);
    server->set_receive_callback([](std::shared_ptr<session::messaging_session> s, const std::vector<uint8_t>& d) {
        (void)s->send_packet(std::vector<uint8_t>(d));
    });
    if (auto r = server->start_server(0); r.is_err()) fail("server: " + r.error().message);
    std::vector<std::shared_ptr<core::messaging_client>> clients;
    echo_loop loop{o, [&](std::size_t i) { return clients[i]->send_packet(std::vector<uint8_t>(o.size, 0x5a)); }};
    for (std::size_t i = 0; i < o.connections; ++i) {
        clients.push_back(make_client(raw));
        connect(raw, *clients.back(), server->port());
        clients.back()->set_receive_callback([&loop, i](const std::vector<uint8_t>& d) { loop.arrived(i, d.size()); });
    }
    echo_result r = loop.run();
    for (auto& c : clients) (void)c->stop_client();
    (void)server->stop_server();
    return r;
}

/// Ours over WebSocket: binary messages, `send_binary` each way.
echo_result ours_ws_echo(const options& o) {
    auto server = std::make_shared<core::messaging_ws_server>("echo");
    server->set_message_callback([](std::shared_ptr<core::ws_connection> c, const internal::ws_message& m) {
        (void)c->send_binary(std::vector<uint8_t>(m.data));
    });
    if (auto r = server->start_server(ws_config()); r.is_err()) fail("ws server: " + r.error().message);
    std::vector<std::unique_ptr<core::messaging_ws_client>> clients;
    echo_loop loop{o, [&](std::size_t i) { return clients[i]->send_binary(std::vector<uint8_t>(o.size, 0x5a)); }};
    for (std::size_t i = 0; i < o.connections; ++i) {
        clients.push_back(std::make_unique<core::messaging_ws_client>("echo"));
        clients.back()->set_binary_callback([&loop, i](const std::vector<uint8_t>& d) { loop.arrived(i, d.size()); });
        if (auto r = clients.back()->start_client("127.0.0.1", server->port()); r.is_err()) fail("ws connect: " + r.error().message);
    }
    echo_result r = loop.run();
    for (auto& c : clients) (void)c->stop_client();
    (void)server->stop_server();
    return r;
}

/// The same workload on Boost.Asio / Boost.Beast (benches/loadtest/asio_echo.cpp, run by --asio PATH).
echo_result asio_echo(const options& o) {
    const auto v = baseline_program(o.asio + " " + o.transport + " " + std::to_string(o.connections) + " " + std::to_string(o.size) + " " +
                                        std::to_string(o.seconds),
                                    "echo");
    if (v.size() < 8 || v[1] <= 0) fail("asio_echo printed too little");
    // It prints: messages seconds p50 p99 p99.9 cpu-per-message p90 max.
    return {v[0] / v[1], v[2], v[6], v[3], v[4], v[7], v[5]};
}

std::vector<metric> echo_workload(const options& o) {
    if (o.transport != "tcp" && o.transport != "ws") fail("echo: tcp or ws");
    if (fd_limit() < 2 * o.connections + 64)
        fail("echo: " + std::to_string(o.connections) + " connections need " + std::to_string(2 * o.connections + 64) +
             " open files per process; the limit is " + std::to_string(fd_limit()));
    std::array<std::vector<double>, 7> ours, base;
    for (int i = 0; i < o.runs; ++i) {
        const echo_result r = o.transport == "ws" ? ours_ws_echo(o) : ours_tcp_echo(o);
        for (std::size_t k = 0; k < r.size(); ++k) ours[k].push_back(r[k]);
        if (o.baseline && !o.asio.empty()) {
            const echo_result b = asio_echo(o);
            for (std::size_t k = 0; k < b.size(); ++k) base[k].push_back(b[k]);
        }
    }
    std::vector<metric> out;
    for (std::size_t k = 0; k < ours.size(); ++k)
        out.push_back({echo_rows[k], k == 0 ? "msg/s" : "us", median(ours[k]), base[k].empty() ? -1 : median(base[k]), k == 0});
    return out;
}

// ---- rtt --------------------------------------------------------------------------------------

std::vector<double> ours_rtt(const options& o) {
    std::vector<double> samples;
    std::atomic<std::uint64_t> echoed{0};
    const std::vector<uint8_t> msg(o.size, 7);
    auto measure = [&](const std::function<bool()>& send) {
        for (std::size_t i = 0; i < o.count + 100; ++i) {
            const auto expected = echoed.load() + o.size;
            const auto t = clock_type::now();
            if (!send()) fail("rtt send failed");
            if (!wait_until([&] { return echoed.load(std::memory_order_acquire) >= expected; }, 10)) fail("rtt: echo lost");
            if (i >= 100) samples.push_back(seconds_since(t) * 1e6);
        }
    };
    if (o.transport == "dtls") {
        dtls_pair p(o, nullptr);
        p.client->set_receive_callback([&](const std::vector<uint8_t>& d) { echoed.fetch_add(d.size(), std::memory_order_release); });
        p.connect();
        measure([&] { return p.client->send_packet(std::vector<uint8_t>(msg)).is_ok(); });
        return samples;
    }
    if (o.transport == "udp") {
        core::udp_options so;
        so.bind_address = "127.0.0.1";
        auto server = std::make_shared<core::messaging_udp_server>("rtt", so);
        core::messaging_udp_server* raw = server.get();
        server->set_receive_callback([raw](const std::vector<uint8_t>& d, const interfaces::i_udp_client::endpoint_info& from) {
            (void)raw->send_to(from, std::vector<uint8_t>(d));
        });
        if (server->start_server(0).is_err()) fail("udp rtt server");
        core::messaging_udp_client client("rtt");
        client.set_receive_callback([&](const std::vector<uint8_t>& d, const interfaces::i_udp_client::endpoint_info&) {
            echoed.fetch_add(d.size(), std::memory_order_release);
        });
        if (client.start_client("127.0.0.1", server->port()).is_err()) fail("udp rtt client");
        measure([&] { return client.send(std::vector<uint8_t>(msg)).is_ok(); });
        return samples;
    }
    options raw_opts = o;
    raw_opts.framed = false;
    auto server = make_server(raw_opts);
    server->set_receive_callback([](std::shared_ptr<session::messaging_session> s, const std::vector<uint8_t>& d) {
        s->send_packet(std::vector<uint8_t>(d));
    });
    if (server->start_server(0).is_err()) fail("rtt server");
    auto client = make_client(raw_opts);
    client->set_receive_callback([&](const std::vector<uint8_t>& d) { echoed.fetch_add(d.size(), std::memory_order_release); });
    connect(raw_opts, *client, server->port());
    measure([&] { return client->send_packet(std::vector<uint8_t>(msg)).is_ok(); });
    client->stop_client();
    server->stop_server();
    return samples;
}

std::vector<double> posix_rtt(const options& o) {
    std::vector<double> samples;
    const bool udp = o.transport == "udp";
    unsigned short port = 0;
    int listener = -1;
    std::thread echo;
    if (udp) {
        listener = ::socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
        echo = std::thread([&, n = o.count + 100] {
            char buf[65536];
            for (std::size_t i = 0; i < n; ++i) {
                sockaddr_in from{};
                socklen_t fl = sizeof from;
                ssize_t r = ::recvfrom(listener, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
                if (r <= 0) break;
                ::sendto(listener, buf, static_cast<std::size_t>(r), 0, reinterpret_cast<sockaddr*>(&from), fl);
            }
        });
    } else {
        listener = posix_listen(port);
        echo = std::thread([&] {
            int fd = ::accept(listener, nullptr, nullptr);
            int one = 1;
            ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            std::vector<char> buf(65536);
            ssize_t n;
            while ((n = ::read(fd, buf.data(), buf.size())) > 0) write_all(fd, buf.data(), static_cast<std::size_t>(n));
            ::close(fd);
        });
    }
    int fd = posix_connect(port, udp ? SOCK_DGRAM : SOCK_STREAM);
    std::vector<char> msg(o.size, 7), back(o.size);
    for (std::size_t i = 0; i < o.count + 100; ++i) {
        const auto t = clock_type::now();
        if (udp) {
            ::send(fd, msg.data(), msg.size(), 0);
            ::recv(fd, back.data(), back.size(), 0);
        } else if (!write_all(fd, msg.data(), msg.size()) || !read_exact(fd, back.data(), back.size())) {
            fail("baseline rtt");
        }
        if (i >= 100) samples.push_back(seconds_since(t) * 1e6);
    }
    ::close(fd);
    echo.join();
    ::close(listener);
    return samples;
}

/// DTLS beside our plain UDP (same API shape, same run): one-way datagrams/s with losses, or
/// the echo round trip.
std::vector<metric> dtls_workload(const options& o) {
    options udp = o;
    udp.transport = "udp";
    std::vector<metric> out;
    if (o.workload == "throughput")
        return datagram_rows(o, "datagrams/s received (vs our UDP)", [&] { return dtls_stream(o); },
                             stream_fn([&] { return ours_udp_stream(udp); }));
    if (o.workload != "rtt") fail("dtls: throughput or rtt");
    auto ours = ours_rtt(o);
    auto base = ours_rtt(udp);
    std::sort(ours.begin(), ours.end());
    std::sort(base.begin(), base.end());
    for (auto [name, p] : std::vector<std::pair<std::string, double>>{{"p50", 0.50}, {"p99", 0.99}, {"p99.9", 0.999}})
        out.push_back({"round trip " + name + " (vs our UDP)", "us", percentile(ours, p), percentile(base, p), false});
    return out;
}

std::vector<metric> rtt(const options& o) {
    const bool ws = o.transport == "ws";
    auto ours = ws ? ws_rtt(o) : ours_rtt(o);
    std::vector<double> base;
    if (o.baseline)
        base = ws ? python_baseline(o, "rtt " + std::to_string(o.size) + " " + std::to_string(o.count), "samples") : posix_rtt(o);
    std::sort(ours.begin(), ours.end());
    std::sort(base.begin(), base.end());
    std::vector<metric> out;
    for (auto [name, p] : std::vector<std::pair<std::string, double>>{{"p50", 0.50}, {"p95", 0.95}, {"p99", 0.99}, {"p99.9", 0.999}, {"max", 1.0}})
        out.push_back({"round trip " + name, "us", percentile(ours, p), o.baseline ? percentile(base, p) : -1, false});
    return out;
}

// ---- connections: idle connections held by a server in a child process ------------------

long rss_kb(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
    return -1;
}

/// Forks a server child (ours or POSIX) holding connections; returns per-connection RSS in bytes.
double idle_connections(const options& o, bool baseline) {
    int to_child[2], from_child[2];
    if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) fail("pipe");
    pid_t pid = ::fork();
    if (pid < 0) fail("fork");
    if (pid == 0) {
        ::close(to_child[1]);
        ::close(from_child[0]);
        unsigned short port = 0;
        std::atomic<std::size_t> held{0};
        std::shared_ptr<core::messaging_server> server;
        std::vector<int> fds;
        std::thread acceptor;
        int listener = -1;
        if (baseline) {
            listener = posix_listen(port);
            acceptor = std::thread([&] {
                for (;;) {
                    int fd = ::accept(listener, nullptr, nullptr);
                    if (fd < 0) break;
                    fds.push_back(fd);
                    held.fetch_add(1);
                }
            });
        } else {
            server = std::make_shared<core::messaging_server>("idle", tcp_server_options(o));
            if (server->start_server(0).is_err()) std::_Exit(2);
            port = server->port();
        }
        std::string reply = std::to_string(port) + "\n";
        write_all(from_child[1], reply.data(), reply.size());
        char cmd;
        while (::read(to_child[0], &cmd, 1) == 1) {
            const std::size_t n = baseline ? held.load() : server->connection_count();
            reply = std::to_string(n) + "\n";
            write_all(from_child[1], reply.data(), reply.size());
        }
        std::_Exit(0);  // skip destructors: the parent has what it needs
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    auto ask = [&](char c) {
        if (::write(to_child[1], &c, 1) != 1) fail("child gone");
        std::string line;
        char ch;
        while (::read(from_child[0], &ch, 1) == 1 && ch != '\n') line += ch;
        return std::stoul(line);
    };
    std::string first;
    char ch;
    while (::read(from_child[0], &ch, 1) == 1 && ch != '\n') first += ch;
    const unsigned short port = static_cast<unsigned short>(std::stoul(first));
    // Warm up (runtime threads, first allocations), then measure from there.
    std::vector<int> fds;
    for (int i = 0; i < 16; ++i) fds.push_back(posix_connect(port));
    wait_until([&] { return ask('?') >= 16; }, 20);
    const long before = rss_kb(pid);
    for (std::size_t i = 16; i < o.count + 16; ++i) fds.push_back(posix_connect(port));
    if (!wait_until([&] { return ask('?') >= o.count + 16; }, 60)) fail("not every connection was accepted");
    const long after = rss_kb(pid);
    for (int fd : fds) ::close(fd);
    ::close(to_child[1]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    return static_cast<double>(after - before) * 1024.0 / static_cast<double>(o.count);
}

std::vector<metric> connections(const options& o) {
    if (o.transport != "tcp") fail("connections: tcp only");
    std::vector<double> ours, base;
    for (int r = 0; r < o.runs; ++r) {
        ours.push_back(idle_connections(o, false));
        if (o.baseline) base.push_back(idle_connections(o, true));
    }
    return {{"server RSS per idle connection", "bytes", median(ours), o.baseline ? median(base) : -1, false},
            {"idle connections accepted", "conn", static_cast<double>(o.count), o.baseline ? static_cast<double>(o.count) : -1}};
}

// ---- connect: establishment rate and latency to the first echo -----------------------------

/// `threads` threads each run `per_thread` cycles against `port`: a new client connects, sends
/// one message, waits for its echo and stops. Latencies to the first echo in µs; cycles/s in
/// `rate`.
std::vector<double> connect_cycles(const options& o, unsigned short port, std::size_t threads, std::size_t per_thread,
                                   double& rate) {
    std::vector<std::vector<double>> per(threads);
    const auto start = clock_type::now();
    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            for (std::size_t i = 0; i < per_thread; ++i) {
                const auto t0 = clock_type::now();
                auto c = make_client(o);
                latch got;
                std::atomic<int> last_error{0};
                c->set_receive_callback([&](const std::vector<uint8_t>& d) { got.add(d.size()); });
                c->set_error_callback([&](std::error_code ec) { last_error = ec.value(); });
                connect(o, *c, port);
                if (c->send_packet(std::vector<uint8_t>(o.size, 1)).is_err()) fail("connect: send");
                if (!got.wait_at_least(o.size, 10)) {
                    // What the client saw, to tell a message never written from an echo never read.
                    const auto st = c->stats();
                    fail("connect: no echo in 10 s (cycle " + std::to_string(i) + " of thread " + std::to_string(t) +
                         "; connected " + std::to_string(c->is_connected()) + ", bytes out " +
                         std::to_string(st.bytes_out) + " in " + std::to_string(st.bytes_in) + ", writes " +
                         std::to_string(st.writes) + ", queued " + std::to_string(st.queued_bytes) + ", last error " +
                         std::to_string(last_error.load()) + ")");
                }
                per[t].push_back(seconds_since(t0) * 1e6);
                c->stop_client();
            }
        });
    }
    for (auto& w : workers) w.join();
    rate = static_cast<double>(per_thread * threads) / seconds_since(start);
    std::vector<double> all;
    for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
    return all;
}

std::vector<double> ours_connect(const options& o, double& rate) {
    auto server = make_server(o);
    server->set_receive_callback([](std::shared_ptr<session::messaging_session> s, const std::vector<uint8_t>& d) {
        s->send_packet(std::vector<uint8_t>(d));
    });
    if (server->start_server(0).is_err()) fail("connect server");
    auto all = connect_cycles(o, server->port(), o.connections, o.count / o.connections, rate);
    server->stop_server();
    return all;
}

std::vector<double> posix_connect_latency(const options& o, double& rate) {
    unsigned short port = 0;
    int listener = posix_listen(port);
    std::atomic<bool> stop{false};
    std::thread acceptor([&] {
        for (;;) {
            int fd = ::accept(listener, nullptr, nullptr);
            if (fd < 0 || stop) {
                if (fd >= 0) ::close(fd);
                break;
            }
            std::thread([fd] {
                char buf[65536];
                ssize_t n;
                while ((n = ::read(fd, buf, sizeof buf)) > 0) write_all(fd, buf, static_cast<std::size_t>(n));
                ::close(fd);
            }).detach();
        }
    });
    std::vector<std::vector<double>> per_thread(o.connections);
    const std::size_t per = o.count / o.connections;
    const auto start = clock_type::now();
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < o.connections; ++t) {
        threads.emplace_back([&, t] {
            std::vector<char> msg(o.size, 1), back(o.size);
            for (std::size_t i = 0; i < per; ++i) {
                const auto t0 = clock_type::now();
                int fd = posix_connect(port);
                if (!write_all(fd, msg.data(), msg.size()) || !read_exact(fd, back.data(), back.size())) fail("baseline connect echo");
                per_thread[t].push_back(seconds_since(t0) * 1e6);
                ::close(fd);
            }
        });
    }
    for (auto& th : threads) th.join();
    rate = static_cast<double>(per * o.connections) / seconds_since(start);
    stop = true;
    ::close(posix_connect(port));
    acceptor.join();
    ::close(listener);
    std::vector<double> all;
    for (auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
    return all;
}

std::vector<metric> connect_workload(const options& o) {
    if (o.transport == "udp") fail("connect: tcp or tls");
    double rate = 0, base_rate = -1;
    auto ours = ours_connect(o, rate);
    std::vector<double> base;
    if (o.baseline) base = posix_connect_latency(o, base_rate);
    std::sort(ours.begin(), ours.end());
    std::sort(base.begin(), base.end());
    return {{"connections/s (to first echo)", "conn/s", rate, base_rate},
            {"connect to first echo p50", "us", percentile(ours, 0.5), o.baseline ? percentile(base, 0.5) : -1, false},
            {"connect to first echo p99", "us", percentile(ours, 0.99), o.baseline ? percentile(base, 0.99) : -1, false}};
}

// ---- QUIC: ours through the C++ API beside the quinn program and our TLS over TCP ------------

/// Both sides get quinn's default windows (1.25 MB per stream, unlimited per connection) and no
/// Retry, like the quinn program, so the comparison is like for like.
core::quic_server_config quic_server_settings(const options& o) {
    core::quic_server_config c;
    c.cert_file = o.certs + "/server.pem";
    c.key_file = o.certs + "/server.key";
    c.bind_address = "127.0.0.1";
    c.initial_max_data = (1ull << 62) - 1;
    c.initial_max_stream_data = 1250000;
    c.enable_retry = false;
    c.max_connections = 100000;
    return c;
}

/// The client's sends wait for room in a full queue (send_wait_ms) rather than failing with
/// -643 to be retried: the sender sleeps until the queue is half empty, as the quinn program's
/// writer awaits flow control.
core::quic_client_config quic_client_settings(const options& o) {
    core::quic_client_config c;
    c.ca_cert_file = o.certs + "/ca.pem";
    c.initial_max_data = (1ull << 62) - 1;
    c.initial_max_stream_data = 1250000;
    c.send_wait_ms = 10000;
    return c;
}

using quic_session_ptr = std::shared_ptr<session::quic_session>;

/// A QUIC echo (or sink) server and a connected client.
struct quic_pair {
    std::shared_ptr<core::messaging_quic_server> server = std::make_shared<core::messaging_quic_server>("loadtest");
    std::unique_ptr<core::messaging_quic_client> client;
    std::atomic<std::uint64_t> received{0}, echoed{0};
    std::uint64_t goal = ~0ull;  // set before sending: `done` is told when it is reached
    latch done;

    void count(std::size_t n) {
        if (received.fetch_add(n, std::memory_order_acq_rel) + n >= goal) done.add(1);
    }

    quic_pair(const options& o, bool echo) {
        server->set_receive_callback([this, echo](quic_session_ptr s, const std::vector<uint8_t>& m) {
            count(m.size());
            if (echo) (void)s->send(std::vector<uint8_t>(m));
        });
        server->set_stream_receive_callback([this](quic_session_ptr, uint64_t, const std::vector<uint8_t>& d, bool) {
            count(d.size());
        });
        if (auto r = server->start_server(0, quic_server_settings(o)); r.is_err()) fail("quic server: " + r.error().message);
        client = std::make_unique<core::messaging_quic_client>("loadtest");
        client->set_receive_callback([this](const std::vector<uint8_t>& m) { echoed.fetch_add(m.size(), std::memory_order_release); });
        if (auto r = client->start_client("127.0.0.1", server->port(), quic_client_settings(o)); r.is_err())
            fail("quic client: " + r.error().message);
    }
    ~quic_pair() {
        (void)client->stop_client();
        (void)server->stop_server();
    }
};

/// Retries a send refused by backpressure (-643) until the queue drained.
void quic_send(const std::function<VoidResult()>& send) {
    for (;;) {
        VoidResult r = send();
        if (r.is_ok()) return;
        if (r.error().code != error_codes::network_system::send_queue_full) fail("quic send: " + r.error().message);
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
}

/// Seconds until the server received count messages of size bytes: one send_packet per
/// message (streams == 1), or send_on_stream round-robin over `streams` streams.
double quic_stream(const options& o) {
    quic_pair q(o, false);
    const std::size_t streams = o.connections, per = o.count / streams;
    q.goal = static_cast<std::uint64_t>(per * streams * o.size);
    std::vector<uint64_t> ids;
    for (std::size_t i = 0; streams > 1 && i < streams; ++i) {
        auto id = q.client->create_stream();
        if (id.is_err()) fail("create_stream: " + id.error().message);
        ids.push_back(id.value());
    }
    const std::vector<uint8_t> msg(o.size, 0x5a);
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < per; ++i) {
        if (streams == 1) {
            quic_send([&] { return q.client->send_packet(std::vector<uint8_t>(msg)); });
            continue;
        }
        for (uint64_t id : ids) quic_send([&] { return q.client->send_on_stream(id, std::vector<uint8_t>(msg), i + 1 == per); });
    }
    // Blocks (no spinning: the receiver needs both cores).
    if (!q.done.wait_at_least(1, 120)) fail("quic throughput stalled");
    return seconds_since(start);
}

std::vector<double> quic_rtt(const options& o) {
    quic_pair q(o, true);
    std::vector<double> samples;
    const std::vector<uint8_t> msg(o.size, 7);
    for (std::size_t i = 0; i < o.count + 100; ++i) {
        const auto expected = q.echoed.load() + o.size;
        const auto t = clock_type::now();
        if (q.client->send_packet(std::vector<uint8_t>(msg)).is_err()) fail("quic rtt send");
        if (!wait_until([&] { return q.echoed.load(std::memory_order_acquire) >= expected; }, 10)) fail("quic rtt: echo lost");
        if (i >= 100) samples.push_back(seconds_since(t) * 1e6);
    }
    return samples;
}

/// Connections one after the other: handshake, one byte echoed, graceful close; per second.
double quic_handshakes(const options& o) {
    auto server = std::make_shared<core::messaging_quic_server>("loadtest");
    server->set_receive_callback([](quic_session_ptr s, const std::vector<uint8_t>& m) { (void)s->send(std::vector<uint8_t>(m)); });
    if (auto r = server->start_server(0, quic_server_settings(o)); r.is_err()) fail("quic server: " + r.error().message);
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < o.count; ++i) {
        latch echoed;
        core::messaging_quic_client c("loadtest");
        c.set_receive_callback([&](const std::vector<uint8_t>&) { echoed.add(1); });
        if (auto r = c.start_client("127.0.0.1", server->port(), quic_client_settings(o)); r.is_err())
            fail("quic connect: " + r.error().message);
        if (c.send_packet(std::string_view("x")).is_err() || !echoed.wait_at_least(1)) fail("quic connect echo");
        (void)c.stop_client();
    }
    const double rate = static_cast<double>(o.count) / seconds_since(start);
    (void)server->stop_server();
    return rate;
}

/// Runs the quinn program (--quinn) with `args`; returns the numbers after its `tag`.
std::vector<double> quinn_baseline(const options& o, const std::string& args, const std::string& tag) {
    if (o.quinn.empty()) fail("--transport quic --baseline needs --quinn PATH (examples/quic_baseline)");
    return baseline_program(o.quinn + " " + args + " " + o.certs, tag);
}

/// Our TLS over TCP on the same workload (framed, one connection), for the third column.
options tls_of(const options& o) {
    options t = o;
    t.transport = "tls";
    t.framed = true;
    t.connections = 1;
    return t;
}

std::vector<metric> quic_workload(const options& o) {
    std::vector<metric> out;
    if (o.workload == "throughput") {
        std::vector<double> ours, base, tls;
        for (int r = 0; r < o.runs; ++r) {
            ours.push_back(quic_stream(o));
            if (o.baseline) {
                base.push_back(quinn_baseline(o, "throughput " + std::to_string(o.size) + " " + std::to_string(o.count) + " " +
                                                     std::to_string(o.connections), "seconds")[0]);
                tls.push_back(ours_stream(tls_of(o)));
            }
        }
        const double n = static_cast<double>(o.count / o.connections * o.connections);
        const double mb = n * static_cast<double>(o.size) / 1e6;
        out.push_back({"QUIC messages/s (vs quinn)", "msg/s", n / median(ours), o.baseline ? n / median(base) : -1});
        out.push_back({"QUIC payload MB/s (vs quinn)", "MB/s", mb / median(ours), o.baseline ? mb / median(base) : -1});
        if (o.baseline)
            out.push_back({"our TLS/TCP MB/s, 1 conn (vs quinn)", "MB/s", static_cast<double>(o.count) * static_cast<double>(o.size) / 1e6 / median(tls),
                           mb / median(base)});
        return out;
    }
    if (o.workload == "rtt") {
        auto ours = quic_rtt(o);
        std::vector<double> base, tls;
        if (o.baseline) {
            base = quinn_baseline(o, "rtt " + std::to_string(o.size) + " " + std::to_string(o.count), "samples");
            tls = ours_rtt(tls_of(o));
        }
        for (auto* v : {&ours, &base, &tls}) std::sort(v->begin(), v->end());
        for (auto [name, p] : std::vector<std::pair<std::string, double>>{{"p50", 0.50}, {"p99", 0.99}, {"p99.9", 0.999}})
            out.push_back({"QUIC round trip " + name + " (vs quinn)", "us", percentile(ours, p), o.baseline ? percentile(base, p) : -1, false});
        if (o.baseline)
            out.push_back({"our TLS/TCP round trip p50 (vs quinn)", "us", percentile(tls, 0.5), percentile(base, 0.5), false});
        return out;
    }
    if (o.workload != "connect") fail("quic: throughput, rtt or connect");
    std::vector<double> ours, base;
    for (int r = 0; r < o.runs; ++r) {
        ours.push_back(quic_handshakes(o));
        if (o.baseline) base.push_back(static_cast<double>(o.count) / quinn_baseline(o, "handshakes " + std::to_string(o.count), "seconds")[0]);
    }
    out.push_back({"QUIC handshakes/s to first echo", "conn/s", median(ours), o.baseline ? median(base) : -1});
    if (o.baseline) {
        options t = tls_of(o);
        double rate = 0;
        (void)ours_connect(t, rate);
        out.push_back({"our TLS/TCP connections/s (vs quinn)", "conn/s", rate, median(base)});
    }
    return out;
}

// ---- soak: many connections echoing, then connect churn; fds and heap come back ------------

/// Entries of a /proc directory other than "." and "..": /proc/self/fd, /proc/self/task.
std::size_t proc_entries(const char* dir) {
    std::size_t n = 0;
    if (DIR* d = ::opendir(dir)) {
        while (const dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
        ::closedir(d);
    }
    return n;
}

std::size_t open_fds() { return proc_entries("/proc/self/fd"); }

/// What a process holds: open fds, RSS (after `malloc_trim`: not what glibc merely caches) and
/// heap in use (bytes allocated and not freed, all arenas: what a leak grows, whatever the
/// allocator's fragmentation does to RSS).
struct footprint_t {
    double fds = 0, rss_mb = 0, heap_mb = 0, threads = 0;
};

footprint_t footprint() {
    ::malloc_trim(0);
    const struct mallinfo2 mi = ::mallinfo2();
    return {static_cast<double>(open_fds()), static_cast<double>(rss_kb(::getpid())) / 1024.0,
            static_cast<double>(mi.uordblks + mi.hblkhd) / 1048576.0, static_cast<double>(proc_entries("/proc/self/task"))};
}

/// What the server process reports once every session that opened has ended.
struct server_report {
    footprint_t held;
    std::size_t too_large = 0, queue_full = 0, rejected = 0;  // -642 errors; -643 sends; refused connections
};

/// An echo server (our library, `o`'s transport and framing) in a child process: its own fd table,
/// RSS and runtime, apart from the load tool's clients (both ends of 10 000 connections would
/// not fit one process's open-file limit). Forked before this process uses the library.
class server_process {
public:
    explicit server_process(const options& o) {
        int to_child[2], from_child[2];
        if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) fail("pipe");
        pid_ = ::fork();
        if (pid_ < 0) fail("fork");
        if (pid_ == 0) {
            ::close(to_child[1]);
            ::close(from_child[0]);
            serve(o, to_child[0], from_child[1]);
        }
        ::close(to_child[0]);
        ::close(from_child[1]);
        commands_ = to_child[1];
        replies_ = from_child[0];
        port_ = static_cast<unsigned short>(std::stoul(line()));
    }
    server_process(const server_process&) = delete;
    server_process& operator=(const server_process&) = delete;
    ~server_process() { stop(); }

    unsigned short port() const { return port_; }

    /// Waits (up to 60 s) until every session that opened has ended, then reports. A connection
    /// the server refused (max_connections) fails the run: no workload here expects one.
    server_report report() {
        const char m = 'm';
        if (::write(commands_, &m, 1) != 1) fail("the server process is gone");
        std::istringstream in(line());
        server_report r;
        in >> r.held.fds >> r.held.rss_mb >> r.held.heap_mb >> r.held.threads >> r.too_large >> r.queue_full >>
            r.rejected;
        if (r.rejected > 0)
            fail("the server refused " + std::to_string(r.rejected) + " connections (max_connections reached)");
        return r;
    }

    /// The server stops and its process exits.
    void stop() {
        if (pid_ <= 0) return;
        ::close(commands_);
        ::close(replies_);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }

private:
    std::string line() {
        std::string l;
        char ch;
        while (::read(replies_, &ch, 1) == 1 && ch != '\n') l += ch;
        if (l.empty()) fail("the server process is gone");
        return l;
    }

    [[noreturn]] static void serve(const options& o, int commands, int replies) {
        auto server = make_server(o);
        latch gone;
        std::atomic<std::size_t> opened{0}, too_large{0}, queue_full{0};
        server->set_connection_callback([&](std::shared_ptr<session::messaging_session>) { ++opened; });
        server->set_disconnection_callback([&](const std::string&) { gone.add(1); });
        server->set_error_callback([&](std::shared_ptr<session::messaging_session>, std::error_code ec) {
            if (ec.value() == error_codes::network_system::message_too_large) ++too_large;
        });
        server->set_receive_callback([&](std::shared_ptr<session::messaging_session> s, const std::vector<uint8_t>& d) {
            VoidResult r = s->send(std::vector<uint8_t>(d));
            if (r.is_err() && r.error().code == error_codes::network_system::send_queue_full) ++queue_full;
        });
        if (server->start_server(0).is_err()) std::_Exit(2);
        std::string reply = std::to_string(server->port()) + "\n";
        write_all(replies, reply.data(), reply.size());
        char cmd;
        while (::read(commands, &cmd, 1) == 1) {
            if (!gone.wait_at_least(opened.load(), 60)) std::_Exit(3);
            const auto f = footprint();
            reply = std::to_string(f.fds) + " " + std::to_string(f.rss_mb) + " " + std::to_string(f.heap_mb) + " " +
                    std::to_string(f.threads) + " " + std::to_string(too_large.load()) + " " + std::to_string(queue_full.load()) + " " +
                    std::to_string(server->stats().connections_rejected) + "\n";
            write_all(replies, reply.data(), reply.size());
        }
        server->stop_server();
        std::_Exit(0);
    }

    pid_t pid_ = -1;
    int commands_ = -1, replies_ = -1;
    unsigned short port_ = 0;
};

std::vector<metric> soak(const options& o) {
    if (o.transport != "tcp" && o.transport != "tls") fail("soak: tcp or tls");
    if (fd_limit() < o.connections + 64)
        fail("soak: " + std::to_string(o.connections) + " connections need " + std::to_string(o.connections + 64) +
             " open files per process; the limit is " + std::to_string(fd_limit()));
    server_process server(o);
    const auto port = server.port();
    auto server_footprint = [&] { return server.report().held; };
    double cycle_rate = 0;
    auto churn = [&](std::size_t cycles) { (void)connect_cycles(o, port, 4, cycles / 4, cycle_rate); };

    // C clients, one message in flight each, echoing for `seconds`; returns echoes/s.
    double held_fds = 0;
    auto echo = [&](double seconds) {
        std::atomic<std::uint64_t> echoes{0};
        std::atomic<bool> running{true};
        std::vector<std::shared_ptr<core::messaging_client>> clients;
        clients.reserve(o.connections);
        for (std::size_t i = 0; i < o.connections; ++i) {
            auto c = make_client(o);
            std::weak_ptr<core::messaging_client> self = c;
            c->set_receive_callback([self, &echoes, &running](const std::vector<uint8_t>& d) {
                ++echoes;
                if (!running) return;
                if (auto me = self.lock()) (void)me->send_packet(std::vector<uint8_t>(d));
            });
            connect(o, *c, port);
            clients.push_back(std::move(c));
        }
        held_fds = static_cast<double>(open_fds());
        const auto start = clock_type::now();
        for (auto& c : clients)
            if (c->send_packet(std::vector<uint8_t>(o.size, 1)).is_err()) fail("soak: first send");
        std::this_thread::sleep_for(std::chrono::duration<double>(seconds));  // the workload's duration
        running = false;
        const double rate = static_cast<double>(echoes.load()) / seconds_since(start);
        for (auto& c : clients) c->stop_client();
        return rate;
    };

    // Warm-up, a short round of both phases at full size: the baseline is the process at working
    // size (allocator arenas and pools grown once), so what is judged is growth over the run.
    echo(std::min<double>(2, static_cast<double>(o.seconds)));
    churn(std::min<std::size_t>(o.count, 2000));
    const auto base = server_footprint();
    const auto client_base = footprint();

    // Phase 1: the connections echo for S seconds. Phase 2: N connect/exchange/disconnect cycles.
    const double echo_rate = echo(static_cast<double>(o.seconds));
    const auto after_echo = server_footprint();

    churn(o.count);
    const auto after_churn = server_footprint();
    const auto client_after = footprint();
    server.stop();

    auto show = [](const footprint_t& f) {
        char buf[128];
        std::snprintf(buf, sizeof buf, "%.0f fds, %.0f threads, RSS %.2f MB, heap in use %.3f MB", f.fds, f.threads,
                      f.rss_mb, f.heap_mb);
        return std::string(buf);
    };
    std::printf("soak: server: baseline %s; after %zu connections echoing %s; after %zu cycles %s\n", show(base).c_str(),
                o.connections, show(after_echo).c_str(), o.count, show(after_churn).c_str());
    std::printf("soak: client process: baseline %s; at the end %s (%.0f fds while holding the connections)\n",
                show(client_base).c_str(), show(client_after).c_str(), held_fds);
    // Open fds: within 5 % of the baseline. Heap in use (what a leak grows): at most 256 KiB
    // above it — glibc's per-thread caches (tcache: up to 7 freed chunks per size class and
    // thread) count as in use and vary by that much; a byte kept per cycle would be 1 MB. RSS is
    // reported: at these sizes glibc's arenas move it by more than 5 % (docs/reliability.md).
    auto within = [](double v, double ref) { return v <= ref * 1.05 && v >= ref * 0.95; };
    for (const auto* f : {&after_echo, &after_churn})
        if (!within(f->fds, base.fds) || f->heap_mb > base.heap_mb + 0.25)
            fail("soak: the server's open fds or heap in use did not come back to the baseline");
    if (!within(client_after.fds, client_base.fds) || client_after.heap_mb > client_base.heap_mb + 0.25)
        fail("soak: the client process's open fds or heap in use did not come back to the baseline");
    // The load applied, for the record (a resource check, not a speed figure: no baseline).
    std::printf("soak: load: %zu connections at %.0f echoes/s for %zu s, %zu cycles at %.0f cycles/s\n", o.connections,
                echo_rate, o.seconds, o.count, cycle_rate);
    // Each figure at the end beside its baseline (the "baseline" column here is the process
    // before the run, not another implementation).
    return {{"server open fds", "fds", after_churn.fds, base.fds, false},
            {"server heap in use", "KB", after_churn.heap_mb * 1024, base.heap_mb * 1024, false},
            {"server RSS", "MB", after_churn.rss_mb, base.rss_mb, false},
            {"client process heap in use", "KB", client_after.heap_mb * 1024, client_base.heap_mb * 1024, false},
            {"client process RSS", "MB", client_after.rss_mb, client_base.rss_mb, false}};
}

// ---- slow reader: a peer that never reads; the sender must stay bounded -------------------------

std::vector<metric> slow_reader(const options& o) {
    if (o.transport != "tcp") fail("slowreader: tcp only");
    unsigned short port = 0;
    int listener = posix_listen(port);
    int peer = -1;
    std::thread acceptor([&] { peer = ::accept(listener, nullptr, nullptr); });  // and never reads
    auto client = make_client(o);
    connect(o, *client, port);
    acceptor.join();
    const long before = rss_kb(::getpid());
    std::uint64_t accepted = 0;
    bool refused = false;
    for (std::size_t i = 0; i < o.count && !refused; ++i) {
        VoidResult r = client->send_packet(std::vector<uint8_t>(o.size, 0x5a));
        if (r.is_ok()) accepted += o.size;
        else if (r.error().code == error_codes::network_system::send_queue_full) refused = true;
        else fail("slowreader: " + r.error().message);
    }
    const long after = rss_kb(::getpid());
    client->stop_client();
    ::close(peer);
    ::close(listener);
    // The baseline is the original C++ library: unbounded queue (measured 100+ MB).
    return {{"sender saw send_queue_full (-643)", "1=yes", refused ? 1.0 : 0.0, -1},
            {"bytes accepted before -643", "bytes", static_cast<double>(accepted), -1, false},
            {"sender RSS growth", "bytes", static_cast<double>(after - before) * 1024.0, -1, false}};
}

// ---- abuse: slow readers and oversized frames against one server, beside well-behaved clients --

/// A blocking TCP connection to the loopback `port` whose sends and receives give up after
/// `timeout_s` (so attacker loops notice when to stop).
int attacker_connect(unsigned short port, double timeout_s) {
    const int fd = posix_connect(port);
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout_s);
    tv.tv_usec = static_cast<suseconds_t>((timeout_s - static_cast<double>(tv.tv_sec)) * 1e6);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

/// A length-prefixed frame announcing `announced` bytes with `body` of them.
std::vector<uint8_t> frame(std::uint32_t announced, std::size_t body) {
    std::vector<uint8_t> f(4 + body, 0xa5);
    const std::uint32_t header = htonl(announced);
    std::memcpy(f.data(), &header, sizeof header);
    return f;
}

std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch()).count();
}

/// --connections well-behaved clients each send a message every 10 ms (stamped with its send
/// time; latency is read from the echo) for --seconds quiet, then --seconds while 4 slow readers
/// (a 64 KiB request every 10 ms, never reading the echoes) and 4 flooders (connect, announce a
/// frame over max_message_size with 64 KiB of it, wait for the server to close, again) attack
/// the same server. Fails if a well-behaved client loses a message or its connection, or an
/// oversized frame is not refused with -642 and its connection closed.
std::vector<metric> abuse(const options& o) {
    if (o.transport != "tcp" || !o.framed) fail("abuse: tcp, framed");
    if (o.size < 16) fail("abuse: --size 16 or more (the send time and phase ride in the message)");
    server_process server(o);
    const auto port = server.port();

    std::mutex samples_lock;
    std::vector<double> samples[2];  // µs, quiet then noisy
    latch echoed;
    std::atomic<bool> stopping{false}, broken{false};
    std::vector<std::shared_ptr<core::messaging_client>> clients;
    for (std::size_t i = 0; i < o.connections; ++i) {
        auto c = make_client(o);
        c->set_receive_callback([&](const std::vector<uint8_t>& d) {
            const std::int64_t now = now_ns();
            std::int64_t sent_ns = 0;
            if (d.size() != o.size) {
                broken = true;
            } else if (d[8] < 2) {  // phase 2 is the warm-up
                std::memcpy(&sent_ns, d.data(), sizeof sent_ns);
                std::lock_guard<std::mutex> lock(samples_lock);
                samples[d[8]].push_back(static_cast<double>(now - sent_ns) / 1e3);
            }
            echoed.add(1);
        });
        c->set_disconnected_callback([&] {
            if (!stopping) broken = true;
        });
        connect(o, *c, port);
        clients.push_back(std::move(c));
    }

    std::size_t sent = 0;
    auto phase = [&](std::uint8_t index, double seconds) {
        const auto end = clock_type::now() + std::chrono::duration<double>(seconds);
        for (auto tick = clock_type::now(); tick < end; tick += std::chrono::milliseconds(10)) {
            for (auto& c : clients) {
                std::vector<uint8_t> msg(o.size, 0);
                const std::int64_t ns = now_ns();
                std::memcpy(msg.data(), &ns, sizeof ns);
                msg[8] = index;
                if (c->send_packet(std::move(msg)).is_err()) fail("abuse: a well-behaved client's send failed");
                ++sent;
            }
            std::this_thread::sleep_until(tick + std::chrono::milliseconds(10));  // the pace, not a wait for an event
        }
        if (!echoed.wait_at_least(sent, 30) || broken) fail("abuse: a well-behaved client lost a message or its connection");
    };

    phase(2, 1);  // warm-up, not counted
    phase(0, static_cast<double>(o.seconds));

    std::atomic<bool> attacking{true};
    std::atomic<std::size_t> floods{0}, unclosed{0};
    std::atomic<std::uint64_t> slow_bytes{0};
    std::vector<std::thread> attackers;
    for (int i = 0; i < 4; ++i) {
        attackers.emplace_back([&] {  // slow reader
            const int fd = attacker_connect(port, 0.1);
            const auto request = frame(65536, 65536);
            for (auto tick = clock_type::now(); attacking; tick += std::chrono::milliseconds(10)) {
                const ssize_t w = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
                if (w > 0) slow_bytes += static_cast<std::uint64_t>(w);
                std::this_thread::sleep_until(tick + std::chrono::milliseconds(10));
            }
            ::close(fd);
        });
        attackers.emplace_back([&] {  // flooder
            const auto oversized = frame(static_cast<std::uint32_t>(16u * 1024 * 1024 + 1), 65536);
            while (attacking) {
                const int fd = attacker_connect(port, 5);
                (void)::send(fd, oversized.data(), oversized.size(), MSG_NOSIGNAL);
                char sink[4096];
                ssize_t r;
                while ((r = ::recv(fd, sink, sizeof sink, 0)) > 0) {
                }
                if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) ++unclosed;  // 5 s and still open
                ::close(fd);
                ++floods;
            }
        });
    }
    phase(1, static_cast<double>(o.seconds));
    attacking = false;
    for (auto& t : attackers) t.join();

    stopping = true;
    for (auto& c : clients) c->stop_client();
    clients.clear();
    const server_report r = server.report();
    server.stop();
    if (unclosed > 0) fail("abuse: " + std::to_string(unclosed.load()) + " oversized-frame connections were not closed in 5 s");
    if (r.too_large != floods)
        fail("abuse: " + std::to_string(floods.load()) + " oversized frames sent, " + std::to_string(r.too_large) +
             " reported -642 by the server");

    for (auto& v : samples) std::sort(v.begin(), v.end());
    const double ratio = percentile(samples[1], 0.99) / percentile(samples[0], 0.99);
    std::printf("abuse: %zu oversized frames refused (-642) and closed; slow readers sent %.1f MB, %zu echoes to them "
                "refused (-643); server RSS %.1f MB after; p99 under attack %.2fx the quiet p99: target <= 2x %s\n",
                floods.load(), static_cast<double>(slow_bytes.load()) / 1e6, r.queue_full, r.held.rss_mb, ratio,
                ratio <= 2 ? "met" : "MISSED");
    return {{"well-behaved p50 (attack vs quiet)", "us", percentile(samples[1], 0.5), percentile(samples[0], 0.5), false},
            {"well-behaved p99 (attack vs quiet)", "us", percentile(samples[1], 0.99), percentile(samples[0], 0.99), false},
            {"well-behaved max (attack vs quiet)", "us", samples[1].empty() ? 0 : samples[1].back(),
             samples[0].empty() ? 0 : samples[0].back(), false},
            {"oversized frames refused (-642)", "frames", static_cast<double>(r.too_large), -1},
            {"echoes to slow readers refused (-643)", "sends", static_cast<double>(r.queue_full), -1}};
}

// ---- output -------------------------------------------------------------------------------------

std::string describe(const options& o) {
    std::ostringstream s;
    if (o.workload == "abuse") {
        s << "abuse tcp " << o.size << " B, " << o.connections << " clients x 100 msg/s, " << o.seconds << " s quiet + "
          << o.seconds << " s under attack";
        return s.str();
    }
    s << o.workload << " " << o.transport;
    if (o.workload != "connections") s << " " << o.size << " B";
    if (o.workload == "echo") return s.str() + " closed loop x" + std::to_string(o.connections) + " conns for " + std::to_string(o.seconds) + " s";
    if (o.transport != "udp" && o.transport != "dtls" && o.transport != "ws" && o.transport != "quic" && o.workload == "throughput")
        s << (o.framed ? " framed" : " raw") << " api=" << o.api;
    s << " x" << o.count;
    if (o.connections > 1)
        s << " over " << o.connections << (o.transport == "quic" ? " streams" : o.workload == "connect" ? " threads" : " conns");
    return s.str();
}

std::string number(double v) {
    char buf[64];
    if (v < 0) return "-";
    if (v >= 1e6) std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
    else if (v >= 1e4) std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
    else std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

void report(const options& o, const std::vector<metric>& metrics) {
    std::printf("%s%s\n", describe(o).c_str(), o.runs > 1 ? (" (median of " + std::to_string(o.runs) + " runs)").c_str() : "");
    const char* base = o.workload == "echo" ? (o.transport == "ws" ? "beast" : "asio") : o.workload == "abuse" ? "quiet" : o.workload == "soak" ? "before" : o.transport == "ws" ? "py websockets" : o.transport == "quic" ? "quinn" : o.transport == "dtls" ? "our UDP" : "baseline";
    std::printf("  %-38s %14s %14s %8s\n", "metric", "ours", base, "ratio");
    for (const auto& m : metrics) {
        std::string ratio = "-";
        if (m.baseline > 0) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.2fx", m.ours / m.baseline);
            ratio = buf;
        }
        std::printf("  %-38s %14s %14s %8s  (%s, %s better)\n", m.name.c_str(), number(m.ours).c_str(), number(m.baseline).c_str(),
                    ratio.c_str(), m.unit.c_str(), m.higher_is_better ? "higher" : "lower");
    }
    if (!o.json.empty()) {
        std::ofstream out(o.json, std::ios::app);
        out << "{\"workload\":\"" << o.workload << "\",\"transport\":\"" << o.transport << "\",\"size\":" << o.size
            << ",\"count\":" << o.count << ",\"connections\":" << o.connections << ",\"framed\":" << (o.framed ? "true" : "false") << ",\"api\":\"" << o.api << "\""
            << ",\"runs\":" << o.runs << ",\"metrics\":[";
        for (std::size_t i = 0; i < metrics.size(); ++i) {
            const auto& m = metrics[i];
            out << (i ? "," : "") << "{\"name\":\"" << m.name << "\",\"unit\":\"" << m.unit << "\",\"ours\":" << m.ours;
            if (m.baseline >= 0) out << ",\"baseline\":" << m.baseline << ",\"ratio\":" << (m.baseline > 0 ? m.ours / m.baseline : 0);
            out << "}";
        }
        out << "]}\n";
    }
}

options parse(int argc, char** argv) {
    options o;
    if (argc < 2) fail("usage: network_system_loadtest <throughput|rtt|connections|connect|slowreader|soak|abuse|echo> [--transport tcp|tls|udp|dtls|ws|quic] "
                       "[--size B] [--count N] [--connections C] [--seconds S] [--framing framed|raw] [--api packet|batch|view|wait] [--runs K] [--baseline] [--json FILE] [--certs DIR] [--python PYTHON] [--quinn PATH] [--asio PATH]");
    o.workload = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) fail(a + " needs a value");
            return argv[++i];
        };
        if (a == "--transport") o.transport = value();
        else if (a == "--size") o.size = std::stoul(value());
        else if (a == "--count") o.count = std::stoul(value());
        else if (a == "--seconds") o.seconds = std::stoul(value());
        else if (a == "--connections") o.connections = std::stoul(value());
        else if (a == "--framing") o.framed = value() == "framed";
        else if (a == "--runs") o.runs = std::max(1, std::stoi(value()));
        else if (a == "--baseline") o.baseline = true;
        else if (a == "--json") o.json = value();
        else if (a == "--certs") o.certs = value();
        else if (a == "--api") o.api = value();
        else if (a == "--python") o.python = value();
        else if (a == "--quinn") o.quinn = value();
        else if (a == "--asio") o.asio = value();
        else fail("unknown option " + a);
    }
    const std::map<std::string, std::size_t> counts{
        {"throughput", 1000000}, {"rtt", 20000}, {"connections", 10000}, {"connect", 2000}, {"slowreader", 100000}, {"soak", 1000000}, {"abuse", 0}, {"echo", 0}};
    if (!counts.count(o.workload)) fail("unknown workload " + o.workload);
    if (o.transport != "tcp" && o.transport != "tls" && o.transport != "udp" && o.transport != "ws" && o.transport != "quic" &&
        o.transport != "dtls")
        fail("unknown transport " + o.transport);
    if (o.transport == "ws" && o.workload != "throughput" && o.workload != "rtt" && o.workload != "echo") fail("ws: throughput, rtt or echo");
    if (o.api != "packet" && o.api != "batch" && o.api != "view" && o.api != "wait")
        fail("unknown api " + o.api + " (packet, batch, view or wait)");
    if (o.api == "wait" && o.workload != "connect") fail("--api wait: connect workload only");
    if ((o.transport == "tls" || o.transport == "quic" || o.transport == "dtls") && o.certs.empty())
        fail("--transport " + o.transport + " needs --certs DIR (ca.pem, server.pem, server.key)");
    if (o.count == 0) o.count = counts.at(o.workload);
    if (o.size == 0) o.size = 64;
    if (o.connections == 0)
        o.connections = o.workload == "soak"                                ? 10000
                        : o.workload == "abuse"                             ? 100
                        : o.workload == "connect" && o.transport != "quic" ? 2
                                                                            : 1;
    if (o.seconds == 0) o.seconds = o.workload == "abuse" ? 20 : o.workload == "echo" ? 5 : 60;
    return o;
}

}  // namespace

int main(int argc, char** argv) {
    const options o = parse(argc, argv);
    raise_fd_limit();
    std::vector<metric> m;
    if (o.transport == "quic") m = quic_workload(o);
    else if (o.transport == "dtls") m = dtls_workload(o);
    else if (o.workload == "throughput") m = throughput(o);
    else if (o.workload == "rtt") m = rtt(o);
    else if (o.workload == "connections") m = connections(o);
    else if (o.workload == "slowreader") m = slow_reader(o);
    else if (o.workload == "soak") m = soak(o);
    else if (o.workload == "abuse") m = abuse(o);
    else if (o.workload == "echo") m = echo_workload(o);
    else m = connect_workload(o);
    report(o, m);
    return 0;
}

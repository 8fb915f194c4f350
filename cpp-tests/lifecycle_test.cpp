// Lifecycle and contract regressions through the C++ API: a peer cannot make the server reserve
// announced frame lengths, options refused while running do not poison the next start, a secure
// client keeps its start semantics through a messaging_client&, a replaced callback is released
// at once, and per-session callbacks are not copied per message.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <kcenon/network/core/messaging_client.h>
#include <kcenon/network/core/messaging_server.h>
#include <kcenon/network/core/secure_messaging_client.h>

#include "posix_util.h"
#include "test_util.h"

using namespace kcenon::network;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kAsan = true;
#else
constexpr bool kAsan = false;
#endif
#else
constexpr bool kAsan = false;
#endif

void raise_fd_limit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
        lim.rlim_cur = lim.rlim_max;
        setrlimit(RLIMIT_NOFILE, &lim);
    }
}

/// VmRSS and VmSize of this process, in KiB.
std::pair<long, long> memory_kib() {
    std::ifstream status("/proc/self/status");
    std::string key;
    long rss = 0, size = 0;
    while (status >> key) {
        if (key == "VmRSS:") status >> rss;
        else if (key == "VmSize:") status >> size;
    }
    return {rss, size};
}

/// Established sockets whose local port is `port` and whose receive queue is empty (the server
/// has read everything the peer sent), from /proc/net/tcp.
int drained_server_sockets(uint16_t port) {
    std::ifstream table("/proc/net/tcp");
    std::string line;
    std::getline(table, line);
    int count = 0;
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string sl, local, remote, state, queues;
        fields >> sl >> local >> remote >> state >> queues;
        const auto colon = local.find(':');
        if (colon == std::string::npos || state != "01") continue;
        if (std::stoul(local.substr(colon + 1), nullptr, 16) != port) continue;
        if (std::stoul(queues.substr(queues.find(':') + 1), nullptr, 16) == 0) ++count;
    }
    return count;
}

void bump(test::counter& c) {
    c.update([](std::size_t& n) { ++n; });
}

bool reaches(test::counter& c, std::size_t n) {
    return c.wait([n](std::size_t v) { return v >= n; });
}

bool read_exact(int fd, void* buf, size_t len) {
    auto* p = static_cast<char*>(buf);
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n <= 0) return false;
        p += n;
        len -= static_cast<size_t>(n);
    }
    return true;
}

}  // namespace

// 10 000 connections each send a 4-byte header announcing a 16 MiB frame and nothing else: the
// server keeps only what arrived. The server runs in a child process (its own fd table and RSS).
TEST(Lifecycle, FramedHeadersDoNotReserveAnnouncedLengths) {
    constexpr int kConnections = 10000;
    raise_fd_limit();
    int to_child[2], from_child[2];
    ASSERT_EQ(pipe(to_child), 0);
    ASSERT_EQ(pipe(from_child), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        close(to_child[1]);
        close(from_child[0]);
        core::server_options options;
        options.framing = framing::length_prefixed;
        options.bind_address = "127.0.0.1";
        options.max_connections = kConnections + 10;
        auto server = std::make_shared<core::messaging_server>("rss", options);
        if (server->start_server(0).is_err()) _exit(2);
        uint16_t port = server->port();
        if (write(from_child[1], &port, sizeof port) != sizeof port) _exit(3);
        char command = 0;
        while (read(to_child[0], &command, 1) == 1 && command == 'm') {
            auto [rss, size] = memory_kib();
            long out[2] = {rss, size};
            if (write(from_child[1], out, sizeof out) != sizeof out) _exit(4);
        }
        _exit(0);
    }
    close(to_child[0]);
    close(from_child[1]);
    uint16_t port = 0;
    ASSERT_TRUE(read_exact(from_child[0], &port, sizeof port));
    auto measure = [&] {
        long out[2] = {0, 0};
        char m = 'm';
        EXPECT_EQ(write(to_child[1], &m, 1), 1);
        EXPECT_TRUE(read_exact(from_child[0], out, sizeof out));
        return std::make_pair(out[0], out[1]);
    };
    const auto before = measure();

    std::vector<int> sockets;
    sockets.reserve(kConnections);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const unsigned char header[4] = {0x01, 0x00, 0x00, 0x00};  // 16 MiB announced
    for (int i = 0; i < kConnections; ++i) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        ASSERT_GE(fd, 0) << "socket " << i;
        ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << "connect " << i;
        ASSERT_EQ(send(fd, header, sizeof header, MSG_NOSIGNAL), 4);
        sockets.push_back(fd);
    }
    // The kernel's view is the only witness that the server has read every header: poll it
    // with a deadline.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    int drained = 0;
    while ((drained = drained_server_sockets(port)) < kConnections && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));  // no notification for it: poll
    EXPECT_GE(drained, kConnections);
    const auto after = measure();
    const long rss_mb = after.first / 1024;
    const long grown_mb = (after.second - before.second) / 1024;
    std::printf("server with %d connections holding a 16 MiB header: RSS %ld MB (%ld MB before), "
                "virtual size grew %ld MB\n",
                kConnections, rss_mb, before.first / 1024, grown_mb);
    // ASan's allocator adds redzones and quarantine to every allocation.
    EXPECT_LT(rss_mb, kAsan ? 300 : 100);
    EXPECT_LT(grown_mb, 1024) << "the server reserved memory for frames that never arrived";

    close(to_child[1]);
    for (int fd : sockets) close(fd);
    int status = 0;
    EXPECT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(from_child[0]);
}

TEST(Lifecycle, OptionsRefusedWhileRunningDoNotPoisonTheNextStart) {
    auto server = std::make_shared<core::messaging_server>("s");
    core::server_options options;
    options.bind_address = "127.0.0.1";
    ASSERT_TRUE(server->set_options(options).is_ok());
    ASSERT_TRUE(server->start_server(0).is_ok());
    options.max_connections = 5;
    EXPECT_EQ(server->set_options(options).error().code, error_codes::network_system::server_already_running);
    ASSERT_TRUE(server->stop_server().is_ok());
    EXPECT_TRUE(server->start_server(0).is_ok());

    auto client = std::make_shared<core::messaging_client>("c");
    ASSERT_TRUE(client->start_client("127.0.0.1", server->port()).is_ok());
    EXPECT_EQ(client->set_options(core::client_options{}).error().code,
              error_codes::network_system::client_already_running);
    ASSERT_TRUE(client->stop_client().is_ok());
    EXPECT_TRUE(client->start_client("127.0.0.1", server->port()).is_ok());
    // An invalid option while stopped is reported, and by the next start too.
    ASSERT_TRUE(client->stop_client().is_ok());
    core::client_options bad;
    bad.reconnect.enabled = true;
    bad.reconnect.initial_delay = std::chrono::milliseconds(0);
    EXPECT_EQ(client->set_options(bad).error().code, error_codes::common_errors::invalid_argument);
    EXPECT_EQ(client->start_client("127.0.0.1", server->port()).error().code,
              error_codes::common_errors::invalid_argument);
}

// Called through a messaging_client&, a secure client still returns the outcome of its first
// attempt (the original's secure start_client), not "ok, connecting in the background".
TEST(Lifecycle, SecureClientStartThroughBaseReference) {
    test::posix::refusing_tcp_port closed;
    const uint16_t closed_port = closed.port();
    core::secure_messaging_client secure("sc", false);
    core::messaging_client& base = secure;
    auto r = base.start_client("127.0.0.1", closed_port);
    EXPECT_EQ(r.error().code, error_codes::network_system::connection_refused);
    EXPECT_EQ(r.error().module, "secure_messaging_client");
}

// Replacing a callback releases the old one (and what it captured) at once, not after every
// connection had another event.
TEST(Lifecycle, ReplacedCallbackIsReleasedAtOnce) {
    auto server = std::make_shared<core::messaging_server>("s");
    core::server_options options;
    options.bind_address = "127.0.0.1";
    ASSERT_TRUE(server->set_options(options).is_ok());
    test::counter connected;
    server->set_connection_callback([&](std::shared_ptr<session::messaging_session>) { bump(connected); });
    auto token = std::make_shared<int>(1);
    std::weak_ptr<int> watch = token;
    server->set_receive_callback([token](std::shared_ptr<session::messaging_session>, const std::vector<uint8_t>&) {});
    token.reset();
    ASSERT_TRUE(server->start_server(0).is_ok());
    core::messaging_client client("c");
    ASSERT_TRUE(client.start_client("127.0.0.1", server->port()).is_ok());
    ASSERT_TRUE(reaches(connected, 1));
    EXPECT_FALSE(watch.expired());
    server->set_receive_callback([](std::shared_ptr<session::messaging_session>, const std::vector<uint8_t>&) {});
    EXPECT_TRUE(watch.expired()) << "the replaced callback is still held by the idle connection";
}

namespace {
struct copy_counter {
    std::shared_ptr<std::atomic<int>> copies;
    std::shared_ptr<test::counter> received;
    copy_counter(std::shared_ptr<std::atomic<int>> c, std::shared_ptr<test::counter> r)
        : copies(std::move(c)), received(std::move(r)) {}
    copy_counter(const copy_counter& o) : copies(o.copies), received(o.received) { ++*copies; }
    copy_counter(copy_counter&&) = default;
    void operator()(const std::vector<uint8_t>&) const { bump(*received); }
};
}  // namespace

TEST(Lifecycle, PerSessionCallbackIsNotCopiedPerMessage) {
    constexpr int kMessages = 100;
    auto copies = std::make_shared<std::atomic<int>>(0);
    auto received = std::make_shared<test::counter>();
    core::server_options options;
    options.bind_address = "127.0.0.1";
    options.framing = framing::length_prefixed;
    auto server = std::make_shared<core::messaging_server>("s", options);
    test::counter ready;
    server->set_connection_callback([&](std::shared_ptr<session::messaging_session> s) {
        s->set_receive_callback(copy_counter(copies, received));
        bump(ready);
    });
    ASSERT_TRUE(server->start_server(0).is_ok());
    core::client_options client_options;
    client_options.framing = framing::length_prefixed;
    core::messaging_client client("c", client_options);
    test::counter client_up;
    client.set_connected_callback([&] { bump(client_up); });
    ASSERT_TRUE(client.start_client("127.0.0.1", server->port()).is_ok());
    ASSERT_TRUE(reaches(client_up, 1));
    ASSERT_TRUE(reaches(ready, 1));
    const int after_setup = copies->load();
    for (int i = 0; i < kMessages; ++i) ASSERT_TRUE(client.send_packet({'m'}).is_ok());
    ASSERT_TRUE(reaches(*received, kMessages));
    EXPECT_EQ(copies->load(), after_setup);
}

// asio_echo: the load tool's many-connection echo workload written directly on Boost.Asio, the
// engine under the original library (tcp), and on Boost.Beast (ws) — the baselines
// `network_system_loadtest echo --baseline` runs beside ours. One io_context per core, each run
// by one thread; the server and the clients live in this process and share them (as ours share
// the library's runtime).
//
//   asio_echo tcp|ws CONNECTIONS SIZE SECONDS
//
// Each client connection sends SIZE bytes (ws: one binary message), reads them back, records the
// round trip and starts over, for SECONDS after every connection is up and a 0.5 s warm-up. The
// server writes back what it reads (ws: each message). Prints one line:
//   echo MESSAGES SECONDS P50_US P99_US P999_US CPU_US_PER_MESSAGE P90_US MAX_US
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

namespace {

std::atomic<bool> measuring{false}, running{true};
std::atomic<std::uint64_t> connected{0};

double cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/// The server side of one connection: read some, write it back, again.
struct server_conn : std::enable_shared_from_this<server_conn> {
    tcp::socket socket;
    std::vector<char> buf = std::vector<char>(65536);
    explicit server_conn(tcp::socket s) : socket(std::move(s)) {}
    void read() {
        socket.async_read_some(asio::buffer(buf), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
            if (ec) return;
            asio::async_write(self->socket, asio::buffer(self->buf.data(), n),
                              [self](boost::system::error_code wec, std::size_t) {
                                  if (!wec) self->read();
                              });
        });
    }
};

/// The server side of one WebSocket connection: accept the upgrade, then echo each message.
struct ws_server_conn : std::enable_shared_from_this<ws_server_conn> {
    websocket::stream<tcp::socket> ws;
    beast::flat_buffer buf;
    explicit ws_server_conn(tcp::socket s) : ws(std::move(s)) {}
    void start() {
        ws.async_accept([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->read();
        });
    }
    void read() {
        ws.async_read(buf, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            if (ec) return;
            self->ws.binary(self->ws.got_binary());
            self->ws.async_write(self->buf.data(), [self](boost::system::error_code wec, std::size_t) {
                if (wec) return;
                self->buf.consume(self->buf.size());
                self->read();
            });
        });
    }
};

void accept(tcp::acceptor& acceptor, std::vector<std::unique_ptr<asio::io_context>>& contexts, std::size_t next, bool ws) {
    acceptor.async_accept(*contexts[next % contexts.size()], [&acceptor, &contexts, next, ws](boost::system::error_code ec, tcp::socket s) {
        if (ec) return;
        s.set_option(tcp::no_delay(true));
        if (ws) std::make_shared<ws_server_conn>(std::move(s))->start();
        else std::make_shared<server_conn>(std::move(s))->read();
        accept(acceptor, contexts, next + 1, ws);
    });
}

/// One client connection in its closed loop; latencies (µs) of the measured window.
struct client_conn {
    tcp::socket socket;
    websocket::stream<tcp::socket&> ws{socket};
    bool use_ws;
    std::vector<char> out, in;
    beast::flat_buffer ws_in;
    std::vector<float> latencies;
    clock_type::time_point sent_at;
    client_conn(asio::io_context& ctx, std::size_t size, bool websocket_)
        : socket(ctx), use_ws(websocket_), out(size, 'x'), in(size) {
        ws.binary(true);
    }
    void arrived() {
        if (measuring.load(std::memory_order_relaxed))
            latencies.push_back(std::chrono::duration<float, std::micro>(clock_type::now() - sent_at).count());
        send();
    }
    void send() {
        if (!running.load(std::memory_order_relaxed)) return;
        sent_at = clock_type::now();
        if (use_ws) {
            ws.async_write(asio::buffer(out), [this](boost::system::error_code ec, std::size_t) {
                if (ec) return;
                ws.async_read(ws_in, [this](boost::system::error_code rec, std::size_t) {
                    if (rec) return;
                    ws_in.consume(ws_in.size());
                    arrived();
                });
            });
            return;
        }
        asio::async_write(socket, asio::buffer(out), [this](boost::system::error_code ec, std::size_t) {
            if (ec) return;
            asio::async_read(socket, asio::buffer(in), [this](boost::system::error_code rec, std::size_t) {
                if (!rec) arrived();
            });
        });
    }
};

double percentile(const std::vector<float>& sorted, double p) {
    if (sorted.empty()) return 0;
    return sorted[std::min(sorted.size() - 1, static_cast<std::size_t>(p * static_cast<double>(sorted.size())))];
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 5 || (std::string(argv[1]) != "tcp" && std::string(argv[1]) != "ws")) {
        std::fprintf(stderr, "usage: asio_echo tcp|ws CONNECTIONS SIZE SECONDS\n");
        return 2;
    }
    const bool ws = std::string(argv[1]) == "ws";
    const std::size_t n = std::strtoul(argv[2], nullptr, 10), size = std::strtoul(argv[3], nullptr, 10);
    const double seconds = std::strtod(argv[4], nullptr);
    const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    for (std::size_t i = 0; i < cores; ++i) contexts.push_back(std::make_unique<asio::io_context>());
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
    for (auto& c : contexts) work.push_back(asio::make_work_guard(*c));

    tcp::acceptor acceptor(*contexts[0], tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    acceptor.listen(4096);
    const auto port = acceptor.local_endpoint().port();
    accept(acceptor, contexts, 0, ws);
    std::vector<std::thread> threads;
    for (auto& c : contexts) threads.emplace_back([&c] { c->run(); });

    std::vector<std::unique_ptr<client_conn>> clients;
    for (std::size_t i = 0; i < n; ++i) {
        clients.push_back(std::make_unique<client_conn>(*contexts[i % cores], size, ws));
        client_conn& c = *clients.back();
        c.socket.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), [&c](boost::system::error_code ec) {
            auto check = [](boost::system::error_code e, const char* what) {
                if (!e) return;
                std::fprintf(stderr, "asio_echo: %s: %s\n", what, e.message().c_str());
                std::exit(1);
            };
            check(ec, "connect");
            c.socket.set_option(tcp::no_delay(true));
            if (!c.use_ws) {
                connected.fetch_add(1);
                return;
            }
            c.ws.async_handshake("127.0.0.1", "/", [&c, check](boost::system::error_code hec) {
                check(hec, "handshake");
                connected.fetch_add(1);
            });
        });
    }
    while (connected.load() < n) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    for (auto& c : clients) asio::post(c->socket.get_executor(), [&c] { c->send(); });
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // warm-up
    const double cpu0 = cpu_seconds();
    const auto t0 = clock_type::now();
    measuring = true;
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    measuring = false;
    const double secs = std::chrono::duration<double>(clock_type::now() - t0).count();
    const double cpu = cpu_seconds() - cpu0;
    running = false;
    for (auto& c : contexts) c->stop();
    for (auto& t : threads) t.join();

    std::vector<float> all;
    for (auto& c : clients) all.insert(all.end(), c->latencies.begin(), c->latencies.end());
    std::sort(all.begin(), all.end());
    const double msgs = static_cast<double>(all.size());
    std::printf("echo %.0f %.6f %.2f %.2f %.2f %.4f %.2f %.2f\n", msgs, secs, percentile(all, 0.5), percentile(all, 0.99),
                percentile(all, 0.999), msgs > 0 ? cpu * 1e6 / msgs : 0, percentile(all, 0.9),
                all.empty() ? 0.0 : static_cast<double>(all.back()));
    return 0;
}

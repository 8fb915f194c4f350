// A TCP echo server whose metrics a Prometheus server can scrape: GET /metrics on a second,
// HTTP port answers the process-wide snapshot in the Prometheus text format.
// Usage: metrics_server [echo port] [metrics port] (default 9000 and 9100, 0 = any). Press
// Enter to stop.
#include <kcenon/network/core/messaging_server.h>
#include <kcenon/network/internal/http/http_server.h>
#include <kcenon/network/metrics/metrics.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

int main(int argc, char** argv) {
    using namespace kcenon::network;
    const auto arg = [&](int i, int fallback) { return static_cast<unsigned short>(argc > i ? std::atoi(argv[i]) : fallback); };

    core::server_options options;
    options.bind_address = "127.0.0.1";  // "0.0.0.0" accepts other machines
    auto echo = std::make_shared<core::messaging_server>("echo", options);
    echo->set_receive_callback([](std::shared_ptr<session::messaging_session> s, const std::vector<uint8_t>& d) {
        s->send_packet(std::vector<uint8_t>(d));
    });

    auto http = std::make_shared<core::http_server>("metrics");
    http->get("/metrics", [](const core::http_request_context&) {
        internal::http_response r;
        r.set_body_string(metrics::snapshot().to_prometheus());
        r.set_header("Content-Type", "text/plain; version=0.0.4");
        return r;
    });
    http->set_bind_address("127.0.0.1");

    for (auto result : {echo->start_server(arg(1, 9000)), http->start(arg(2, 9100))}) {
        if (result.is_err()) {
            std::fprintf(stderr, "%s (%d)\n", result.error().message.c_str(), result.error().code);
            return 1;
        }
    }
    std::printf("echo on port %u, metrics on http://127.0.0.1:%u/metrics; press Enter to stop\n", echo->port(),
                http->port());
    std::fflush(stdout);
    (void)std::getchar();
    (void)echo->stop_server();
    (void)http->stop();
    return 0;
}

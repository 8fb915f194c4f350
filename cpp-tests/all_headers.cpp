// Every public header, and every public class and Result combinator instantiated: ctest compiles
// this at -O3 with -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror as C++17 and C++20 with
// g++ and clang++ (what a strict consumer's build does). Nothing here runs.
#include <kcenon/network/core/connection_pool.h>
#include <kcenon/network/core/messaging_client.h>
#include <kcenon/network/facade/http_facade.h>
#include <kcenon/network/facade/quic_facade.h>
#include <kcenon/network/facade/tcp_facade.h>
#include <kcenon/network/facade/udp_facade.h>
#include <kcenon/network/facade/websocket_facade.h>
#include <kcenon/network/interfaces/interfaces.h>
#include <kcenon/network/metrics/histogram.h>
#include <kcenon/network/metrics/metrics.h>
#include <kcenon/network/metrics/network_metrics.h>
#include <kcenon/network/metrics/sliding_histogram.h>
#include <kcenon/network/internal/core/connection_pool.h>
#include <kcenon/network/protocol/protocol.h>
#include <kcenon/network/unified/unified.h>
#include <kcenon/network/utils/health_monitor.h>
#include <kcenon/network/utils/resilient_client.h>
#include <kcenon/network/internal/utils/health_monitor.h>
#include <kcenon/network/internal/utils/resilient_client.h>
#include <kcenon/network/core/messaging_server.h>
#include <kcenon/network/core/messaging_udp_client.h>
#include <kcenon/network/core/messaging_udp_server.h>
#include <kcenon/network/core/secure_messaging_udp_client.h>
#include <kcenon/network/core/secure_messaging_udp_server.h>
#include <kcenon/network/core/messaging_ws_client.h>
#include <kcenon/network/core/messaging_ws_server.h>
#include <kcenon/network/core/ws_options.h>
#include <kcenon/network/interfaces/i_websocket_client.h>
#include <kcenon/network/interfaces/i_websocket_server.h>
#include <kcenon/network/interfaces/i_websocket_session.h>
#include <kcenon/network/internal/http/http_client.h>
#include <kcenon/network/internal/http/http_error.h>
#include <kcenon/network/internal/http/http_server.h>
#include <kcenon/network/internal/http/http_types.h>
#include <kcenon/network/internal/http/websocket_client.h>
#include <kcenon/network/internal/http/websocket_server.h>
#include <kcenon/network/internal/experimental/quic_client.h>
#include <kcenon/network/internal/experimental/quic_server.h>
#include <kcenon/network/interfaces/i_quic_client.h>
#include <kcenon/network/interfaces/i_quic_server.h>
#include <kcenon/network/session/quic_session.h>
#include <kcenon/network/internal/websocket/websocket_frame.h>
#include <kcenon/network/internal/websocket/websocket_protocol.h>
#include <kcenon/network/core/options.h>
#include <kcenon/network/core/udp_options.h>
#include <kcenon/network/interfaces/i_udp_client.h>
#include <kcenon/network/interfaces/i_udp_server.h>
#include <kcenon/network/internal/core/messaging_udp_client.h>
#include <kcenon/network/internal/core/messaging_udp_server.h>
#include <kcenon/network/internal/core/secure_messaging_udp_client.h>
#include <kcenon/network/internal/core/secure_messaging_udp_server.h>
#include <kcenon/network/core/secure_messaging_client.h>
#include <kcenon/network/core/secure_messaging_server.h>
#include <kcenon/network/core/tls_options.h>
#include <kcenon/network/internal/core/secure_messaging_client.h>
#include <kcenon/network/internal/core/secure_messaging_server.h>
#include <kcenon/network/session/secure_session.h>
#include <kcenon/network/internal/core/messaging_client.h>
#include <kcenon/network/internal/core/messaging_server.h>
#include <kcenon/network/network_system.h>
#include <kcenon/network/session/messaging_session.h>
#include <kcenon/network/types/result.h>
#include <network_system.h>
#include <network_system/compatibility.h>
#include <network_system/core/messaging_client.h>
#include <network_system/core/messaging_server.h>
#include <network_system/core/messaging_udp_client.h>
#include <network_system/core/messaging_udp_server.h>
#include <network_system/core/secure_messaging_udp_client.h>
#include <network_system/core/secure_messaging_udp_server.h>
#include <network_system/core/messaging_ws_client.h>
#include <network_system/core/messaging_ws_server.h>
#include <network_system/core/secure_messaging_client.h>
#include <network_system/core/secure_messaging_server.h>
#include <network_system/session/messaging_session.h>
#include <network_system/session/secure_session.h>
#include <network_system/utils/result_types.h>

#include <memory>
#include <string>
#include <vector>

using namespace kcenon::network;

static Result<int> parse(const std::string& text) {
    if (text.empty()) return error<int>(error_codes::common_errors::invalid_argument, "empty");
    return ok(static_cast<int>(text.size()));
}

// The shape that made GCC 12 warn maybe-uninitialized in Result's destructor at -O3 (C++20)
// when Result held two std::optional members.
int result_with_exceptions(int n) {
    Result<int> a(n);
    int out = a.unwrap_or(7);
    auto e = error<int>(error_codes::network_system::connection_closed, "closed", "mod", "more");
    try {
        out += e.value();
    } catch (const std::bad_optional_access&) {
        out += 1;
    }
    try {
        out += e.unwrap();
    } catch (const std::runtime_error&) {
        out += 2;
    }
    return out + a.value() + a.unwrap();
}

int all_headers_compile(const std::string& text) {
    // Result<T> and VoidResult with every combinator.
    Result<int> r = parse(text);
    Result<std::string> mapped = r.map([](const int& n) { return std::to_string(n); });
    Result<int> chained = r.and_then([](const int& n) { return Result<int>(n * 2); });
    Result<int> recovered = r.or_else([](const error_info& e) { return Result<int>(e.code); });
    int sum = r.unwrap_or(0) + r.value_or(1) + chained.unwrap_or(0) + recovered.value_or(0);
    if (r.is_ok() && !r.is_err() && static_cast<bool>(r)) sum += r.value() + r.unwrap();
    sum += static_cast<int>(mapped.unwrap_or("").size()) + r.error().code;
    VoidResult v = ok();
    VoidResult e = error_void(error_codes::network_system::connection_closed, "closed", "test", "details");
    sum += v.is_ok() ? 0 : 1;
    sum += static_cast<int>(get_error_details(e.error()).size() + get_error_source(e.error()).size());
    Result<int> other = Result<int>::err(-1, "x");
    sum += other.error() == e.error() ? 0 : other.error().code;

    // Every class, constructed (nothing is started).
    auto server = std::make_shared<core::messaging_server>("s");
    auto client = std::make_shared<core::messaging_client>("c");
    core::secure_messaging_server secure_server("ss", "cert.pem", "key.pem");
    core::secure_messaging_client secure_client("sc", true);
    auto udp_server = std::make_shared<core::messaging_udp_server>("us");
    auto udp_client = std::make_shared<core::messaging_udp_client>("uc");
    network_module::messaging_server* legacy = nullptr;
    server->set_receive_callback([](std::shared_ptr<session::messaging_session> s, const std::vector<uint8_t>& d) {
        s->send_packet(std::vector<uint8_t>(d));
    });
    client->set_error_callback([](std::error_code) {});
    // The view forms of the receive callbacks (std::span in C++20), and batched UDP sends.
    secure_server.set_receive_callback([](std::shared_ptr<session::messaging_session>, const uint8_t*, std::size_t) {});
    client->set_receive_callback([&sum](const uint8_t* d, std::size_t n) { sum += n > 0 ? d[0] : 0; });
#if NS_HAVE_SPAN
    server->set_receive_callback([](std::shared_ptr<session::messaging_session>, std::span<const uint8_t>) {});
    secure_client.set_receive_callback([&sum](std::span<const uint8_t> d) { sum += static_cast<int>(d.size()); });
#endif
    (void)udp_client->send_batch({{1}, {2}});
    (void)udp_server->send_batch_to({"127.0.0.1", 9}, {{1}});
    sum += static_cast<int>(server->port() + client->stats().bytes_in + udp_server->stats().dropped +
                            udp_client->stats().dropped + secure_server.connection_count());
    sum += secure_client.is_connected() ? 1 : 0;
    sum += legacy == nullptr ? 0 : 1;

    auto ws = std::make_shared<core::messaging_ws_server>("ws");
    auto wsc = std::make_shared<core::messaging_ws_client>("wsc");
    core::secure_ws_server wss("wss", "cert.pem", "key.pem");
    core::secure_ws_client wssc("wssc", false);
    ws->set_message_callback([](std::shared_ptr<core::ws_connection> c, const internal::ws_message& m) {
        (void)c->send_binary(std::vector<uint8_t>(m.as_binary()));
    });
    ws->set_text_callback([s = ws.get()](std::string_view id, const std::string& message) {
        if (auto c = s->get_connection(std::string(id))) (void)c->send_text(std::string(message));
    });
    ws->set_disconnection_callback([](std::string_view, uint16_t code, std::string_view) { (void)code; });
    wsc->set_binary_callback([](const std::vector<uint8_t>&) {});
    wsc->set_disconnected_callback([](uint16_t, std::string_view) {});
    interfaces::i_websocket_client* as_interface = wsc.get();
    sum += static_cast<int>(ws->port() + wsc->stats().bytes_in + wss.connection_count() + ws->get_all_connections().size());
    sum += wssc.is_connected() || as_interface->is_running() ? 1 : 0;
    sum += static_cast<int>(internal::ws_close_code::message_too_big) + static_cast<int>(internal::ws_opcode::pong);

    auto http = std::make_shared<core::http_server>("api");
    http->get("/users/:id", [](const core::http_request_context& ctx) {
        internal::http_response resp;
        resp.set_body_string("User ID: " + ctx.get_path_param("id").value_or("?"));
        resp.set_header("Content-Type", "text/plain");
        resp.set_cookie("sid", "1");
        return resp;
    });
    http->set_error_handler(internal::http_error_code::not_found, [](const internal::http_error& err) {
        internal::http_response resp;
        resp.status_code = err.status_code();
        return resp;
    });
    core::http_client hc(std::chrono::milliseconds(100));
    auto got = hc.get("http://127.0.0.1:1/", {{"q", "1"}});
    auto url = core::http_url::parse("https://example.com/x?a=b");
    sum += got.is_ok() ? got.value().status_code : got.error().code;
    sum += url.is_ok() ? url.value().get_default_port() : 0;
    sum += static_cast<int>(hc.get_timeout().count()) + http->port();
    sum += static_cast<int>(internal::get_status_message(404).size() + internal::http_version_to_string(internal::http_version::HTTP_2_0).size());

    auto ds = std::make_shared<core::secure_messaging_udp_server>("ds");
    auto dc = std::make_shared<core::secure_messaging_udp_client>("dc", false);
    (void)ds->set_certificate_chain_file("c.pem");
    (void)ds->set_private_key_file("k.pem");
    ds->set_receive_callback([s = ds.get()](const std::vector<uint8_t>& d, const core::secure_messaging_udp_server::endpoint_info& from) {
        s->async_send_to(std::vector<uint8_t>(d), from);
    });
    ds->set_client_connected_callback([](const core::secure_messaging_udp_server::endpoint_info&) {});
    ds->set_client_disconnected_callback(nullptr);
    ds->set_error_callback([](std::error_code) {});
    dc->set_receive_callback([](const std::vector<uint8_t>&) {});
    dc->set_connected_callback([] {});
    dc->set_disconnected_callback(nullptr);
    dc->set_error_callback([](std::error_code) {});
    sum += static_cast<int>(ds->port() + ds->session_count() + dc->stats().bytes_in) + (dc->is_connected() ? 1 : 0) +
           dc->send_packet(std::vector<uint8_t>{1}).error().code;

    auto qs = std::make_shared<core::messaging_quic_server>("qs");
    auto qc = std::make_shared<core::quic_client>("qc");
    core::quic_server_config qsc;
    qsc.alpn_protocols = {"echo"};
    qs->set_receive_callback([](std::shared_ptr<session::quic_session> s, const std::vector<uint8_t>& d) {
        (void)s->send(std::vector<uint8_t>(d));
    });
    qs->set_stream_receive_callback(
        [](std::shared_ptr<session::quic_session> s, uint64_t id, const std::vector<uint8_t>& d, bool fin) {
            (void)s->send_on_stream(id, std::vector<uint8_t>(d), fin);
        });
    qs->set_disconnection_callback([](std::string_view id) { (void)id; });
    qc->set_stream_callback([](uint64_t, const std::vector<uint8_t>&, bool) {});
    qc->set_early_data_callback([] { return std::vector<uint8_t>{1}; });
    interfaces::i_quic_client* qi = qc.get();
    auto stream = qc->create_stream();
    core::quic_connection_stats qstats = qc->stats();
    sum += static_cast<int>(qs->session_count() + qstats.cwnd + stream.unwrap_or(0) + qs->port() + qsc.max_connections);
    sum += qi->is_connected() || qc->alpn_protocol().has_value() || qc->close_code().has_value() ? 1 : 0;
    // The protocol-agnostic layer: every facade, an observer, a pool.
    facade::tcp_facade::server_config tcp_config;
    tcp_config.port = 1;
    auto facades = {facade::tcp_facade{}.create_server(tcp_config), facade::udp_facade{}.create_server({}),
                    facade::websocket_facade{}.create_server({}), facade::http_facade{}.create_server({}),
                    facade::quic_facade{}.create_server({})};
    for (const auto& f : facades) sum += f.is_ok() ? static_cast<int>(f.value()->connection_count()) : f.error().code;
    auto ws_client = facade::websocket_facade{}.create_client({});
    if (ws_client.is_ok()) ws_client.value()->set_observer(std::make_shared<interfaces::null_connection_observer>());
    core::connection_pool pool("127.0.0.1", 1, 1);
    utils::resilient_client resilient("r", "127.0.0.1", 1);
    utils::health_monitor monitor;
    sum += resilient.circuit_state() == utils::circuit_state::closed && !monitor.is_monitoring() ? 1 : 0;
    auto unified_listener = protocol::websocket::create_listener();
    auto unified_connection = protocol::udp::create_connection();
    sum += static_cast<int>(unified_listener->connection_count()) + (unified_connection->is_connected() ? 1 : 0);
    sum += static_cast<int>(pool.pool_size() + pool.active_count());
    // Metrics: the original's histograms and reporter, the process-wide snapshot.
    metrics::histogram h;
    h.record(1.5);
    metrics::sliding_histogram window(metrics::sliding_histogram_config::default_config());
    window.record(2.0);
    metrics::metric_reporter::record_latency(h.p99() + window.p50());
    metrics::metric_reporter::report_connection_failed("refused");
    const auto snap = metrics::snapshot();
    const auto connect = snap.latency_ms(metrics::latency::connect);
    sum += static_cast<int>(snap.entry(metrics::protocol::tcp, metrics::role::server).objects + connect.count +
                            snap.stats().bytes_in + snap.to_prometheus().size() + connect.to_json().size() +
                            metrics::metric_reporter::get_all_histograms().size() + h.snapshot().buckets.size());
    return sum;
}

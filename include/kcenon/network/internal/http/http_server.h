// kcenon::network::core::http_server — HTTP/1.1 and HTTP/2 server with routing, source-compatible
// with the original's http_server.h.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "../../core/tls_options.h"
#include "../../detail/c_api.h"
#include "http_error.h"
#include "http_types.h"

namespace kcenon::network::core {

/// What a route handler gets: the request and the route's `:name` parameters.
struct http_request_context {
    internal::http_request request;
    std::map<std::string, std::string> path_params;

    std::optional<std::string> get_query_param(const std::string& name) const {
        auto it = request.query_params.find(name);
        if (it == request.query_params.end()) return std::nullopt;
        return it->second;
    }
    std::optional<std::string> get_path_param(const std::string& name) const {
        auto it = path_params.find(name);
        if (it == path_params.end()) return std::nullopt;
        return it->second;
    }
};

using http_handler = std::function<internal::http_response(const http_request_context& ctx)>;
using error_handler = std::function<internal::http_response(const internal::http_error& error)>;

namespace http_detail {

using network::detail::view_string;

inline internal::http_version version_of(int32_t v) {
    if (v == NS_HTTP_VERSION_1_0) return internal::http_version::HTTP_1_0;
    if (v == NS_HTTP_VERSION_2) return internal::http_version::HTTP_2_0;
    return internal::http_version::HTTP_1_1;
}

/// The method named on the wire (HTTP_GET for one the enum lacks), without building strings.
inline internal::http_method method_of(ns_http_str m) {
    using internal::http_method;
    static constexpr std::pair<const char*, http_method> names[] = {
        {"GET", http_method::HTTP_GET},         {"POST", http_method::HTTP_POST},   {"PUT", http_method::HTTP_PUT},
        {"DELETE", http_method::HTTP_DELETE},   {"HEAD", http_method::HTTP_HEAD},   {"OPTIONS", http_method::HTTP_OPTIONS},
        {"PATCH", http_method::HTTP_PATCH},     {"CONNECT", http_method::HTTP_CONNECT}, {"TRACE", http_method::HTTP_TRACE}};
    for (const auto& [name, method] : names)
        if (std::char_traits<char>::length(name) == m.len && std::char_traits<char>::compare(name, m.data, m.len) == 0) return method;
    return http_method::HTTP_GET;
}

/// Adds a value to a map, joining a repeated name's values with `sep`.
inline void put(std::map<std::string, std::string>& m, std::string name, std::string value, const char* sep = ", ") {
    auto [it, inserted] = m.try_emplace(std::move(name), value);
    if (!inserted) it->second += sep + value;
}

inline std::map<std::string, std::string> pairs(const ns_http_request* r, int32_t kind) {
    std::map<std::string, std::string> out;
    const std::size_t n = ns_http_request_count(r, kind);
    for (std::size_t i = 0; i < n; ++i) {
        ns_http_str k{}, v{};
        if (ns_http_request_at(r, kind, i, &k, &v) != NS_OK) continue;
        if (kind == NS_HTTP_HEADERS)
            put(out, view_string(k), view_string(v));
        else
            out.emplace(view_string(k), view_string(v));  // the first of a repeated name, as request lookups do
    }
    return out;
}

/// The handler's context built from the library's request (copied: the handler may keep it).
inline http_request_context context_of(const ns_http_request* r) {
    http_request_context ctx;
    auto& q = ctx.request;
    q.method = method_of(ns_http_request_method(r));
    q.uri = view_string(ns_http_request_uri(r));
    q.version = version_of(ns_http_request_version(r));
    q.headers = pairs(r, NS_HTTP_HEADERS);
    const ns_http_str body = ns_http_request_body(r);
    if (body.len) q.body.assign(reinterpret_cast<const uint8_t*>(body.data), reinterpret_cast<const uint8_t*>(body.data) + body.len);
    q.query_params = pairs(r, NS_HTTP_QUERY);
    q.cookies = pairs(r, NS_HTTP_COOKIES);
    q.form_data = pairs(r, NS_HTTP_FORM);
    const std::size_t files = ns_http_request_file_count(r);
    for (std::size_t i = 0; i < files; ++i) {
        ns_http_file f{};
        if (ns_http_request_file_at(r, i, &f) != NS_OK) continue;
        internal::multipart_file mf;
        mf.field_name = view_string(f.field_name);
        mf.filename = view_string(f.filename);
        mf.content_type = view_string(f.content_type);
        const auto* data = reinterpret_cast<const uint8_t*>(f.content.data);
        if (f.content.len) mf.content.assign(data, data + f.content.len);
        q.files.emplace(mf.field_name, std::move(mf));
    }
    ctx.path_params = pairs(r, NS_HTTP_PATH_PARAMS);
    return ctx;
}

/// Writes a C++ response into the library's. The status message goes out only when it is not
/// the standard phrase (nor the default "OK" left on another status).
inline void fill(ns_http_response* out, const internal::http_response& resp) {
    const std::string& msg = resp.status_message;
    const bool standard = msg.empty() || msg == "OK" || msg == internal::get_status_message(resp.status_code);
    ns_http_response_set_status(out, resp.status_code, standard ? nullptr : msg.c_str());
    for (const auto& [k, v] : resp.headers) ns_http_response_add_header(out, k.c_str(), v.c_str());
    for (const auto& c : resp.set_cookies) ns_http_response_add_header(out, "Set-Cookie", c.to_header_value().c_str());
    ns_http_response_set_body(out, resp.body.data(), resp.body.size());
    if (resp.use_chunked_encoding) ns_http_response_set_chunked(out, true);
}

/// Route trampoline: a handler that throws answers 500 (through the error handlers).
inline int32_t on_request(void* ud, const ns_http_request* request, ns_http_response* response) {
    try {
        const auto& handler = network::detail::held<http_handler>(ud);
        fill(response, handler(context_of(request)));
        return 0;
    } catch (...) {
        return 1;
    }
}

inline void on_error(void* ud, const ns_http_error_info* info, ns_http_response* response) {
    try {
        internal::http_error e;
        e.code = static_cast<internal::http_error_code>(info->status);
        e.message = view_string(info->message);
        e.detail = view_string(info->detail);
        e.request_id = view_string(info->request);
        fill(response, network::detail::held<error_handler>(ud)(e));
    } catch (...) {
        // The response stays the bare error status.
    }
}

}  // namespace http_detail

/// An HTTP server: HTTP/1.1 and HTTP/2 (h2 through ALPN with TLS, h2c with prior knowledge
/// without) on one port. Routes are tried in registration order; `:name` in a pattern matches
/// one path segment (part). Handlers run on library threads, several at once; a handler that
/// throws is answered 500 and the server keeps serving. Options apply at the next start().
class http_server : public std::enable_shared_from_this<http_server> {
public:
    explicit http_server(const std::string& server_id) : handle_(ns_http_server_new()), server_id_(server_id) {}
    ~http_server() { ns_http_server_free(handle_); }
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    /// Binds 0.0.0.0:port (or the bind address; 0 picks a free port, see port()) and serves.
    /// -661 when running, -662 when the port is taken, -606 for unusable TLS material.
    VoidResult start(unsigned short port) {
        ns_result r = apply_options();
        if (r == NS_OK) r = ns_http_server_start(handle_, port);
        return network::detail::to_result(r, "http_server");
    }
    /// Stops accepting, lets requests in progress finish (up to the drain timeout) and returns
    /// when no handler runs any more (inside a handler it only starts the stop).
    VoidResult stop() { return network::detail::to_result(ns_http_server_stop(handle_), "http_server"); }
    /// Blocks until stopped (returns at once inside a handler).
    auto wait_for_stop() -> void { ns_http_server_wait_for_stop(handle_); }

    auto get(const std::string& pattern, http_handler handler) -> void { route("GET", pattern, std::move(handler)); }
    auto post(const std::string& pattern, http_handler handler) -> void { route("POST", pattern, std::move(handler)); }
    auto put(const std::string& pattern, http_handler handler) -> void { route("PUT", pattern, std::move(handler)); }
    auto del(const std::string& pattern, http_handler handler) -> void { route("DELETE", pattern, std::move(handler)); }
    auto patch(const std::string& pattern, http_handler handler) -> void { route("PATCH", pattern, std::move(handler)); }
    auto head(const std::string& pattern, http_handler handler) -> void { route("HEAD", pattern, std::move(handler)); }
    auto options(const std::string& pattern, http_handler handler) -> void { route("OPTIONS", pattern, std::move(handler)); }

    /// Any method ("*" for all). A pattern that does not compile (no leading '/', ':' without
    /// a name) is refused: -1, also returned here (the original's route setters return void).
    VoidResult route(const std::string& method, const std::string& pattern, http_handler handler) {
        using H = network::detail::holder<http_handler>;
        void* held = network::detail::make_holder(std::move(handler));
        const ns_result r = ns_http_server_route(handle_, method.c_str(), pattern.c_str(), &http_detail::on_request, held, &H::release);
        if (r != NS_OK) H::release(held);  // a refused route does not take the user data
        return network::detail::to_result(r, "http_server");
    }

    /// Answers requests no route matches (default: 404 through the error handlers).
    auto set_not_found_handler(http_handler handler) -> void {
        set(handler, [this](auto fn, void* ud, auto rel) { return ns_http_server_set_not_found_handler(handle_, fn, ud, rel); });
    }
    /// Answers requests whose handler threw (default: 500 through the error handlers).
    auto set_error_handler(http_handler handler) -> void {
        set(handler, [this](auto fn, void* ud, auto rel) { return ns_http_server_set_failure_handler(handle_, fn, ud, rel); });
    }
    /// Builds the response for errors with this status (400, 404, 405, 408, 413, 500, 503).
    auto set_error_handler(internal::http_error_code code, error_handler handler) -> void {
        set_error(handler, [this, code](auto fn, void* ud, auto rel) {
            return ns_http_server_set_error_handler(handle_, static_cast<int32_t>(code), fn, ud, rel);
        });
    }
    /// Builds the response for errors without a handler of their own.
    auto set_default_error_handler(error_handler handler) -> void {
        set_error(handler, [this](auto fn, void* ud, auto rel) { return ns_http_server_set_default_error_handler(handle_, fn, ud, rel); });
    }

    /// Enforced: headers within it (else the connection closes; also an idle keep-alive
    /// connection), then the body within it (else 408). Default 30 s. (The original stored it
    /// and never enforced it.)
    auto set_request_timeout(std::chrono::milliseconds timeout) -> void { request_timeout_ = timeout; }
    auto set_json_error_responses(bool enabled) -> void { json_errors_ = enabled; }
    /// gzip/deflate response bodies of at least the threshold when the client accepts it.
    auto set_compression_enabled(bool enabled) -> void { compression_ = enabled; }
    auto set_compression_threshold(size_t threshold_bytes) -> void { compression_threshold_ = threshold_bytes; }

    // ---- Additions ----
    auto set_bind_address(const std::string& address) -> void { bind_address_ = address; }
    auto set_max_connections(std::size_t max) -> void { max_connections_ = max; }
    /// Largest request line + headers (default 64 KiB; larger → 431).
    auto set_max_header_size(std::size_t bytes) -> void { max_header_bytes_ = bytes; }
    /// Largest request body (default 10 MiB; larger → 413).
    auto set_max_body_size(std::size_t bytes) -> void { max_body_bytes_ = bytes; }
    /// Handlers that block for long (database queries, sleeps, slow services): each call first
    /// moves the library thread's other work elsewhere, at a cost per request. Default off:
    /// handlers must return quickly.
    auto set_blocking_handlers(bool enabled) -> void { blocking_handlers_ = enabled; }
    /// How long stop() lets requests in progress finish (default 5 s).
    auto set_drain_timeout(std::chrono::milliseconds timeout) -> void { drain_timeout_ = timeout; }
    /// https (ALPN h2 + http/1.1 unless settings.alpn names protocols).
    auto set_tls(const tls_server_settings& settings) -> void { tls_ = settings; }
    /// The bound port while running, else 0.
    [[nodiscard]] unsigned short port() const {
        uint16_t p = 0;
        return ns_http_server_port(handle_, &p) == NS_OK ? p : 0;
    }
    [[nodiscard]] bool is_running() const { return ns_http_server_is_running(handle_); }
    [[nodiscard]] std::size_t connection_count() const { return ns_http_server_connection_count(handle_); }
    /// Connections, requests (messages_in), responses (messages_out), body bytes, errors.
    [[nodiscard]] network_stats get_stats() const { return network::detail::read_stats(handle_, &ns_http_server_get_stats); }
    [[nodiscard]] const std::string& server_id() const { return server_id_; }

private:
    template <typename Setter>
    void set(http_handler& handler, Setter setter) {
        using H = network::detail::holder<http_handler>;
        if (!handler) {
            setter(nullptr, nullptr, nullptr);
            return;
        }
        void* held = network::detail::make_holder(std::move(handler));
        if (setter(&http_detail::on_request, held, &H::release) != NS_OK) H::release(held);
    }
    template <typename Setter>
    void set_error(error_handler& handler, Setter setter) {
        using H = network::detail::holder<error_handler>;
        if (!handler) {
            setter(nullptr, nullptr, nullptr);
            return;
        }
        void* held = network::detail::make_holder(std::move(handler));
        if (setter(&http_detail::on_error, held, &H::release) != NS_OK) H::release(held);
    }

    ns_result apply_options() {
        ns_result r = ns_http_server_set_bind_address(handle_, bind_address_.c_str());
        if (r == NS_OK) r = ns_http_server_set_request_timeout_ms(handle_, network::detail::to_ms(request_timeout_));
        if (r == NS_OK) r = ns_http_server_set_json_errors(handle_, json_errors_);
        if (r == NS_OK) r = ns_http_server_set_compression(handle_, compression_, compression_threshold_);
        if (r == NS_OK) r = ns_http_server_set_max_connections(handle_, max_connections_);
        if (r == NS_OK) r = ns_http_server_set_max_header_bytes(handle_, max_header_bytes_);
        if (r == NS_OK) r = ns_http_server_set_max_body_bytes(handle_, max_body_bytes_);
        if (r == NS_OK) r = ns_http_server_set_blocking_handlers(handle_, blocking_handlers_);
        if (r == NS_OK) r = ns_http_server_set_drain_timeout_ms(handle_, network::detail::to_ms(drain_timeout_));
        if (r == NS_OK && tls_) r = detail::apply_tls(handle_, *tls_, &ns_http_server_set_tls);
        return r;
    }

    ns_http_server* handle_;
    std::string server_id_;
    std::string bind_address_ = "0.0.0.0";
    std::chrono::milliseconds request_timeout_{30000};
    bool json_errors_ = false;
    bool compression_ = false;
    std::size_t compression_threshold_ = 1024;
    std::size_t max_connections_ = 1000;
    std::size_t max_header_bytes_ = 64 * 1024;
    std::size_t max_body_bytes_ = 10 * 1024 * 1024;
    bool blocking_handlers_ = false;
    std::chrono::milliseconds drain_timeout_{5000};
    std::optional<tls_server_settings> tls_;
};

}  // namespace kcenon::network::core

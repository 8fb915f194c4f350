// kcenon::network::core::http_client / http_url — HTTP/1.1 and HTTP/2 client (http and https),
// source-compatible with the original's http_client.h.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../../core/tls_options.h"
#include "../../detail/c_api.h"
#include "http_types.h"

namespace kcenon::network::core {

/// A parsed absolute http:// or https:// URL.
struct http_url {
    std::string scheme, host;  ///< host without the brackets of an IPv6 literal
    unsigned short port = 0;   ///< explicit, else 80/443
    std::string path;          ///< "/" when none
    std::map<std::string, std::string> query;

    /// -1 with a message for anything that is not an absolute http(s) URL with a host.
    static Result<http_url> parse(const std::string& url) {
        ns_http_url* u = nullptr;
        const ns_result r = ns_http_url_parse(url.c_str(), &u);
        if (r != NS_OK) return Result<http_url>::err(r, ns_last_error_message(), "http_client");
        http_url out;
        out.scheme = network::detail::view_string(ns_http_url_scheme(u));
        out.host = network::detail::view_string(ns_http_url_host(u));
        out.port = ns_http_url_port(u);
        out.path = network::detail::view_string(ns_http_url_path(u));
        const std::size_t n = ns_http_url_query_count(u);
        for (std::size_t i = 0; i < n; ++i) {
            ns_http_str k{}, v{};
            if (ns_http_url_query_at(u, i, &k, &v) == NS_OK) out.query.emplace(network::detail::view_string(k), network::detail::view_string(v));
        }
        ns_http_url_free(u);
        return out;
    }
    unsigned short get_default_port() const { return scheme == "https" ? 443 : 80; }
};

/// An HTTP client with a connection pool (keep-alive; HTTP/1.1, and HTTP/2 when an https
/// server offers it). Requests block the calling thread until the whole response is read or
/// the timeout passes; the *_async forms return at once and call back on a library thread.
/// Verification of https certificates is on (system roots; set_tls() for others). Responses
/// are decompressed; redirects are not followed unless enabled. Any status is a success.
class http_client : public std::enable_shared_from_this<http_client> {
public:
    using headers_t = std::map<std::string, std::string>;
    using response_callback = std::function<void(Result<internal::http_response>)>;

    http_client() : http_client(std::chrono::milliseconds(30000)) {}
    explicit http_client(std::chrono::milliseconds timeout_ms) : handle_(ns_http_client_new(network::detail::to_ms(timeout_ms))) {}
    /// Cancels asynchronous requests in flight (their callbacks get -5) and releases the pool.
    ~http_client() { ns_http_client_free(handle_); }
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    Result<internal::http_response> get(const std::string& url, const headers_t& query = {}, const headers_t& headers = {}) {
        return request("GET", url, query, headers, nullptr, 0);
    }
    Result<internal::http_response> post(const std::string& url, const std::string& body, const headers_t& headers = {}) {
        return request("POST", url, {}, headers, body.data(), body.size());
    }
    Result<internal::http_response> post(const std::string& url, const std::vector<uint8_t>& body, const headers_t& headers = {}) {
        return request("POST", url, {}, headers, body.data(), body.size());
    }
    Result<internal::http_response> put(const std::string& url, const std::string& body, const headers_t& headers = {}) {
        return request("PUT", url, {}, headers, body.data(), body.size());
    }
    Result<internal::http_response> del(const std::string& url, const headers_t& headers = {}) {
        return request("DELETE", url, {}, headers, nullptr, 0);
    }
    Result<internal::http_response> head(const std::string& url, const headers_t& headers = {}) {
        return request("HEAD", url, {}, headers, nullptr, 0);
    }
    Result<internal::http_response> patch(const std::string& url, const std::string& body, const headers_t& headers = {}) {
        return request("PATCH", url, {}, headers, body.data(), body.size());
    }

    /// Not connected in time → -602; no complete response in time → -4.
    void set_timeout(std::chrono::milliseconds timeout) { ns_http_client_set_timeout_ms(handle_, network::detail::to_ms(timeout)); }
    std::chrono::milliseconds get_timeout() const {
        return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(ns_http_client_timeout_ms(handle_)));
    }

    // ---- Additions ----
    /// Requests (messages_out) and their body bytes, complete responses (messages_in) and
    /// their body bytes, failed requests (errors), since creation.
    [[nodiscard]] network_stats stats() const { return network::detail::read_stats(handle_, &ns_http_client_get_stats); }

    /// Any method; `query` is appended to the URL's query. Errors: -1 bad URL or arguments,
    /// -601 refused, -607 unresolvable, -602/-4 timeouts, -605/-606 TLS, -603 closed early,
    /// -642 body over the limit, -644 protocol error or too many redirects.
    Result<internal::http_response> request(const std::string& method, const std::string& url, const headers_t& query,
                                            const headers_t& headers, const void* body, std::size_t body_len) {
        const auto q = pairs(query), h = pairs(headers);
        ns_http_response* resp = nullptr;
        const ns_result r = ns_http_client_request(handle_, method.c_str(), url.c_str(), q.data(), q.size(), h.data(), h.size(),
                                                   static_cast<const uint8_t*>(body), body_len, &resp);
        if (r != NS_OK) return Result<internal::http_response>::err(r, ns_last_error_message(), "http_client");
        internal::http_response out = convert(resp);
        ns_http_response_free(resp);
        return out;
    }
    /// Starts a request and returns at once; `callback` runs once on a library thread with the
    /// response or the error (-5 when the client is destroyed first). An error starting it
    /// (bad arguments) is returned and the callback does not run.
    VoidResult request_async(const std::string& method, const std::string& url, const headers_t& query, const headers_t& headers,
                             const std::vector<uint8_t>& body, response_callback callback) {
        using H = network::detail::holder<response_callback>;
        const auto q = pairs(query), h = pairs(headers);
        return network::detail::to_result(
            ns_http_client_request_async(handle_, method.c_str(), url.c_str(), q.data(), q.size(), h.data(), h.size(), body.data(),
                                         body.size(), &on_response, network::detail::make_holder(std::move(callback)), &H::release),
            "http_client");
    }
    VoidResult get_async(const std::string& url, response_callback callback, const headers_t& headers = {}) {
        return request_async("GET", url, {}, headers, {}, std::move(callback));
    }
    VoidResult post_async(const std::string& url, const std::string& body, response_callback callback, const headers_t& headers = {}) {
        return request_async("POST", url, {}, headers, std::vector<uint8_t>(body.begin(), body.end()), std::move(callback));
    }

    /// https trust and verification (the pool starts afresh).
    VoidResult set_tls(const tls_client_settings& settings) {
        return network::detail::to_result(detail::apply_tls(handle_, settings, &ns_http_client_set_tls), "http_client");
    }
    /// Follow 301/302/303/307/308 up to `max_redirects` times (default off).
    void set_follow_redirects(bool enabled, std::size_t max_redirects = 10) {
        ns_http_client_set_follow_redirects(handle_, enabled, max_redirects);
    }
    /// HTTP/2 without negotiation on http:// (h2c prior knowledge).
    void set_http2_prior_knowledge(bool enabled) { ns_http_client_set_http2_prior_knowledge(handle_, enabled); }
    /// Ask for gzip/deflate and decode (default on).
    void set_decompress(bool enabled) { ns_http_client_set_decompress(handle_, enabled); }
    /// Largest response body (default 100 MiB; larger → -642).
    void set_max_response_size(std::size_t bytes) { ns_http_client_set_max_response_bytes(handle_, bytes); }

private:
    static std::vector<ns_http_pair> pairs(const headers_t& m) {
        std::vector<ns_http_pair> out;
        out.reserve(m.size());
        for (const auto& [k, v] : m) out.push_back(ns_http_pair{k.c_str(), v.c_str()});
        return out;
    }

    static internal::http_response convert(const ns_http_response* resp) {
        internal::http_response out;
        out.status_code = ns_http_response_status(resp);
        out.status_message = network::detail::view_string(ns_http_response_reason(resp));
        const int32_t v = ns_http_response_version(resp);
        out.version = v == NS_HTTP_VERSION_2   ? internal::http_version::HTTP_2_0
                      : v == NS_HTTP_VERSION_1_0 ? internal::http_version::HTTP_1_0
                                                 : internal::http_version::HTTP_1_1;
        const std::size_t n = ns_http_response_header_count(resp);
        for (std::size_t i = 0; i < n; ++i) {
            ns_http_str k{}, val{};
            if (ns_http_response_header_at(resp, i, &k, &val) != NS_OK) continue;
            std::string name = network::detail::view_string(k);
            const char* sep = name == "set-cookie" ? "\n" : ", ";
            auto [it, inserted] = out.headers.try_emplace(std::move(name), network::detail::view_string(val));
            if (!inserted) it->second += sep + network::detail::view_string(val);
        }
        const ns_http_str body = ns_http_response_body(resp);
        const auto* data = reinterpret_cast<const uint8_t*>(body.data);
        if (body.len) out.body.assign(data, data + body.len);
        return out;
    }

    static void on_response(void* ud, ns_result code, const char* message, const ns_http_response* resp) {
        auto& callback = network::detail::held<response_callback>(ud);
        if (!callback) return;
        try {
            if (code != NS_OK)
                callback(Result<internal::http_response>::err(code, message ? message : "", "http_client"));
            else
                callback(convert(resp));
        } catch (...) {
            // An exception must not cross into the library; the request is over either way.
        }
    }

    ns_http_client* handle_;
};

}  // namespace kcenon::network::core

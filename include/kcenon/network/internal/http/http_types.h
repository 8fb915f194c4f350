// kcenon::network::internal HTTP types (http_method, http_version, cookie, multipart_file,
// http_request, http_response and helpers), as in the original's http_types.h.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "../../types/result.h"

namespace kcenon::network::internal {

enum class http_method { HTTP_GET, HTTP_POST, HTTP_PUT, HTTP_DELETE, HTTP_HEAD, HTTP_OPTIONS, HTTP_PATCH, HTTP_CONNECT, HTTP_TRACE };
enum class http_version { HTTP_1_0, HTTP_1_1, HTTP_2_0 };

namespace http_detail {
inline bool iequals(const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}
/// Header lookup ignoring case (names from the network are lower case).
inline std::optional<std::string> find_header(const std::map<std::string, std::string>& headers, const std::string& name) {
    auto it = headers.find(name);
    if (it != headers.end()) return it->second;
    for (const auto& [k, v] : headers)
        if (iequals(k, name)) return v;
    return std::nullopt;
}
/// Sets a header, replacing any of that name in another case.
inline void set_header(std::map<std::string, std::string>& headers, const std::string& name, const std::string& value) {
    for (auto it = headers.begin(); it != headers.end();) it = iequals(it->first, name) ? headers.erase(it) : std::next(it);
    headers[name] = value;
}
}  // namespace http_detail

/// A cookie to set (server side). to_header_value() is the Set-Cookie value.
struct cookie {
    std::string name, value, path, domain, expires;
    int max_age = -1;  ///< -1: no Max-Age
    bool secure = false;
    bool http_only = false;
    std::string same_site;  ///< "Strict", "Lax", "None" or empty

    std::string to_header_value() const {
        std::string out = name + "=" + value;
        if (!path.empty()) out += "; Path=" + path;
        if (!domain.empty()) out += "; Domain=" + domain;
        if (!expires.empty()) out += "; Expires=" + expires;
        if (max_age >= 0) out += "; Max-Age=" + std::to_string(max_age);
        if (secure) out += "; Secure";
        if (http_only) out += "; HttpOnly";
        if (!same_site.empty()) out += "; SameSite=" + same_site;
        return out;
    }
};

/// One uploaded file of a multipart/form-data request.
struct multipart_file {
    std::string field_name, filename, content_type;
    std::vector<uint8_t> content;
};

/// A request as a handler sees it: `uri` is the target as sent (path and query), header names
/// are lower case, the body is whole (de-chunked), query/cookies/form/files parsed.
struct http_request {
    http_method method = http_method::HTTP_GET;
    std::string uri;
    http_version version = http_version::HTTP_1_1;
    std::map<std::string, std::string> headers;  ///< repeated headers joined with ", "
    std::vector<uint8_t> body;
    std::map<std::string, std::string> query_params, cookies, form_data;
    std::map<std::string, multipart_file> files;  ///< by form field name

    /// The header's value, case-insensitive.
    std::optional<std::string> get_header(const std::string& name) const { return http_detail::find_header(headers, name); }
    void set_header(const std::string& name, const std::string& value) { http_detail::set_header(headers, name, value); }
    std::string get_body_string() const { return std::string(body.begin(), body.end()); }
    void set_body_string(const std::string& s) { body.assign(s.begin(), s.end()); }
};

/// A response: what a handler returns, or what http_client received (header names lower case,
/// repeated headers joined with ", ", Set-Cookie values with "\n"; body decoded from
/// gzip/deflate).
struct http_response {
    int status_code = 200;
    std::string status_message = "OK";  ///< sent only when it is not the standard phrase
    http_version version = http_version::HTTP_1_1;
    std::map<std::string, std::string> headers;
    std::vector<uint8_t> body;
    std::vector<cookie> set_cookies;
    bool use_chunked_encoding = false;  ///< Transfer-Encoding: chunked (HTTP/1.1)

    std::optional<std::string> get_header(const std::string& name) const { return http_detail::find_header(headers, name); }
    void set_header(const std::string& name, const std::string& value) { http_detail::set_header(headers, name, value); }
    std::string get_body_string() const { return std::string(body.begin(), body.end()); }
    void set_body_string(const std::string& s) { body.assign(s.begin(), s.end()); }
    void set_cookie(const std::string& name, const std::string& value, const std::string& path = "/", int max_age = -1,
                    bool http_only = true, bool secure = false, const std::string& same_site = "") {
        cookie c;
        c.name = name;
        c.value = value;
        c.path = path;
        c.max_age = max_age;
        c.http_only = http_only;
        c.secure = secure;
        c.same_site = same_site;
        set_cookies.push_back(std::move(c));
    }
};

inline std::string http_method_to_string(http_method m) {
    switch (m) {
        case http_method::HTTP_GET: return "GET";
        case http_method::HTTP_POST: return "POST";
        case http_method::HTTP_PUT: return "PUT";
        case http_method::HTTP_DELETE: return "DELETE";
        case http_method::HTTP_HEAD: return "HEAD";
        case http_method::HTTP_OPTIONS: return "OPTIONS";
        case http_method::HTTP_PATCH: return "PATCH";
        case http_method::HTTP_CONNECT: return "CONNECT";
        case http_method::HTTP_TRACE: return "TRACE";
    }
    return "GET";
}

/// The method named by `s` (exact, upper case as on the wire); -1 for another.
inline Result<http_method> string_to_http_method(const std::string& s) {
    for (auto m : {http_method::HTTP_GET, http_method::HTTP_POST, http_method::HTTP_PUT, http_method::HTTP_DELETE,
                   http_method::HTTP_HEAD, http_method::HTTP_OPTIONS, http_method::HTTP_PATCH, http_method::HTTP_CONNECT,
                   http_method::HTTP_TRACE})
        if (http_method_to_string(m) == s) return m;
    return Result<http_method>::err(-1, "unknown HTTP method: " + s, "http");
}

inline std::string http_version_to_string(http_version v) {
    switch (v) {
        case http_version::HTTP_1_0: return "HTTP/1.0";
        case http_version::HTTP_1_1: return "HTTP/1.1";
        case http_version::HTTP_2_0: return "HTTP/2.0";
    }
    return "HTTP/1.1";
}

inline Result<http_version> string_to_http_version(const std::string& s) {
    if (s == "HTTP/1.0") return http_version::HTTP_1_0;
    if (s == "HTTP/1.1") return http_version::HTTP_1_1;
    if (s == "HTTP/2.0" || s == "HTTP/2") return http_version::HTTP_2_0;
    return Result<http_version>::err(-1, "unknown HTTP version: " + s, "http");
}

/// The standard reason phrase of a status code ("Unknown" for one without).
inline std::string get_status_message(int status_code) {
    switch (status_code) {
        case 100: return "Continue";
        case 101: return "Switching Protocols";
        case 200: return "OK";
        case 201: return "Created";
        case 202: return "Accepted";
        case 204: return "No Content";
        case 206: return "Partial Content";
        case 301: return "Moved Permanently";
        case 302: return "Found";
        case 303: return "See Other";
        case 304: return "Not Modified";
        case 307: return "Temporary Redirect";
        case 308: return "Permanent Redirect";
        case 400: return "Bad Request";
        case 401: return "Unauthorized";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        case 406: return "Not Acceptable";
        case 408: return "Request Timeout";
        case 409: return "Conflict";
        case 410: return "Gone";
        case 411: return "Length Required";
        case 413: return "Payload Too Large";
        case 414: return "URI Too Long";
        case 415: return "Unsupported Media Type";
        case 429: return "Too Many Requests";
        case 431: return "Request Header Fields Too Large";
        case 500: return "Internal Server Error";
        case 501: return "Not Implemented";
        case 502: return "Bad Gateway";
        case 503: return "Service Unavailable";
        case 504: return "Gateway Timeout";
        case 505: return "HTTP Version Not Supported";
        default: return "Unknown";
    }
}

}  // namespace kcenon::network::internal

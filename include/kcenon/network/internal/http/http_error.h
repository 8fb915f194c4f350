// kcenon::network::internal::http_error_code / http_error, as in the original's http_error.h.
#pragma once

#include <chrono>
#include <string>

namespace kcenon::network::internal {

/// Standard 4xx/5xx status codes.
enum class http_error_code {
    bad_request = 400, unauthorized = 401, payment_required = 402, forbidden = 403, not_found = 404,
    method_not_allowed = 405, not_acceptable = 406, proxy_authentication_required = 407, request_timeout = 408,
    conflict = 409, gone = 410, length_required = 411, precondition_failed = 412, payload_too_large = 413,
    uri_too_long = 414, unsupported_media_type = 415, range_not_satisfiable = 416, expectation_failed = 417,
    im_a_teapot = 418, misdirected_request = 421, unprocessable_entity = 422, locked = 423, failed_dependency = 424,
    too_early = 425, upgrade_required = 426, precondition_required = 428, too_many_requests = 429,
    request_header_fields_too_large = 431, unavailable_for_legal_reasons = 451,
    internal_server_error = 500, not_implemented = 501, bad_gateway = 502, service_unavailable = 503,
    gateway_timeout = 504, http_version_not_supported = 505, variant_also_negotiates = 506,
    insufficient_storage = 507, loop_detected = 508, not_extended = 510, network_authentication_required = 511
};

/// An error the server answers itself, handed to error handlers. `request_id` is
/// "METHOD target" of the request when one was read.
struct http_error {
    http_error_code code = http_error_code::internal_server_error;
    std::string message, detail, request_id;
    std::chrono::system_clock::time_point timestamp = std::chrono::system_clock::now();

    int status_code() const { return static_cast<int>(code); }
    bool is_client_error() const { return status_code() >= 400 && status_code() < 500; }
    bool is_server_error() const { return status_code() >= 500 && status_code() < 600; }
};

}  // namespace kcenon::network::internal

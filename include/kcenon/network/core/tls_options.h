// Options of secure_messaging_server / secure_messaging_client (TLS on rustls).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "options.h"

namespace kcenon::network::core {

/// Offered and accepted TLS versions.
enum class tls_versions {
    tls12_and_tls13 = NS_TLS_VERSIONS_1_2_AND_1_3,  ///< default
    tls13_only = NS_TLS_VERSIONS_1_3_ONLY,
    tls12_only = NS_TLS_VERSIONS_1_2_ONLY,
};

/// TLS settings of a server, for every protocol. Certificate and key come from files or from
/// PEM text (the text wins when set); keys may be PKCS#8, PKCS#1 or SEC1. Files are read at
/// start_server().
struct tls_server_settings {
    std::string cert_file, key_file;
    std::string cert_pem, key_pem;
    std::string client_ca_file, client_ca_pem;  ///< set one for mutual TLS
    bool require_client_cert = true;            ///< with a client CA: refuse clients without one
    std::vector<std::string> alpn;              ///< protocols in preference order
    tls_versions versions = tls_versions::tls12_and_tls13;
    std::chrono::milliseconds handshake_timeout{10000};
};

/// TLS settings of a client, for every protocol. Verification is on by default against the
/// system roots plus ca_file/ca_pem; the host given to start_client() is verified and sent as
/// SNI.
struct tls_client_settings {
    bool verify_cert = true;  ///< false accepts any certificate (a warning is logged)
    bool use_system_roots = true;
    std::string ca_file, ca_pem;
    std::string server_name;                ///< verify this name instead of the host
    std::vector<std::string> pins_sha256;   ///< hex SHA-256 of the whole DER leaf certificate
    std::string cert_file, key_file;        ///< client certificate (mutual TLS)
    std::string cert_pem, key_pem;
    std::vector<std::string> alpn;
    tls_versions versions = tls_versions::tls12_and_tls13;
    std::chrono::milliseconds handshake_timeout{10000};
};

/// Options of secure_messaging_server: TCP server options plus TLS settings.
struct tls_server_options : server_options, tls_server_settings {};

/// Options of secure_messaging_client: TCP client options plus TLS settings.
struct tls_client_options : client_options, tls_client_settings {};

namespace detail {

inline std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : ",") + i;
    return out;
}

inline ns_result fill(ns_tls_server_config* h, const tls_server_settings& o) {
    ns_result r = NS_OK;
    if (!o.cert_pem.empty() || !o.key_pem.empty())
        r = ns_tls_server_config_set_certificate_pem(h, o.cert_pem.c_str(), o.key_pem.c_str());
    else if (!o.cert_file.empty() || !o.key_file.empty())
        r = ns_tls_server_config_set_certificate_files(h, o.cert_file.c_str(), o.key_file.c_str());
    if (r == NS_OK && !o.client_ca_pem.empty())
        r = ns_tls_server_config_set_client_ca_pem(h, o.client_ca_pem.c_str(), o.require_client_cert);
    else if (r == NS_OK && !o.client_ca_file.empty())
        r = ns_tls_server_config_set_client_ca_file(h, o.client_ca_file.c_str(), o.require_client_cert);
    if (r == NS_OK) r = ns_tls_server_config_set_alpn(h, join(o.alpn).c_str());
    if (r == NS_OK) r = ns_tls_server_config_set_versions(h, static_cast<int32_t>(o.versions));
    if (r == NS_OK) r = ns_tls_server_config_set_handshake_timeout_ms(h, network::detail::to_ms(o.handshake_timeout));
    return r;
}

inline ns_result fill(ns_tls_client_config* h, const tls_client_settings& o) {
    ns_result r = ns_tls_client_config_set_system_roots(h, o.use_system_roots);
    if (r == NS_OK && !o.ca_pem.empty()) r = ns_tls_client_config_set_ca_pem(h, o.ca_pem.c_str());
    else if (r == NS_OK && !o.ca_file.empty()) r = ns_tls_client_config_set_ca_file(h, o.ca_file.c_str());
    if (r == NS_OK && !o.server_name.empty()) r = ns_tls_client_config_set_server_name(h, o.server_name.c_str());
    for (const auto& pin : o.pins_sha256)
        if (r == NS_OK) r = ns_tls_client_config_add_pin_sha256(h, pin.c_str());
    if (r == NS_OK && (!o.cert_pem.empty() || !o.key_pem.empty()))
        r = ns_tls_client_config_set_certificate_pem(h, o.cert_pem.c_str(), o.key_pem.c_str());
    else if (r == NS_OK && (!o.cert_file.empty() || !o.key_file.empty()))
        r = ns_tls_client_config_set_certificate_files(h, o.cert_file.c_str(), o.key_file.c_str());
    if (r == NS_OK) r = ns_tls_client_config_set_alpn(h, join(o.alpn).c_str());
    if (r == NS_OK) r = ns_tls_client_config_set_versions(h, static_cast<int32_t>(o.versions));
    if (r == NS_OK) r = ns_tls_client_config_set_handshake_timeout_ms(h, network::detail::to_ms(o.handshake_timeout));
    return r;
}

/// Builds a TLS configuration from `o` and hands it to `handle` with `set` (which copies it);
/// returns the first error.
template <typename Handle, typename SetTls>
ns_result apply_tls(Handle* handle, const tls_server_settings& o, SetTls set) {
    ns_tls_server_config* c = ns_tls_server_config_new();
    ns_result r = c ? fill(c, o) : NS_ERR_OUT_OF_MEMORY;
    if (r == NS_OK) r = set(handle, c);
    ns_tls_server_config_free(c);
    return r;
}

template <typename Handle, typename SetTls>
ns_result apply_tls(Handle* handle, const tls_client_settings& o, SetTls set) {
    ns_tls_client_config* c = ns_tls_client_config_new(o.verify_cert);
    ns_result r = c ? fill(c, o) : NS_ERR_OUT_OF_MEMORY;
    if (r == NS_OK) r = set(handle, c);
    ns_tls_client_config_free(c);
    return r;
}

}  // namespace detail
}  // namespace kcenon::network::core

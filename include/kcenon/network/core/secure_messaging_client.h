// kcenon::network::core::secure_messaging_client — TLS client, source-compatible with the
// original: start_client() returns after the handshake completed or failed.
#pragma once

#include <string>
#include <string_view>

#include "messaging_client.h"
#include "tls_options.h"

namespace kcenon::network::core {

class secure_messaging_client : public messaging_client {
public:
    /// With `verify_cert` (default) the server certificate and host name are verified against
    /// the system roots; false accepts any certificate and logs a warning.
    explicit secure_messaging_client(std::string_view client_id, bool verify_cert = true)
        : secure_messaging_client(client_id, verifying(verify_cert)) {}

    secure_messaging_client(std::string_view client_id, const tls_client_options& options)
        : messaging_client(client_id, options, ns_tcp_client_new(), true) {
        remember(detail::apply_tls(handle(), options, ns_tcp_client_set_tls));
    }

    // start_client() (inherited, also through a messaging_client&) connects and runs the
    // handshake; it returns when that completed (ok; the connected callback runs too) or
    // failed: -601/-600/-602 connect, -602 handshake timeout, -605 handshake failed, -606
    // certificate refused or unusable (the message says why), -664 running.

    /// Negotiated TLS version of the current connection ("TLSv1.3"…); empty when not connected.
    [[nodiscard]] std::string tls_version() const { return with_session(network::detail::session_tls_version); }
    /// Negotiated ALPN protocol of the current connection; empty when none.
    [[nodiscard]] std::string alpn_protocol() const { return with_session(network::detail::session_alpn); }

private:
    static tls_client_options verifying(bool verify) {
        tls_client_options o;
        o.verify_cert = verify;
        return o;
    }

    template <typename F>
    std::string with_session(F read) const {
        ns_tcp_session* s = ns_tcp_client_get_session(handle());
        if (!s) return {};
        std::string out = read(s);
        ns_tcp_session_release(s);
        return out;
    }
};

}  // namespace kcenon::network::core

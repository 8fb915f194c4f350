// kcenon::network::core::secure_messaging_server — TLS server, source-compatible with the
// original. Same behaviour and callbacks as messaging_server over TLS 1.2/1.3 (rustls).
#pragma once

#include <string>
#include <string_view>

#include "../session/secure_session.h"
#include "messaging_server.h"
#include "tls_options.h"

namespace kcenon::network::core {

class secure_messaging_server : public messaging_server {
public:
    /// Certificate chain and key from PEM files (read at start_server: a missing or malformed
    /// file makes it return -606 naming the file; the original threw here).
    secure_messaging_server(std::string_view server_id, const std::string& cert_file, const std::string& key_file)
        : secure_messaging_server(server_id, files(cert_file, key_file)) {}

    secure_messaging_server(std::string_view server_id, const tls_server_options& options)
        : messaging_server(std::string(server_id), options, ns_tcp_server_new()) {
        remember(detail::apply_tls(handle(), options, ns_tcp_server_set_tls));
    }

private:
    static tls_server_options files(const std::string& cert_file, const std::string& key_file) {
        tls_server_options o;
        o.cert_file = cert_file;
        o.key_file = key_file;
        return o;
    }
};

}  // namespace kcenon::network::core

// kcenon::network::session::secure_session — a TLS server's session. Same type as
// messaging_session (TLS shares the connection layer); tls_version() and alpn_protocol() tell
// what was negotiated.
#pragma once

#include "messaging_session.h"

namespace kcenon::network::session {
using secure_session = messaging_session;
}

// Umbrella header: everything network_system offers to C++.
#pragma once

#include <network_system.h>

#include "core/messaging_client.h"
#include "core/messaging_server.h"
#include "core/messaging_udp_client.h"
#include "core/messaging_udp_server.h"
#include "core/messaging_ws_client.h"
#include "core/messaging_ws_server.h"
#include "core/secure_messaging_client.h"
#include "core/secure_messaging_server.h"
#include "detail/legacy_names.h"
#include "session/messaging_session.h"
#include "session/secure_session.h"
#include "types/result.h"

namespace kcenon::network {

/// Optional, as in the original: starts the shared runtime now instead of on first use.
inline VoidResult initialize() { return detail::to_result(ns_runtime_init(), "network_system"); }
/// The runtime lives until the process exits; kept for source compatibility.
inline VoidResult shutdown() { return ok(); }
inline bool is_initialized() { return true; }

}  // namespace kcenon::network

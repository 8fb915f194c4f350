// kcenon::network::interfaces::i_server — the original's copy of i_protocol_server; here the
// same type.
#pragma once

#include "i_protocol_server.h"

namespace kcenon::network::interfaces {
using i_server = i_protocol_server;
}  // namespace kcenon::network::interfaces

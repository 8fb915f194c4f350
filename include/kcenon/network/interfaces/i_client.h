// kcenon::network::interfaces::i_client — the original's copy of i_protocol_client; here the
// same type.
#pragma once

#include "i_protocol_client.h"

namespace kcenon::network::interfaces {
using i_client = i_protocol_client;
}  // namespace kcenon::network::interfaces

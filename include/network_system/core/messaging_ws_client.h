// Legacy include path of the original (2025); forwards to the canonical header.
#pragma once
#include <kcenon/network/core/messaging_ws_client.h>

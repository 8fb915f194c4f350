// Legacy include path of the original (2025); forwards to the canonical header.
#pragma once
#include <kcenon/network/core/secure_messaging_udp_client.h>

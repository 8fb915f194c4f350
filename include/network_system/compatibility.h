// Compatibility layer of the original (removed there on 2025-12-31): network_module and
// messaging names, and namespace network_system as an alias of kcenon::network.
#pragma once
#include <kcenon/network/detail/legacy_names.h>

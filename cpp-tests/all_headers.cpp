// Compiles every public header together (built as C++17 and C++20 with -Wall -Wextra -Wpedantic -Werror).
#include <kcenon/network/core/messaging_client.h>
#include <kcenon/network/core/messaging_server.h>
#include <kcenon/network/core/messaging_udp_client.h>
#include <kcenon/network/core/messaging_udp_server.h>
#include <kcenon/network/core/options.h>
#include <kcenon/network/core/udp_options.h>
#include <kcenon/network/interfaces/i_udp_client.h>
#include <kcenon/network/interfaces/i_udp_server.h>
#include <kcenon/network/internal/core/messaging_udp_client.h>
#include <kcenon/network/internal/core/messaging_udp_server.h>
#include <kcenon/network/core/secure_messaging_client.h>
#include <kcenon/network/core/secure_messaging_server.h>
#include <kcenon/network/core/tls_options.h>
#include <kcenon/network/internal/core/secure_messaging_client.h>
#include <kcenon/network/internal/core/secure_messaging_server.h>
#include <kcenon/network/session/secure_session.h>
#include <kcenon/network/internal/core/messaging_client.h>
#include <kcenon/network/internal/core/messaging_server.h>
#include <kcenon/network/network_system.h>
#include <kcenon/network/session/messaging_session.h>
#include <kcenon/network/types/result.h>
#include <network_system.h>
#include <network_system/compatibility.h>
#include <network_system/core/messaging_client.h>
#include <network_system/core/messaging_server.h>
#include <network_system/core/messaging_udp_client.h>
#include <network_system/core/messaging_udp_server.h>
#include <network_system/core/secure_messaging_client.h>
#include <network_system/core/secure_messaging_server.h>
#include <network_system/session/messaging_session.h>
#include <network_system/session/secure_session.h>
#include <network_system/utils/result_types.h>

int all_headers_compile() { return network_system::ok().is_ok() ? 0 : 1; }

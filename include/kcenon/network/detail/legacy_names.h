// The original's legacy names: namespace network_module (class aliases and factories) and
// namespace messaging. Included by the umbrella and compatibility headers.
#pragma once

#include <memory>
#include <string>

#include "../core/messaging_client.h"
#include "../core/messaging_server.h"
#include "../core/secure_messaging_client.h"
#include "../core/secure_messaging_server.h"

namespace network_module {
using messaging_server = ::kcenon::network::core::messaging_server;
using messaging_client = ::kcenon::network::core::messaging_client;
using messaging_session = ::kcenon::network::session::messaging_session;
using secure_messaging_server = ::kcenon::network::core::secure_messaging_server;
using secure_messaging_client = ::kcenon::network::core::secure_messaging_client;
using secure_session = ::kcenon::network::session::secure_session;

inline std::shared_ptr<messaging_server> create_server(const std::string& server_id) {
    return std::make_shared<messaging_server>(server_id);
}
inline std::shared_ptr<messaging_client> create_client(const std::string& client_id) {
    return std::make_shared<messaging_client>(client_id);
}
}  // namespace network_module

namespace messaging {
using namespace network_module;
}

// The C++ snippet through the legacy include paths and names of the original.
#include <network_system/compatibility.h>
#include <network_system/core/messaging_client.h>
#include <network_system/core/messaging_server.h>
#include <network_system/session/messaging_session.h>
#include <network_system/utils/result_types.h>
#include <network_system/core/messaging_ws_client.h>
#include <network_system/core/messaging_ws_server.h>

#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "test_util.h"

TEST(CompatSnippet, LegacyIncludePath) {
    // The snippet as written, but for the loopback bind address and port 0.
    auto server = std::make_shared<network_system::core::messaging_server>("MyServer");
    ASSERT_TRUE(server->set_options(test::loopback()).is_ok());
    server->set_receive_callback([](std::shared_ptr<network_system::session::messaging_session> s,
                                    const std::vector<uint8_t>& data) { s->send_packet(std::vector<uint8_t>(data)); });
    auto result = server->start_server(0);
    if (result.is_err()) { std::cerr << result.error().message << " (" << result.error().code << ")\n"; }
    ASSERT_TRUE(result.is_ok());

    test::watched<std::string> echo;
    test::counter connected;
    auto client = std::make_shared<network_system::core::messaging_client>("MyClient");
    client->set_receive_callback([&](const std::vector<uint8_t>& d) {
        echo.update([&](std::string& s) { s.append(d.begin(), d.end()); });
    });
    client->set_connected_callback([&] { connected.update([](std::size_t& n) { ++n; }); });
    if (!client->start_client("127.0.0.1", server->port())) { FAIL() << "start_client failed"; }
    ASSERT_TRUE(connected.wait([](std::size_t n) { return n == 1; }));
    auto r = client->send_packet(std::vector<uint8_t>{'h','i'});
    ASSERT_TRUE(r.is_ok());
    ASSERT_TRUE(echo.wait([](const std::string& s) { return s.size() >= 2; }));
    EXPECT_EQ(echo.get(), "hi");
    client->stop_client(); server->stop_server();
}

TEST(CompatSnippet, NetworkModuleNames) {
    auto server = network_module::create_server("MyServer");
    ASSERT_TRUE(server->set_options(test::loopback()).is_ok());
    server->set_receive_callback([](std::shared_ptr<network_module::messaging_session> s,
                                    const std::vector<uint8_t>& data) { s->send_packet(std::vector<uint8_t>(data)); });
    ASSERT_TRUE(server->start_server(0).is_ok());
    test::watched<std::string> echo;
    std::shared_ptr<messaging::messaging_client> client = network_module::create_client("MyClient");
    test::counter connected;
    client->set_connected_callback([&] { connected.update([](std::size_t& n) { ++n; }); });
    client->set_receive_callback([&](const std::vector<uint8_t>& d) {
        echo.update([&](std::string& s) { s.append(d.begin(), d.end()); });
    });
    ASSERT_TRUE(static_cast<bool>(client->start_client("127.0.0.1", server->port())));
    ASSERT_TRUE(connected.wait([](std::size_t n) { return n == 1; }));
    network_system::VoidResult r = client->send_packet(std::vector<uint8_t>{'o', 'k'});
    ASSERT_TRUE(r.is_ok());
    ASSERT_TRUE(echo.wait([](const std::string& s) { return s.size() >= 2; }));
    EXPECT_EQ(echo.get(), "ok");
}

TEST(CompatSnippet, ErrorConstantsKeepTheirValues) {
    namespace codes = kcenon::network::error_codes;
    EXPECT_EQ(codes::network_system::connection_failed, -600);
    EXPECT_EQ(codes::network_system::connection_closed, -603);
    EXPECT_EQ(codes::network_system::server_already_running, -661);
    EXPECT_EQ(codes::network_system::bind_failed, -662);
    EXPECT_EQ(codes::common_errors::invalid_argument, -1);
    EXPECT_EQ(codes::common_errors::internal_error, -99);
    EXPECT_EQ(kcenon::network::error_codes_ext::network_system::circuit_open, -604);
    EXPECT_EQ(network_system::make_error_code(-603).message(), "connection_closed");
    EXPECT_STREQ(network_system::network_category().name(), "network_system");
}

#include "ws_snippet.inc"

TEST(CompatSnippet, WebSocketLegacyIncludePath) { ws_snippet(); }

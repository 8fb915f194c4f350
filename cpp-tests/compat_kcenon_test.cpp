// The C++ snippet through the canonical include path (adapted: 127.0.0.1, port 0).
#include <kcenon/network/core/messaging_client.h>
#include <kcenon/network/core/messaging_server.h>
#include <kcenon/network/internal/http/websocket_client.h>
#include <kcenon/network/internal/http/websocket_server.h>

#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "test_util.h"

TEST(CompatSnippet, CanonicalIncludePath) {
    auto server = std::make_shared<network_system::core::messaging_server>("MyServer", test::loopback());
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
    auto r = client->send_packet(std::vector<uint8_t>{'h', 'i'});
    ASSERT_TRUE(r.is_ok()) << r.error().message;
    ASSERT_TRUE(echo.wait([](const std::string& s) { return s.size() >= 2; }));
    EXPECT_EQ(echo.get(), "hi");
    client->stop_client(); server->stop_server();
    EXPECT_FALSE(server->is_running());
    EXPECT_FALSE(client->is_running());
}

#include "ws_snippet.inc"

TEST(CompatSnippet, WebSocketInstalledIncludePath) { ws_snippet(); }

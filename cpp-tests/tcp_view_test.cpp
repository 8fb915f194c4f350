// Receive callbacks that take a view of the bytes instead of a std::vector copy: the
// (const uint8_t*, size_t) form, and std::span when compiled as C++20 (this file is built into
// cpp_tests as C++17 and into cpp_tests_cxx20). Byte for byte, with message boundaries.
#include <kcenon/network/network_system.h>

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "test_util.h"

using namespace kcenon::network;
using session_ptr = std::shared_ptr<session::messaging_session>;

namespace {

/// Framed echo through `server`, from a client whose receive callback is `install`ed; checks
/// that 150 messages up to 256 KiB come back whole and in order.
template <typename Install>
void echo_through(core::messaging_server& server, Install install) {
    ASSERT_TRUE(server.start_server(0).is_ok());
    core::client_options co;
    co.framing = framing::length_prefixed;
    core::messaging_client client("view", co);
    test::watched<std::vector<test::bytes>> got;
    install(client, [&](const uint8_t* data, std::size_t len) {
        got.update([&](auto& v) { v.emplace_back(data, data + len); });
    });
    test::watched<bool> connected;
    client.set_connected_callback([&] { connected.update([](bool& c) { c = true; }); });
    ASSERT_TRUE(client.start_client("127.0.0.1", server.port()).is_ok());
    ASSERT_TRUE(connected.wait([](bool c) { return c; }));
    std::mt19937 rng(20);
    std::vector<test::bytes> sent;
    for (int i = 0; i < 150; ++i) {
        sent.push_back(test::random_bytes(1 + (i % 10 == 9 ? rng() % (256 * 1024) : rng() % 2000), rng));
        ASSERT_TRUE(client.send_packet(test::bytes(sent.back())).is_ok());
    }
    ASSERT_TRUE(got.wait([&](const auto& v) { return v.size() >= sent.size(); }));
    const auto received = got.get();
    ASSERT_EQ(received.size(), sent.size());
    for (std::size_t i = 0; i < sent.size(); ++i) EXPECT_TRUE(received[i] == sent[i]) << "message " << i;
    (void)client.stop_client();
    (void)server.stop_server();
}

}  // namespace

TEST(TcpView, PointerAndLengthForms) {
    core::messaging_server server("view", test::loopback(framing::length_prefixed));
    server.set_receive_callback([](session_ptr s, const uint8_t* data, std::size_t len) {
        (void)s->send_packet(std::vector<uint8_t>(data, data + len));
    });
    echo_through(server, [](core::messaging_client& client, auto record) {
        client.set_receive_callback([record](const uint8_t* data, std::size_t len) { record(data, len); });
    });
}

TEST(TcpView, VectorFormsStillSelectedAndNullClears) {
    // A vector callback, a null one and a view one side by side: overload resolution picks
    // the form each was written for.
    core::messaging_server server("view", test::loopback(framing::length_prefixed));
    server.set_receive_callback(nullptr);
    server.set_receive_callback([](session_ptr s, const std::vector<uint8_t>& d) { (void)s->send_packet(std::vector<uint8_t>(d)); });
    echo_through(server, [](core::messaging_client& client, auto record) {
        client.set_receive_callback(nullptr);
        client.set_receive_callback([record](const std::vector<uint8_t>& d) { record(d.data(), d.size()); });
    });
}

#if NS_HAVE_SPAN
TEST(TcpView, SpanForms) {
    core::messaging_server server("view", test::loopback(framing::length_prefixed));
    server.set_receive_callback([](session_ptr s, std::span<const uint8_t> d) {
        (void)s->send_packet(std::vector<uint8_t>(d.begin(), d.end()));
    });
    echo_through(server, [](core::messaging_client& client, auto record) {
        client.set_receive_callback([record](std::span<const uint8_t> d) { record(d.data(), d.size()); });
    });
}
#endif

// kcenon::network::core::messaging_udp_server — UDP server, source-compatible with the original.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "udp_options.h"

namespace kcenon::network::core {

/// A UDP server: each received datagram is delivered whole with its sender; send_to replies.
/// Callbacks may be set before or after start (the original ignored setters after start).
class messaging_udp_server : public std::enable_shared_from_this<messaging_udp_server>, public interfaces::i_udp_server {
public:
    explicit messaging_udp_server(std::string_view server_id) : messaging_udp_server(server_id, udp_options{}) {}
    messaging_udp_server(std::string_view server_id, const udp_options& options)
        : handle_(ns_udp_server_new()), server_id_(server_id) {
        (void)set_options(options);
    }
    ~messaging_udp_server() noexcept override {
        ns_udp_server_stop(handle_);
        ns_udp_server_free(handle_);
    }
    messaging_udp_server(const messaging_udp_server&) = delete;
    messaging_udp_server& operator=(const messaging_udp_server&) = delete;

    /// Binds bind_address:port (0 = any; see port()). -661 running, -662 address in use.
    [[nodiscard]] VoidResult start_server(uint16_t port) {
        if (options_result_.is_err()) return options_result_;
        return network::detail::to_result(ns_udp_server_start(handle_, port), "messaging_udp_server");
    }
    VoidResult stop_server() { return network::detail::to_result(ns_udp_server_stop(handle_), "messaging_udp_server"); }
    [[nodiscard]] VoidResult start(uint16_t port) override { return start_server(port); }
    VoidResult stop() override { return stop_server(); }
    [[nodiscard]] bool is_running() const override { return ns_udp_server_is_running(handle_); }
    /// Blocks until stop_server() is called from another thread.
    void wait_for_stop() override { ns_udp_server_wait_for_stop(handle_); }
    [[nodiscard]] const std::string& server_id() const { return server_id_; }
    /// The bound port while running, else 0.
    [[nodiscard]] uint16_t port() const {
        uint16_t p = 0;
        return ns_udp_server_port(handle_, &p) == NS_OK ? p : 0;
    }

    /// One datagram to `endpoint`; `handler` (optional) is called inline with the outcome.
    /// -660 not running, -642 over 65507 bytes (IPv4) / 65527 (IPv6), -643 send buffer full.
    [[nodiscard]] VoidResult send_to(const endpoint_info& endpoint, std::vector<uint8_t>&& data,
                                     send_callback_t handler = nullptr) override {
        const ns_result code =
            ns_udp_server_send_to(handle_, endpoint.address.c_str(), endpoint.port, data.data(), data.size());
        return network::detail::finish_send(code, data.size(), handler, "messaging_udp_server");
    }

    /// Several datagrams to `endpoint` as one burst, in as few system calls as the kernel
    /// allows (not in the original). All or nothing: -642 if one is too large, -643 if the
    /// queue (4 MiB) has no room for all; later failures go to the error callback.
    [[nodiscard]] VoidResult send_batch_to(const endpoint_info& endpoint, const std::vector<std::vector<uint8_t>>& datagrams) {
        const std::string& address = endpoint.address;
        const uint16_t port = endpoint.port;
        const ns_result code = network::detail::send_messages(
            handle_, datagrams, [&](ns_udp_server* h, const uint8_t* const* data, const size_t* len, size_t count) {
                return ns_udp_server_send_batch_to(h, address.c_str(), port, data, len, count);
            });
        return network::detail::to_result(code, "messaging_udp_server");
    }

    void set_receive_callback(receive_callback_t callback) override {
        if (!callback) {
            ns_udp_server_set_receive_callback(handle_, nullptr, nullptr, nullptr);
            return;
        }
        ns_udp_server_set_receive_callback(handle_, &detail::on_datagram, network::detail::make_holder(std::move(callback)),
                                           &network::detail::holder<receive_callback_t>::release);
    }
    void set_error_callback(error_callback_t callback) override {
        if (!callback) {
            ns_udp_server_set_error_callback(handle_, nullptr, nullptr, nullptr);
            return;
        }
        ns_udp_server_set_error_callback(handle_, &detail::on_udp_error, network::detail::make_holder(std::move(callback)),
                                         &network::detail::holder<error_callback_t>::release);
    }

    /// Joins a multicast group; `interface_address` is the IPv4 address of the interface (IPv4
    /// groups) or the interface index (IPv6 groups), empty for the system's choice.
    [[nodiscard]] VoidResult join_multicast(const std::string& group, const std::string& interface_address = "") {
        return network::detail::to_result(
            ns_udp_server_join_multicast(handle_, group.c_str(), interface_address.empty() ? nullptr : interface_address.c_str()),
            "messaging_udp_server");
    }
    [[nodiscard]] VoidResult leave_multicast(const std::string& group, const std::string& interface_address = "") {
        return network::detail::to_result(
            ns_udp_server_leave_multicast(handle_, group.c_str(), interface_address.empty() ? nullptr : interface_address.c_str()),
            "messaging_udp_server");
    }

    /// Changes the options; before start only (else -661).
    [[nodiscard]] VoidResult set_options(const udp_options& o) {
        ns_result r = detail::udp_setters::apply(handle_, o, ns_udp_server_set_bind_address, ns_udp_server_set_broadcast,
                                                 ns_udp_server_set_buffer_sizes, ns_udp_server_set_multicast);
        if (r == NS_OK) r = ns_udp_server_set_reuse_address(handle_, o.reuse_address);
        options_result_ = network::detail::to_result(r, "messaging_udp_server");
        return options_result_;
    }

    /// messages_* count datagrams; dropped = not sent (buffer full) + dropped by the kernel.
    [[nodiscard]] network_stats stats() const { return network::detail::read_stats(handle_, ns_udp_server_get_stats); }

private:
    ns_udp_server* handle_;
    std::string server_id_;
    VoidResult options_result_ = ok();
};

}  // namespace kcenon::network::core

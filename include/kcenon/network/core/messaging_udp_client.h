// kcenon::network::core::messaging_udp_client — UDP client, source-compatible with the original.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "udp_options.h"

namespace kcenon::network::core {

/// A UDP client connected to one target: send() is one datagram to it, datagrams from it arrive
/// whole. ICMP "port unreachable" reaches the error callback (-601) and the client keeps working.
class messaging_udp_client : public std::enable_shared_from_this<messaging_udp_client>, public interfaces::i_udp_client {
public:
    explicit messaging_udp_client(std::string_view client_id) : messaging_udp_client(client_id, udp_options{}) {}
    messaging_udp_client(std::string_view client_id, const udp_options& options)
        : handle_(ns_udp_client_new()), client_id_(client_id) {
        (void)set_options(options);
    }
    ~messaging_udp_client() noexcept override {
        ns_udp_client_stop(handle_);
        ns_udp_client_free(handle_);
    }
    messaging_udp_client(const messaging_udp_client&) = delete;
    messaging_udp_client& operator=(const messaging_udp_client&) = delete;

    /// Resolves the target (IPv4 or IPv6) and binds. -1 empty host, -607 unresolvable, -664 running
    /// (the original reported -7 and -99).
    [[nodiscard]] VoidResult start_client(std::string_view host, uint16_t port) {
        if (options_result_.is_err()) return options_result_;
        const std::string h(host);
        return network::detail::to_result(ns_udp_client_start(handle_, h.c_str(), port), "messaging_udp_client");
    }
    VoidResult stop_client() { return network::detail::to_result(ns_udp_client_stop(handle_), "messaging_udp_client"); }
    [[nodiscard]] VoidResult start(std::string_view host, uint16_t port) override { return start_client(host, port); }
    VoidResult stop() override { return stop_client(); }
    [[nodiscard]] bool is_running() const override { return ns_udp_client_is_running(handle_); }
    void wait_for_stop() override { ns_udp_client_wait_for_stop(handle_); }
    [[nodiscard]] const std::string& client_id() const { return client_id_; }
    /// The local port while running, else 0.
    [[nodiscard]] uint16_t local_port() const {
        uint16_t p = 0;
        return ns_udp_client_local_port(handle_, &p) == NS_OK ? p : 0;
    }

    /// One datagram to the target; `handler` (optional) is called inline with the outcome.
    /// -663 not running (the original: -99), -642 too large, -643 send buffer full.
    [[nodiscard]] VoidResult send(std::vector<uint8_t>&& data, send_callback_t handler = nullptr) override {
        const ns_result code = ns_udp_client_send(handle_, data.data(), data.size());
        return network::detail::finish_send(code, data.size(), handler, "messaging_udp_client");
    }

    /// Several datagrams to the target as one burst, in as few system calls as the kernel
    /// allows (not in the original). All or nothing: -642 if one is too large, -643 if the
    /// queue (4 MiB) has no room for all; later failures go to the error callback.
    [[nodiscard]] VoidResult send_batch(const std::vector<std::vector<uint8_t>>& datagrams) {
        return network::detail::to_result(network::detail::send_messages(handle_, datagrams, ns_udp_client_send_batch),
                                          "messaging_udp_client");
    }

    /// Sends to another target from now on. -663 not running, -607 unresolvable.
    [[nodiscard]] VoidResult set_target(std::string_view host, uint16_t port) override {
        const std::string h(host);
        return network::detail::to_result(ns_udp_client_set_target(handle_, h.c_str(), port), "messaging_udp_client");
    }

    void set_receive_callback(receive_callback_t callback) override {
        if (!callback) {
            ns_udp_client_set_receive_callback(handle_, nullptr, nullptr, nullptr);
            return;
        }
        ns_udp_client_set_receive_callback(handle_, &detail::on_datagram, network::detail::make_holder(std::move(callback)),
                                           &network::detail::holder<receive_callback_t>::release);
    }
    void set_error_callback(error_callback_t callback) override {
        if (!callback) {
            ns_udp_client_set_error_callback(handle_, nullptr, nullptr, nullptr);
            return;
        }
        ns_udp_client_set_error_callback(handle_, &detail::on_udp_error, network::detail::make_holder(std::move(callback)),
                                         &network::detail::holder<error_callback_t>::release);
    }

    /// Changes the options; before start only (else -664).
    [[nodiscard]] VoidResult set_options(const udp_options& o) {
        options_result_ = network::detail::to_result(
            detail::udp_setters::apply(handle_, o, ns_udp_client_set_bind_address, ns_udp_client_set_broadcast,
                                       ns_udp_client_set_buffer_sizes, ns_udp_client_set_multicast),
            "messaging_udp_client");
        return options_result_;
    }

    [[nodiscard]] network_stats stats() const { return network::detail::read_stats(handle_, ns_udp_client_get_stats); }

private:
    ns_udp_client* handle_;
    std::string client_id_;
    VoidResult options_result_ = ok();
};

}  // namespace kcenon::network::core

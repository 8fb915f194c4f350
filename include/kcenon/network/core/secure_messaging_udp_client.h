// kcenon::network::core::secure_messaging_udp_client — DTLS 1.2 client, source-compatible with
// the original (the sender endpoint is `endpoint_info{address, port}`, as for UDP).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dtls_options.h"

namespace kcenon::network::core {

/// A DTLS client: start_client returns after the handshake; send_packet is one encrypted
/// datagram; each datagram from the server arrives whole.
class secure_messaging_udp_client : public std::enable_shared_from_this<secure_messaging_udp_client> {
public:
    using endpoint_info = interfaces::i_udp_client::endpoint_info;
    using receive_callback_t = std::function<void(const std::vector<uint8_t>&)>;
    using connected_callback_t = std::function<void()>;
    using disconnected_callback_t = std::function<void()>;
    using error_callback_t = std::function<void(std::error_code)>;
    using udp_receive_callback_t = std::function<void(const std::vector<uint8_t>&, const endpoint_info&)>;

    /// `verify_cert` (default true): the server's certificate is checked against the system
    /// roots (and `options.ca_file`) with its host name.
    explicit secure_messaging_udp_client(std::string_view client_id, bool verify_cert = true,
                                         const dtls_options& options = {})
        : handle_(ns_dtls_client_new()), client_id_(client_id), verify_cert_(verify_cert), options_(options) {}
    ~secure_messaging_udp_client() noexcept {
        ns_dtls_client_stop(handle_);
        ns_dtls_client_free(handle_);
    }
    secure_messaging_udp_client(const secure_messaging_udp_client&) = delete;
    secure_messaging_udp_client& operator=(const secure_messaging_udp_client&) = delete;
    secure_messaging_udp_client(secure_messaging_udp_client&&) = delete;
    secure_messaging_udp_client& operator=(secure_messaging_udp_client&&) = delete;

    /// Connects and returns after the handshake: -606 certificate refused, -602 no answer in
    /// time, -601 port unreachable, -605 other handshake failure, -664 running, -1 empty host
    /// (the original reported -7 and -99).
    [[nodiscard]] VoidResult start_client(std::string_view host, unsigned short port) {
        ns_tls_client_config* tls = ns_tls_client_config_new(verify_cert_);
        ns_result r = NS_OK;
        if (!options_.ca_file.empty()) r = ns_tls_client_config_set_ca_file(tls, options_.ca_file.c_str());
        if (r == NS_OK && !options_.server_name.empty())
            r = ns_tls_client_config_set_server_name(tls, options_.server_name.c_str());
        if (r == NS_OK) r = ns_dtls_client_set_tls(handle_, tls);
        ns_tls_client_config_free(tls);
        if (r == NS_OK) r = ns_dtls_client_set_mtu(handle_, options_.mtu);
        if (r == NS_OK) r = ns_dtls_client_set_buffer_sizes(handle_, options_.recv_buffer_size, options_.send_buffer_size);
        if (r == NS_OK && options_.idle_timeout.count() > 0)
            r = ns_dtls_client_set_idle_timeout_ms(handle_, static_cast<uint64_t>(options_.idle_timeout.count()));
        const std::string h(host);
        if (r == NS_OK) r = ns_dtls_client_start_wait(handle_, h.c_str(), port);
        return network::detail::to_result(r, "secure_messaging_udp_client");
    }
    /// Sends close_notify and stops.
    [[nodiscard]] VoidResult stop_client() {
        return network::detail::to_result(ns_dtls_client_stop(handle_), "secure_messaging_udp_client");
    }
    void wait_for_stop() { ns_dtls_client_wait_for_stop(handle_); }
    [[nodiscard]] bool is_running() const noexcept { return ns_dtls_client_is_running(handle_); }
    [[nodiscard]] bool is_connected() const noexcept { return ns_dtls_client_is_connected(handle_); }
    [[nodiscard]] const std::string& client_id() const { return client_id_; }

    /// One encrypted datagram: -603 not connected, -642 over the path MTU, -643 buffer full.
    [[nodiscard]] VoidResult send_packet(std::vector<uint8_t>&& data) { return send_packet_with_handler(std::move(data), nullptr); }
    /// send_packet; `handler` is called inline with the outcome.
    VoidResult send_packet_with_handler(std::vector<uint8_t>&& data, std::function<void(std::error_code, std::size_t)> handler) {
        const ns_result code = ns_dtls_client_send(handle_, data.data(), data.size());
        return network::detail::finish_send(code, data.size(), handler, "secure_messaging_udp_client");
    }

    /// Datagrams with the sender's endpoint. This and set_receive_callback replace each other.
    void set_udp_receive_callback(udp_receive_callback_t callback) {
        detail::set_callback(handle_, ns_dtls_client_set_receive_callback, ns_udp_receive_fn(&detail::on_datagram),
                             std::move(callback));
    }
    void set_receive_callback(receive_callback_t callback) {
        if (!callback) return set_udp_receive_callback(nullptr);
        set_udp_receive_callback([cb = std::move(callback)](const std::vector<uint8_t>& d, const endpoint_info&) { cb(d); });
    }
    void set_connected_callback(connected_callback_t callback) { set_peer(ns_dtls_client_set_connected_callback, std::move(callback)); }
    void set_disconnected_callback(disconnected_callback_t callback) {
        set_peer(ns_dtls_client_set_disconnected_callback, std::move(callback));
    }
    void set_error_callback(error_callback_t callback) {
        detail::set_callback(handle_, ns_dtls_client_set_error_callback, ns_dtls_error_fn(&detail::on_dtls_error),
                             std::move(callback));
    }

    [[nodiscard]] network_stats stats() const { return network::detail::read_stats(handle_, ns_dtls_client_get_stats); }

private:
    void set_peer(ns_result (*set)(ns_dtls_client*, ns_dtls_peer_fn, void*, ns_free_fn), std::function<void()> callback) {
        std::function<void(const endpoint_info&)> peer;
        if (callback) peer = [cb = std::move(callback)](const endpoint_info&) { cb(); };
        detail::set_callback(handle_, set, ns_dtls_peer_fn(&detail::on_dtls_peer), std::move(peer));
    }

    ns_dtls_client* handle_;
    std::string client_id_;
    bool verify_cert_;
    dtls_options options_;
};

}  // namespace kcenon::network::core

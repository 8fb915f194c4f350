// kcenon::network::core::secure_messaging_udp_server — DTLS 1.2 server, source-compatible with
// the original (endpoints are `endpoint_info{address, port}`, as for UDP, instead of asio's).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dtls_options.h"

namespace kcenon::network::core {

/// A DTLS server: one session per client endpoint (stateless cookie exchange first), each
/// decrypted datagram delivered whole with its sender. Callbacks may be set before or after start.
class secure_messaging_udp_server : public std::enable_shared_from_this<secure_messaging_udp_server> {
public:
    using endpoint_info = interfaces::i_udp_client::endpoint_info;
    using udp_receive_callback_t = std::function<void(const std::vector<uint8_t>&, const endpoint_info&)>;
    using udp_client_callback_t = std::function<void(const endpoint_info&)>;
    using error_callback_t = std::function<void(std::error_code)>;

    explicit secure_messaging_udp_server(std::string_view server_id, const dtls_options& options = {})
        : handle_(ns_dtls_server_new()), server_id_(server_id), options_(options) {}
    ~secure_messaging_udp_server() noexcept {
        ns_dtls_server_stop(handle_);
        ns_dtls_server_free(handle_);
    }
    secure_messaging_udp_server(const secure_messaging_udp_server&) = delete;
    secure_messaging_udp_server& operator=(const secure_messaging_udp_server&) = delete;

    /// Certificate chain (PEM), loaded by start_server (-606 there, naming the file).
    VoidResult set_certificate_chain_file(const std::string& file_path) {
        cert_file_ = file_path;
        return ok();
    }
    /// Private key (PEM), loaded by start_server.
    VoidResult set_private_key_file(const std::string& file_path) {
        key_file_ = file_path;
        return ok();
    }

    /// Loads the certificate and binds the port (0 = any; see port()). -606 certificate or key
    /// missing or unusable, -630 address in use, -661 running.
    VoidResult start_server(uint16_t port) {
        ns_tls_server_config* tls = ns_tls_server_config_new();
        ns_result r = ns_tls_server_config_set_certificate_files(tls, cert_file_.c_str(), key_file_.c_str());
        if (r == NS_OK) r = ns_dtls_server_set_tls(handle_, tls);
        ns_tls_server_config_free(tls);
        if (r == NS_OK && !options_.bind_address.empty()) r = ns_dtls_server_set_bind_address(handle_, options_.bind_address.c_str());
        if (r == NS_OK) r = ns_dtls_server_set_mtu(handle_, options_.mtu);
        if (r == NS_OK) r = ns_dtls_server_set_buffer_sizes(handle_, options_.recv_buffer_size, options_.send_buffer_size);
        if (r == NS_OK && options_.idle_timeout.count() > 0)
            r = ns_dtls_server_set_idle_timeout_ms(handle_, static_cast<uint64_t>(options_.idle_timeout.count()));
        if (r == NS_OK) r = ns_dtls_server_start(handle_, port);
        return network::detail::to_result(r, "secure_messaging_udp_server");
    }
    /// Sends close_notify to every client and stops.
    VoidResult stop_server() {
        return network::detail::to_result(ns_dtls_server_stop(handle_), "secure_messaging_udp_server");
    }
    /// Blocks until stop_server() is called from another thread.
    void wait_for_stop() { ns_dtls_server_wait_for_stop(handle_); }
    [[nodiscard]] bool is_running() const noexcept { return ns_dtls_server_is_running(handle_); }
    [[nodiscard]] const std::string& server_id() const { return server_id_; }
    /// The bound port while running, else 0.
    [[nodiscard]] uint16_t port() const {
        uint16_t p = 0;
        return ns_dtls_server_port(handle_, &p) == NS_OK ? p : 0;
    }

    /// Encrypts `data` as one datagram to `endpoint`; `handler` (optional) is called inline with
    /// the outcome: -620 no session with it, -642 over the path MTU, -643 send buffer full.
    void async_send_to(std::vector<uint8_t>&& data, const endpoint_info& endpoint,
                       std::function<void(std::error_code, std::size_t)> handler = nullptr) {
        (void)send_to(endpoint, std::move(data), handler);
    }
    /// async_send_to with its result (an addition).
    VoidResult send_to(const endpoint_info& endpoint, std::vector<uint8_t>&& data,
                       const std::function<void(std::error_code, std::size_t)>& handler = nullptr) {
        const ns_result code =
            ns_dtls_server_send_to(handle_, endpoint.address.c_str(), endpoint.port, data.data(), data.size());
        return network::detail::finish_send(code, data.size(), handler, "secure_messaging_udp_server");
    }

    void set_receive_callback(udp_receive_callback_t callback) {
        detail::set_callback(handle_, ns_dtls_server_set_receive_callback, ns_udp_receive_fn(&detail::on_datagram),
                             std::move(callback));
    }
    void set_error_callback(error_callback_t callback) {
        detail::set_callback(handle_, ns_dtls_server_set_error_callback, ns_dtls_error_fn(&detail::on_dtls_error),
                             std::move(callback));
    }
    /// A client completed its handshake.
    void set_client_connected_callback(udp_client_callback_t callback) {
        detail::set_callback(handle_, ns_dtls_server_set_connected_callback, ns_dtls_peer_fn(&detail::on_dtls_peer),
                             std::move(callback));
    }
    /// A client's session ended (close_notify, idle expiry -621, fatal alert, stop).
    void set_client_disconnected_callback(udp_client_callback_t callback) {
        detail::set_callback(handle_, ns_dtls_server_set_disconnected_callback, ns_dtls_peer_fn(&detail::on_dtls_peer),
                             std::move(callback));
    }

    /// Sessions now (an addition).
    [[nodiscard]] std::size_t session_count() const { return ns_dtls_server_session_count(handle_); }
    /// messages_* count datagrams of application data; dropped = not DTLS, over the session
    /// limit, or not sent (buffer full).
    [[nodiscard]] network_stats stats() const { return network::detail::read_stats(handle_, ns_dtls_server_get_stats); }

private:
    ns_dtls_server* handle_;
    std::string server_id_;
    dtls_options options_;
    std::string cert_file_, key_file_;
};

}  // namespace kcenon::network::core

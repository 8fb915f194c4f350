// kcenon::network::facade::udp_facade — UDP clients and servers behind the protocol-agnostic
// interfaces.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "../core/messaging_udp_client.h"
#include "../core/messaging_udp_server.h"
#include "detail.h"

namespace kcenon::network::facade {

namespace detail {

/// i_protocol_client over a messaging_udp_client. "Connected" means started: the connected
/// callback runs when start() succeeds and the disconnected callback when stop() stops it.
class udp_client_adapter : public client_base {
public:
    explicit udp_client_adapter(std::string_view client_id)
        : client_(std::make_shared<core::messaging_udp_client>(client_id)) {
        auto ev = events_;
        client_->set_receive_callback(
            [ev](const std::vector<uint8_t>& d, const interfaces::i_udp_client::endpoint_info&) { ev->receive(d); });
        client_->set_error_callback([ev](std::error_code ec) { ev->error(ec); });
    }
    ~udp_client_adapter() override { (void)client_->stop_client(); }

    [[nodiscard]] auto is_running() const -> bool override { return client_->is_running(); }
    auto wait_for_stop() -> void override { client_->wait_for_stop(); }
    [[nodiscard]] auto start(std::string_view host, uint16_t port) -> VoidResult override {
        auto r = client_->start_client(host, port);
        if (r.is_ok()) events_->connected();
        return r;
    }
    [[nodiscard]] auto stop() -> VoidResult override {
        const bool was_running = client_->is_running();
        auto r = client_->stop_client();
        if (was_running) events_->disconnected();
        return r;
    }
    [[nodiscard]] auto send(std::vector<uint8_t>&& data) -> VoidResult override { return client_->send(std::move(data)); }
    [[nodiscard]] auto is_connected() const -> bool override { return client_->is_running(); }

    [[nodiscard]] const std::shared_ptr<core::messaging_udp_client>& client() const { return client_; }

private:
    std::shared_ptr<core::messaging_udp_client> client_;
};

/// One remote endpoint of a UDP server adapter: it appears with its first datagram and goes
/// with close() or the server's stop.
class udp_peer_session : public interfaces::i_session {
public:
    udp_peer_session(std::string id, interfaces::i_udp_server::endpoint_info endpoint,
                     std::weak_ptr<core::messaging_udp_server> server, std::function<void(const std::string&)> on_close)
        : id_(std::move(id)), endpoint_(std::move(endpoint)), server_(std::move(server)), on_close_(std::move(on_close)) {}

    [[nodiscard]] auto id() const -> std::string_view override { return id_; }
    [[nodiscard]] auto is_connected() const -> bool override {
        std::lock_guard<std::mutex> lock(mutex_);
        return open_;
    }
    [[nodiscard]] auto send(std::vector<uint8_t>&& data) -> VoidResult override {
        auto server = server_.lock();
        if (!server || !is_connected())
            return error_void(error_codes::network_system::connection_closed, "session closed", "udp_facade");
        return server->send_to(endpoint_, std::move(data));
    }
    auto close() -> void override {
        if (mark_closed()) on_close_(id_);
    }
    /// True for the first close.
    bool mark_closed() {
        std::lock_guard<std::mutex> lock(mutex_);
        const bool was = open_;
        open_ = false;
        return was;
    }

private:
    std::string id_;
    interfaces::i_udp_server::endpoint_info endpoint_;
    std::weak_ptr<core::messaging_udp_server> server_;
    std::function<void(const std::string&)> on_close_;
    mutable std::mutex mutex_;
    bool open_ = true;
};

/// i_protocol_server over a messaging_udp_server: every remote endpoint ("ip:port",
/// "[ip]:port" for IPv6) is a session, announced by the connection callback before its first
/// datagram is delivered.
class udp_server_adapter : public server_base {
public:
    udp_server_adapter(std::string_view server_id, const core::udp_options& options)
        : server_(std::make_shared<core::messaging_udp_server>(server_id, options)), peers_(std::make_shared<peers>()) {
        auto ev = events_;
        auto table = peers_;
        std::weak_ptr<core::messaging_udp_server> weak = server_;
        server_->set_receive_callback(
            [ev, table, weak](const std::vector<uint8_t>& d, const interfaces::i_udp_server::endpoint_info& from) {
                const std::string id = network::detail::endpoint_text(from.address, from.port);
                std::shared_ptr<udp_peer_session> fresh;
                {
                    std::lock_guard<std::mutex> lock(table->mutex);
                    auto& slot = table->sessions[id];
                    if (!slot) {
                        std::weak_ptr<peers> weak_table = table;
                        slot = std::make_shared<udp_peer_session>(id, from, weak, [ev, weak_table](const std::string& gone) {
                            if (auto t = weak_table.lock()) {
                                std::lock_guard<std::mutex> l(t->mutex);
                                t->sessions.erase(gone);
                            }
                            ev->disconnection(gone);
                        });
                        fresh = slot;
                    }
                }
                if (fresh) ev->connection(fresh);
                ev->receive(id, d);
            });
        server_->set_error_callback([ev](std::error_code ec) { ev->error("", ec); });
    }
    ~udp_server_adapter() override { (void)stop(); }

    [[nodiscard]] auto is_running() const -> bool override { return server_->is_running(); }
    auto wait_for_stop() -> void override { server_->wait_for_stop(); }
    [[nodiscard]] auto start(uint16_t port) -> VoidResult override { return server_->start_server(port); }
    /// Stops the server, then reports every remaining session disconnected.
    [[nodiscard]] auto stop() -> VoidResult override {
        auto r = server_->stop_server();
        std::map<std::string, std::shared_ptr<udp_peer_session>> gone;
        {
            std::lock_guard<std::mutex> lock(peers_->mutex);
            gone.swap(peers_->sessions);
        }
        for (auto& [id, s] : gone)
            if (s->mark_closed()) events_->disconnection(id);
        return r;
    }
    [[nodiscard]] auto connection_count() const -> size_t override {
        std::lock_guard<std::mutex> lock(peers_->mutex);
        return peers_->sessions.size();
    }

    [[nodiscard]] const std::shared_ptr<core::messaging_udp_server>& server() const { return server_; }

private:
    struct peers {
        std::mutex mutex;
        std::map<std::string, std::shared_ptr<udp_peer_session>> sessions;
    };
    std::shared_ptr<core::messaging_udp_server> server_;
    std::shared_ptr<peers> peers_;
};

}  // namespace detail

/// Creates UDP endpoints as i_protocol_client / i_protocol_server; both come back started, as
/// in the original. Difference: a failed start gives its own code (-662 port in use, -607 bad
/// host) instead of -600/-660.
class udp_facade {
public:
    struct client_config {
        std::string host;
        uint16_t port = 0;
        std::string client_id;  ///< empty: "udp_client_%08llu"
    };
    struct server_config {
        uint16_t port = 0;
        std::string server_id;  ///< empty: "udp_server_%08llu"
        std::string bind_address = "0.0.0.0";  ///< extension: the address to listen on
    };

    /// A started client sending to host:port. -1 naming the field for an empty host or port 0.
    [[nodiscard]] auto create_client(const client_config& config) const
        -> Result<std::shared_ptr<interfaces::i_protocol_client>> {
        using T = std::shared_ptr<interfaces::i_protocol_client>;
        if (config.host.empty()) return detail::invalid<T>(module, "host", "must not be empty");
        if (config.port == 0) return detail::invalid<T>(module, "port", "must not be 0");
        auto adapter = std::make_shared<detail::udp_client_adapter>(detail::id_or_generated(config.client_id, "udp_client"));
        auto started = adapter->start(config.host, config.port);
        if (started.is_err()) return started.error();
        return T(std::move(adapter));
    }

    /// A server started on config.port. -1 naming the field for port 0.
    [[nodiscard]] auto create_server(const server_config& config) const
        -> Result<std::shared_ptr<interfaces::i_protocol_server>> {
        using T = std::shared_ptr<interfaces::i_protocol_server>;
        if (config.port == 0) return detail::invalid<T>(module, "port", "must not be 0");
        core::udp_options o;
        o.bind_address = config.bind_address;
        auto adapter = std::make_shared<detail::udp_server_adapter>(detail::id_or_generated(config.server_id, "udp_server"), o);
        auto started = adapter->start(config.port);
        if (started.is_err()) return started.error();
        return T(std::move(adapter));
    }

private:
    static constexpr const char* module = "udp_facade";
};

}  // namespace kcenon::network::facade

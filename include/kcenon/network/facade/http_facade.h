// kcenon::network::facade::http_facade — HTTP/1.1 clients and servers behind the
// protocol-agnostic interfaces: a client's send() is a POST whose response body is received;
// a server hands each POST body to the receive callback and answers with what the session
// sent back.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "../internal/http/http_client.h"
#include "../internal/http/http_server.h"
#include "detail.h"

namespace kcenon::network::facade {

namespace detail {

/// i_protocol_client over an http_client. start() only records the target (no connection is
/// opened before the first request) and reports connected. send() queues a POST of the data
/// to http(s)://host:port<path>; requests go one at a time, in order, and each response body
/// reaches the receive callback (a status ≥ 400 reaches the error callback as -644 instead;
/// a failed request as its code). stop() drops queued requests and reports disconnected.
class http_client_adapter : public client_base {
public:
    http_client_adapter(std::chrono::milliseconds timeout, bool use_ssl, std::string path)
        : state_(std::make_shared<state>(timeout)), use_ssl_(use_ssl), path_(std::move(path)) {
        state_->events = events_;
    }
    ~http_client_adapter() override { (void)stop(); }

    [[nodiscard]] auto is_running() const -> bool override {
        std::lock_guard<std::mutex> lock(state_->mutex);
        return state_->running;
    }
    auto wait_for_stop() -> void override {
        std::unique_lock<std::mutex> lock(state_->mutex);
        state_->stopped.wait(lock, [this] { return !state_->running; });
    }
    [[nodiscard]] auto start(std::string_view host, uint16_t port) -> VoidResult override {
        if (host.empty()) return error_void(error_codes::common_errors::invalid_argument, "host must not be empty", module);
        if (port == 0) return error_void(error_codes::common_errors::invalid_argument, "port must not be 0", module);
        {
            std::lock_guard<std::mutex> lock(state_->mutex);
            if (state_->running)
                return error_void(error_codes::network_system::client_already_running, "already running", module);
            state_->running = true;
            state_->url = std::string(use_ssl_ ? "https://" : "http://") + network::detail::endpoint_text(std::string(host), port) + path_;
        }
        events_->connected();
        return ok();
    }
    [[nodiscard]] auto stop() -> VoidResult override {
        {
            std::lock_guard<std::mutex> lock(state_->mutex);
            if (!state_->running) return ok();
            state_->running = false;
            state_->queue.clear();
        }
        state_->stopped.notify_all();
        events_->disconnected();
        return ok();
    }
    [[nodiscard]] auto send(std::vector<uint8_t>&& data) -> VoidResult override {
        {
            std::lock_guard<std::mutex> lock(state_->mutex);
            if (!state_->running)
                return error_void(error_codes::network_system::connection_closed, "not started", module);
            state_->queue.push_back(std::move(data));
            if (state_->in_flight) return ok();
            state_->in_flight = true;
        }
        return next(state_);
    }
    [[nodiscard]] auto is_connected() const -> bool override { return is_running(); }

    [[nodiscard]] std::shared_ptr<core::http_client> client() const { return state_->client; }

private:
    static constexpr const char* module = "http_facade";

    struct state {
        explicit state(std::chrono::milliseconds timeout) : client(std::make_shared<core::http_client>(timeout)) {}
        std::shared_ptr<core::http_client> client;
        std::shared_ptr<client_events> events;
        std::mutex mutex;
        std::condition_variable stopped;
        bool running = false;
        bool in_flight = false;
        std::string url;
        std::deque<std::vector<uint8_t>> queue;
    };

    /// Sends the oldest queued body; its completion delivers the response and sends the next.
    static VoidResult next(const std::shared_ptr<state>& s) {
        std::vector<uint8_t> body;
        std::string url;
        {
            std::lock_guard<std::mutex> lock(s->mutex);
            if (s->queue.empty() || !s->running) {
                s->in_flight = false;
                return ok();
            }
            body = std::move(s->queue.front());
            s->queue.pop_front();
            url = s->url;
        }
        std::weak_ptr<state> weak = s;
        auto r = s->client->request_async(
            "POST", url, {}, {{"Content-Type", "application/octet-stream"}}, body,
            [weak](Result<internal::http_response> response) {
                auto st = weak.lock();
                if (!st) return;
                if (response.is_err())
                    st->events->error(make_error_code(response.error().code));
                else if (response.value().status_code >= 400)
                    st->events->error(make_error_code(error_codes::network_system::protocol_error));
                else
                    st->events->receive(response.value().body);
                (void)next(st);
            });
        if (r.is_err()) {
            std::lock_guard<std::mutex> lock(s->mutex);
            s->in_flight = false;
        }
        return r;
    }

    std::shared_ptr<state> state_;
    bool use_ssl_;
    std::string path_;
};

/// One request on an http_server_adapter: what send() is given during the receive callback
/// becomes the response body; afterwards send() returns -603.
class http_request_session : public interfaces::i_session {
public:
    explicit http_request_session(std::string id) : id_(std::move(id)) {}
    [[nodiscard]] auto id() const -> std::string_view override { return id_; }
    [[nodiscard]] auto is_connected() const -> bool override {
        std::lock_guard<std::mutex> lock(mutex_);
        return open_;
    }
    [[nodiscard]] auto send(std::vector<uint8_t>&& data) -> VoidResult override {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!open_) return error_void(error_codes::network_system::connection_closed, "response already sent", "http_facade");
        response_.insert(response_.end(), data.begin(), data.end());
        return ok();
    }
    auto close() -> void override {}
    /// Ends the request and returns the response body.
    std::vector<uint8_t> finish() {
        std::lock_guard<std::mutex> lock(mutex_);
        open_ = false;
        return std::move(response_);
    }

private:
    std::string id_;
    mutable std::mutex mutex_;
    bool open_ = true;
    std::vector<uint8_t> response_;
};

/// i_protocol_server over an http_server: every POST (any path) is a session that lives for
/// the request: connection → receive(body) → disconnection, answered 200 with what the
/// session sent (application/octet-stream). Other methods get 405.
class http_server_adapter : public server_base {
public:
    explicit http_server_adapter(std::string_view server_id)
        : server_(std::make_shared<core::http_server>(std::string(server_id))), open_(std::make_shared<std::atomic<size_t>>(0)) {
        auto ev = events_;
        auto open = open_;
        auto counter = std::make_shared<std::atomic<unsigned long long>>(0);
        server_->set_not_found_handler([ev, open, counter](const core::http_request_context& ctx) {
            internal::http_response response;
            if (ctx.request.method != internal::http_method::HTTP_POST) {
                response.status_code = 405;
                response.set_header("Allow", "POST");
                return response;
            }
            auto session = std::make_shared<http_request_session>("request_" + std::to_string(counter->fetch_add(1)));
            const std::string id(session->id());
            open->fetch_add(1);
            ev->connection(session);
            ev->receive(id, ctx.request.body);
            response.body = session->finish();
            response.set_header("Content-Type", "application/octet-stream");
            open->fetch_sub(1);
            ev->disconnection(id);
            return response;
        });
    }
    ~http_server_adapter() override { (void)server_->stop(); }

    [[nodiscard]] auto is_running() const -> bool override { return server_->is_running(); }
    auto wait_for_stop() -> void override { server_->wait_for_stop(); }
    [[nodiscard]] auto start(uint16_t port) -> VoidResult override { return server_->start(port); }
    [[nodiscard]] auto stop() -> VoidResult override { return server_->stop(); }
    /// Requests being handled now.
    [[nodiscard]] auto connection_count() const -> size_t override { return open_->load(); }

    [[nodiscard]] const std::shared_ptr<core::http_server>& server() const { return server_; }

private:
    std::shared_ptr<core::http_server> server_;
    std::shared_ptr<std::atomic<size_t>> open_;
};

}  // namespace detail

/// Creates HTTP endpoints as i_protocol_client / i_protocol_server, not started.
/// Differences: `use_ssl` gives https (certificate verified against the system roots);
/// responses of status ≥ 400 reach the error callback (-644) instead of the receive callback;
/// requests are sent one at a time in order.
class http_facade {
public:
    struct client_config {
        std::string client_id;  ///< accepted for source compatibility; HTTP clients have no id
        std::chrono::milliseconds timeout = std::chrono::seconds(30);
        bool use_ssl = false;
        std::string path = "/";
    };
    struct server_config {
        uint16_t port = 0;
        std::string server_id;  ///< empty: "http_server_%08llu"
        std::string bind_address = "0.0.0.0";  ///< extension: the address to listen on
    };

    /// A client; start(host, port) sets the target. -1 naming the field for timeout ≤ 0 or a
    /// path that is empty or relative.
    [[nodiscard]] auto create_client(const client_config& config) const
        -> Result<std::shared_ptr<interfaces::i_protocol_client>> {
        using T = std::shared_ptr<interfaces::i_protocol_client>;
        if (config.timeout.count() <= 0) return detail::invalid<T>(module, "timeout", "must be positive");
        auto path = detail::check_path(module, "path", config.path);
        if (path.is_err()) return path.error();
        return T(std::make_shared<detail::http_client_adapter>(config.timeout, config.use_ssl, config.path));
    }

    /// A server; start(port) listens. -1 naming the field for port 0.
    [[nodiscard]] auto create_server(const server_config& config) const
        -> Result<std::shared_ptr<interfaces::i_protocol_server>> {
        using T = std::shared_ptr<interfaces::i_protocol_server>;
        if (config.port == 0) return detail::invalid<T>(module, "port", "must not be 0");
        auto adapter = std::make_shared<detail::http_server_adapter>(detail::id_or_generated(config.server_id, "http_server"));
        adapter->server()->set_bind_address(config.bind_address);
        return T(std::move(adapter));
    }

private:
    static constexpr const char* module = "http_facade";
};

}  // namespace kcenon::network::facade

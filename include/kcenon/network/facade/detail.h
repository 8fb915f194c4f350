// Machinery shared by the facades' adapters: event hubs for the i_protocol_* callbacks,
// generated ids and validation errors. Internal: not part of the public API.
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "../interfaces/i_protocol_client.h"
#include "../interfaces/i_protocol_server.h"
#include "../types/result.h"

namespace kcenon::network::facade::detail {

/// "<kind>_%08llu" from one process-wide counter ("tcp_client_00000000", …).
inline std::string generate_id(const char* kind) {
    static std::atomic<unsigned long long> counter{0};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s_%08llu", kind, counter.fetch_add(1, std::memory_order_relaxed));
    return buf;
}

/// The id to use: the configured one, or a generated one when it is empty.
inline std::string id_or_generated(const std::string& configured, const char* kind) {
    return configured.empty() ? generate_id(kind) : configured;
}

/// -1 (invalid_argument) naming the configuration field at fault.
template <typename T>
Result<T> invalid(const char* facade, const std::string& field, const char* problem) {
    return error<T>(error_codes::common_errors::invalid_argument, field + " " + problem, facade);
}

/// -1 naming `field` unless `path` is absolute.
inline VoidResult check_path(const char* facade, const char* field, const std::string& path) {
    if (path.empty() || path.front() != '/')
        return error_void(error_codes::common_errors::invalid_argument, std::string(field) + " must start with '/'", facade);
    return ok();
}

/// Callback slots behind one mutex: a value is copied out under the lock and called outside.
class locked_slots {
protected:
    /// A callback, shared so that an event copies a pointer, not the function.
    template <typename F>
    using slot = std::shared_ptr<const F>;

    template <typename F>
    void store(slot<F>& s, F value) {
        put(s, value ? std::make_shared<const F>(std::move(value)) : nullptr);
    }
    template <typename T>
    void put(std::shared_ptr<T>& s, std::shared_ptr<T> value) {
        std::lock_guard<std::mutex> lock(mutex_);
        s = std::move(value);
    }
    template <typename T>
    std::shared_ptr<T> load(const std::shared_ptr<T>& s) const {
        std::lock_guard<std::mutex> lock(mutex_);
        return s;
    }

private:
    mutable std::mutex mutex_;
};

/// The callbacks and observer of one i_protocol_client. Events take the callback under the lock
/// (a pointer copy) and call it outside; adapters' underlying callbacks hold this hub by shared_ptr, so it
/// outlives any callback still running.
class client_events : locked_slots {
public:
    using client = interfaces::i_protocol_client;

    void set_receive(client::receive_callback_t cb) { store(receive_, std::move(cb)); }
    void set_connected(client::connected_callback_t cb) { store(connected_, std::move(cb)); }
    void set_disconnected(client::disconnected_callback_t cb) { store(disconnected_, std::move(cb)); }
    void set_error(client::error_callback_t cb) { store(error_, std::move(cb)); }
    void set_observer(std::shared_ptr<interfaces::connection_observer> o) { put(observer_, std::move(o)); }

    void receive(const std::vector<uint8_t>& data) const {
        if (auto cb = load(receive_)) (*cb)(data);
        if (auto o = load(observer_)) o->on_receive(span<const uint8_t>(data.data(), data.size()));
    }
    void connected() const {
        if (auto cb = load(connected_)) (*cb)();
        if (auto o = load(observer_)) o->on_connected();
    }
    void disconnected(std::optional<std::string_view> reason = std::nullopt) const {
        if (auto cb = load(disconnected_)) (*cb)();
        if (auto o = load(observer_)) o->on_disconnected(reason);
    }
    void error(std::error_code ec) const {
        if (auto cb = load(error_)) (*cb)(ec);
        if (auto o = load(observer_)) o->on_error(ec);
    }

private:
    slot<client::receive_callback_t> receive_;
    slot<client::connected_callback_t> connected_;
    slot<client::disconnected_callback_t> disconnected_;
    slot<client::error_callback_t> error_;
    std::shared_ptr<interfaces::connection_observer> observer_;
};

/// The callbacks of one i_protocol_server (same rules as client_events).
class server_events : locked_slots {
public:
    using server = interfaces::i_protocol_server;

    void set_connection(server::connection_callback_t cb) { store(connection_, std::move(cb)); }
    void set_disconnection(server::disconnection_callback_t cb) { store(disconnection_, std::move(cb)); }
    void set_receive(server::receive_callback_t cb) { store(receive_, std::move(cb)); }
    void set_error(server::error_callback_t cb) { store(error_, std::move(cb)); }

    void connection(std::shared_ptr<interfaces::i_session> s) const {
        if (auto cb = load(connection_)) (*cb)(std::move(s));
    }
    void disconnection(std::string_view id) const {
        if (auto cb = load(disconnection_)) (*cb)(id);
    }
    void receive(std::string_view id, const std::vector<uint8_t>& data) const {
        if (auto cb = load(receive_)) (*cb)(id, data);
    }
    void error(std::string_view id, std::error_code ec) const {
        if (auto cb = load(error_)) (*cb)(id, ec);
    }

private:
    slot<server::connection_callback_t> connection_;
    slot<server::disconnection_callback_t> disconnection_;
    slot<server::receive_callback_t> receive_;
    slot<server::error_callback_t> error_;
};

/// i_protocol_client's callback setters over a client_events hub.
class client_base : public interfaces::i_protocol_client {
public:
    auto set_observer(std::shared_ptr<interfaces::connection_observer> observer) -> void override {
        events_->set_observer(std::move(observer));
    }
    auto set_receive_callback(receive_callback_t cb) -> void override { events_->set_receive(std::move(cb)); }
    auto set_connected_callback(connected_callback_t cb) -> void override { events_->set_connected(std::move(cb)); }
    auto set_disconnected_callback(disconnected_callback_t cb) -> void override {
        events_->set_disconnected(std::move(cb));
    }
    auto set_error_callback(error_callback_t cb) -> void override { events_->set_error(std::move(cb)); }

protected:
    std::shared_ptr<client_events> events_ = std::make_shared<client_events>();
};

/// i_protocol_server's callback setters over a server_events hub.
class server_base : public interfaces::i_protocol_server {
public:
    auto set_connection_callback(connection_callback_t cb) -> void override { events_->set_connection(std::move(cb)); }
    auto set_disconnection_callback(disconnection_callback_t cb) -> void override {
        events_->set_disconnection(std::move(cb));
    }
    auto set_receive_callback(receive_callback_t cb) -> void override { events_->set_receive(std::move(cb)); }
    auto set_error_callback(error_callback_t cb) -> void override { events_->set_error(std::move(cb)); }

protected:
    std::shared_ptr<server_events> events_ = std::make_shared<server_events>();
};

/// Bytes of a text message, for protocols that deliver text (WebSocket).
inline std::vector<uint8_t> bytes_of(const std::string& text) { return std::vector<uint8_t>(text.begin(), text.end()); }

}  // namespace kcenon::network::facade::detail

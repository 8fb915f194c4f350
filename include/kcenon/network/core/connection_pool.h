// kcenon::network::core::connection_pool — connected TCP/TLS clients to one server, lent one
// user at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "messaging_client.h"
#include "secure_messaging_client.h"

namespace kcenon::network::core {

/// `pool_size` clients to host:port. initialize() connects them; acquire() lends one
/// (waiting up to `acquire_timeout` for a release); release() — or simply destroying the
/// unique_ptr — gives it back, still connected. A client that lost its connection is
/// connected again before it is lent. Every member is thread-safe.
///
/// Differences from the original, whose pool could not connect at all (bad_weak_ptr): acquire
/// waits at most `acquire_timeout` and returns nullptr then (try_acquire() says why: -602
/// timeout, -6 not initialised); release() returns a VoidResult (-1 for a client not from this
/// pool); TLS pools take tls_client_options.
class connection_pool {
public:
    connection_pool(std::string host, unsigned short port, size_t pool_size = 10,
                    std::chrono::milliseconds acquire_timeout = std::chrono::seconds(30))
        : connection_pool(std::move(host), port, pool_size, acquire_timeout, client_options{}) {}

    /// Clients with these options (framing, timeouts, reconnect …).
    connection_pool(std::string host, unsigned short port, size_t pool_size, std::chrono::milliseconds acquire_timeout,
                    const client_options& options)
        : size_(pool_size) {
        messaging_client prototype("connection_pool", options);
        create(host, port, acquire_timeout, prototype);
    }

    /// TLS clients with these options (certificate verification, CA, ALPN …).
    connection_pool(std::string host, unsigned short port, size_t pool_size, std::chrono::milliseconds acquire_timeout,
                    const tls_client_options& options)
        : size_(pool_size) {
        secure_messaging_client prototype("connection_pool", options);
        create(host, port, acquire_timeout, prototype);
    }

    connection_pool(const connection_pool&) = delete;
    connection_pool& operator=(const connection_pool&) = delete;

    /// Connects every client (TLS handshakes included) and returns when all are connected or
    /// with the first failure (-1 for a bad constructor argument, naming it; -601/-602/-605/
    /// -606 for a connect). It may be retried; ok when initialised already.
    [[nodiscard]] auto initialize() -> VoidResult {
        if (created_.is_err()) return created_;
        return network::detail::to_result(ns_tcp_pool_initialize(pool_.get()), "connection_pool");
    }

    /// A connected client, or nullptr when none came back within the acquire timeout or the
    /// pool is not initialised.
    auto acquire() -> std::unique_ptr<messaging_client> {
        auto r = try_acquire();
        return r.is_ok() ? std::move(r.value()) : nullptr;
    }

    /// A connected client, or -602 after the acquire timeout, -6 before initialize(), the
    /// reconnect's error for a client that could not be connected again.
    [[nodiscard]] auto try_acquire() -> Result<std::unique_ptr<messaging_client>> {
        using R = Result<std::unique_ptr<messaging_client>>;
        if (created_.is_err()) return R(created_.error());
        ns_tcp_client* lent = nullptr;
        const ns_result r = ns_tcp_pool_acquire(pool_.get(), &lent);
        if (r != NS_OK) return R::err(r, ns_last_error_message(), "connection_pool");
        std::shared_ptr<ns_tcp_pool> pool = pool_;
        return R(std::unique_ptr<messaging_client>(
            new messaging_client("connection_pool", lent, [pool](ns_tcp_client* c) { ns_tcp_pool_release(pool.get(), c); })));
    }

    /// Gives a client back (as destroying it does). -1 for a null or foreign client; a foreign
    /// client is destroyed (stopped) all the same, as ownership passed here.
    auto release(std::unique_ptr<messaging_client> client) -> VoidResult {
        if (!client) return error_void(error_codes::common_errors::invalid_argument, "client is null", "connection_pool");
        if (!client->give_back_ || !owns(*client))
            return error_void(error_codes::common_errors::invalid_argument, "client is not from this pool",
                              "connection_pool");
        client.reset();
        return ok();
    }

    /// Clients lent now.
    [[nodiscard]] auto active_count() const noexcept -> size_t { return ns_tcp_pool_active_count(pool_.get()); }
    [[nodiscard]] auto pool_size() const noexcept -> size_t { return size_; }

private:
    void create(const std::string& host, unsigned short port, std::chrono::milliseconds timeout,
                const messaging_client& prototype) {
        if (prototype.options_result().is_err()) {
            created_ = prototype.options_result();
            return;
        }
        ns_tcp_pool* p = nullptr;
        const long long ms = timeout.count();
        created_ = network::detail::to_result(
            ns_tcp_pool_new(host.c_str(), port, size_, ms > 0 ? static_cast<std::uint64_t>(ms) : 0, prototype.handle(), &p),
            "connection_pool");
        pool_ = std::shared_ptr<ns_tcp_pool>(p, &ns_tcp_pool_free);
    }

    bool owns(const messaging_client& c) const { return ns_tcp_pool_owns(pool_.get(), c.handle_); }

    size_t size_;
    std::shared_ptr<ns_tcp_pool> pool_;
    VoidResult created_ = ok();
};

}  // namespace kcenon::network::core

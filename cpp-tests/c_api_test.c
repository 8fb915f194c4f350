/* A plain C11 program that uses only network_system.h: argument checks, an echo round trip
 * in framed mode, stats, stop from inside a callback, user-data release, and each protocol's
 * basics (UDP, TLS options, WebSocket, HTTP, QUIC — QUIC with NS_TEST_CERTS), the metrics snapshot. */
#define _POSIX_C_SOURCE 200809L
#include <network_system.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures = 0;
static int checks = 0;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        ++checks;                                                                    \
        if (!(cond)) {                                                               \
            ++failures;                                                              \
            fprintf(stderr, "%s:%d: CHECK failed: %s (last error: %s)\n", __FILE__, \
                    __LINE__, #cond, ns_last_error_message());                       \
        }                                                                            \
    } while (0)

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int connected;
    int disconnected;
    int messages;
    int stop_result;
    int stopped_in_callback;
    char last[64];
    size_t last_len;
} shared;

static void shared_init(shared *s) {
    memset(s, 0, sizeof *s);
    s->stop_result = 1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
}

/* Waits until *field >= target, for at most 20 s. */
static int wait_at_least(shared *s, const int *field, int target) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 20;
    pthread_mutex_lock(&s->lock);
    while (*field < target)
        if (pthread_cond_timedwait(&s->cond, &s->lock, &deadline) != 0) break;
    int ok = *field >= target;
    pthread_mutex_unlock(&s->lock);
    return ok;
}

static void bump(shared *s, int *field) {
    pthread_mutex_lock(&s->lock);
    ++*field;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static ns_tcp_server *g_server;

static void server_receive(void *ud, const ns_tcp_session *session, const uint8_t *data, size_t len) {
    shared *s = ud;
    if (len == 4 && memcmp(data, "stop", 4) == 0) {
        int r = ns_tcp_server_stop(g_server); /* inside a callback: must not block */
        pthread_mutex_lock(&s->lock);
        s->stop_result = r;
        s->stopped_in_callback = 1;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    ns_tcp_session_send(session, data, len);
}

static void client_connected(void *ud, const ns_tcp_session *session) {
    (void)session;
    shared *s = ud;
    bump(s, &s->connected);
}

static void client_disconnected(void *ud, const ns_tcp_session *session) {
    (void)session;
    shared *s = ud;
    bump(s, &s->disconnected);
}

static void client_receive(void *ud, const ns_tcp_session *session, const uint8_t *data, size_t len) {
    (void)session;
    shared *s = ud;
    pthread_mutex_lock(&s->lock);
    if (len < sizeof s->last) {
        memcpy(s->last, data, len);
        s->last_len = len;
    }
    ++s->messages;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static atomic_int released;
static void release_user_data(void *ud) {
    (void)ud;
    atomic_fetch_add(&released, 1);
}

static void test_argument_checks(void) {
    uint16_t port = 0;
    ns_stats stats;
    CHECK(ns_tcp_server_start(NULL, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(strlen(ns_last_error_message()) > 0);
    CHECK(ns_tcp_server_stop(NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_server_port(NULL, &port) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_server_get_stats(NULL, &stats) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_client_send(NULL, (const uint8_t *)"x", 1) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_session_send(NULL, (const uint8_t *)"x", 1) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_session_id(NULL) == 0);
    CHECK(!ns_tcp_session_is_connected(NULL));
    CHECK(ns_tcp_session_retain(NULL) == NULL);
    ns_tcp_session_release(NULL);
    ns_tcp_server_free(NULL);
    ns_tcp_client_free(NULL);

    ns_tcp_server *server = ns_tcp_server_new();
    ns_tcp_client *client = ns_tcp_client_new();
    CHECK(server != NULL && client != NULL);
    CHECK(ns_tcp_server_set_framing(server, 42) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_server_set_bind_address(server, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_server_set_max_connections(server, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_server_port(server, &port) == NS_ERR_SERVER_NOT_STARTED);
    CHECK(ns_tcp_server_get_stats(server, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_client_start(client, NULL, 1) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_client_start(client, "", 1) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_client_start(client, "127.0.0.1", 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_client_send(client, (const uint8_t *)"x", 1) == NS_ERR_CONNECTION_CLOSED);
    CHECK(ns_tcp_client_send(client, NULL, 1) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_client_set_reconnect(client, true, 0, 10, 1, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_client_set_connect_timeout_ms(client, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_client_send_owned(client, (const uint8_t *)"abc", 3, release_user_data, NULL) ==
          NS_ERR_CONNECTION_CLOSED);
    CHECK(released == 1); /* ownership passed even though the send failed */
    CHECK(strcmp(ns_error_name(NS_ERR_CONNECTION_CLOSED), "connection_closed") == 0);
    CHECK(strcmp(ns_error_name(12345), "unknown_error") == 0);
    CHECK(strcmp(ns_version(), "0.1.0") == 0);
    CHECK(ns_runtime_configure(0) == NS_ERR_INVALID_ARGUMENT);
    ns_tcp_client_free(client);
    ns_tcp_server_free(server);
}

static void test_framed_echo_and_stop_in_callback(void) {
    shared srv, cli;
    shared_init(&srv);
    shared_init(&cli);
    atomic_store(&released, 0);
    g_server = ns_tcp_server_new();
    CHECK(ns_tcp_server_set_bind_address(g_server, "127.0.0.1") == NS_OK);
    CHECK(ns_tcp_server_set_framing(g_server, NS_FRAMING_LENGTH_PREFIXED) == NS_OK);
    CHECK(ns_tcp_server_set_receive_callback(g_server, server_receive, &srv, release_user_data) == NS_OK);
    CHECK(ns_tcp_server_start(g_server, 0) == NS_OK);
    CHECK(ns_tcp_server_start(g_server, 0) == NS_ERR_SERVER_ALREADY_RUNNING);
    CHECK(ns_tcp_server_set_framing(g_server, NS_FRAMING_RAW) == NS_ERR_SERVER_ALREADY_RUNNING);
    CHECK(ns_runtime_configure(2) == NS_ERR_ALREADY_EXISTS);
    uint16_t port = 0;
    CHECK(ns_tcp_server_port(g_server, &port) == NS_OK && port != 0);

    ns_tcp_client *client = ns_tcp_client_new();
    CHECK(ns_tcp_client_set_framing(client, NS_FRAMING_LENGTH_PREFIXED) == NS_OK);
    CHECK(ns_tcp_client_set_connected_callback(client, client_connected, &cli, NULL) == NS_OK);
    CHECK(ns_tcp_client_set_disconnected_callback(client, client_disconnected, &cli, NULL) == NS_OK);
    CHECK(ns_tcp_client_set_receive_callback(client, client_receive, &cli, NULL) == NS_OK);
    CHECK(ns_tcp_client_start(client, "127.0.0.1", port) == NS_OK);
    CHECK(ns_tcp_client_start(client, "127.0.0.1", port) == NS_ERR_CLIENT_ALREADY_RUNNING);
    CHECK(wait_at_least(&cli, &cli.connected, 1));
    CHECK(ns_tcp_client_is_connected(client));

    const char *words[] = {"one", "two", "three"};
    for (int i = 0; i < 3; ++i)
        CHECK(ns_tcp_client_send(client, (const uint8_t *)words[i], strlen(words[i])) == NS_OK);
    CHECK(wait_at_least(&cli, &cli.messages, 3));
    pthread_mutex_lock(&cli.lock);
    CHECK(cli.messages == 3 && cli.last_len == 5 && memcmp(cli.last, "three", 5) == 0);
    pthread_mutex_unlock(&cli.lock);

    ns_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    CHECK(ns_tcp_client_get_stats(client, &stats) == NS_OK);
    CHECK(stats.messages_out == 3 && stats.bytes_out == 11 && stats.messages_in == 3 && stats.bytes_in == 11);
    /* An older, smaller struct gets only its own fields. */
    struct {
        size_t struct_size;
        uint64_t connections_total;
    } old = {sizeof old, 0};
    CHECK(ns_tcp_client_get_stats(client, (ns_stats *)(void *)&old) == NS_OK && old.connections_total == 1);

    CHECK(ns_tcp_client_send(client, (const uint8_t *)"stop", 4) == NS_OK);
    CHECK(wait_at_least(&srv, &srv.stopped_in_callback, 1));
    CHECK(srv.stop_result == NS_OK);
    CHECK(ns_tcp_server_wait_for_stop(g_server) == NS_OK);
    CHECK(!ns_tcp_server_is_running(g_server));
    CHECK(wait_at_least(&cli, &cli.disconnected, 1));
    CHECK(ns_tcp_client_wait_for_stop(client) == NS_OK);
    CHECK(!ns_tcp_client_is_running(client));
    ns_tcp_client_free(client);
    ns_tcp_server_free(g_server);
    CHECK(released == 1); /* the receive callback's user data was released on free */
    CHECK(cli.disconnected == 1);
}

static ns_tcp_client *g_client;

static void free_self_on_receive(void *ud, const ns_tcp_session *session, const uint8_t *data, size_t len) {
    (void)session;
    (void)data;
    (void)len;
    shared *s = ud;
    ns_tcp_client_free(g_client); /* the client's own callback frees it: must not deadlock */
    g_client = NULL;
    bump(s, &s->messages);
}

static void server_session_closed(void *ud, const ns_tcp_session *session) {
    (void)session;
    shared *s = ud;
    bump(s, &s->disconnected);
}

static void echo_receive(void *ud, const ns_tcp_session *session, const uint8_t *data, size_t len) {
    (void)ud;
    ns_tcp_session_send(session, data, len);
}

static void test_free_client_in_its_callback(void) {
    shared srv, cli;
    shared_init(&srv);
    shared_init(&cli);
    ns_tcp_server *server = ns_tcp_server_new();
    CHECK(ns_tcp_server_set_bind_address(server, "127.0.0.1") == NS_OK);
    CHECK(ns_tcp_server_set_receive_callback(server, echo_receive, NULL, NULL) == NS_OK);
    CHECK(ns_tcp_server_set_disconnection_callback(server, server_session_closed, &srv, NULL) == NS_OK);
    CHECK(ns_tcp_server_start(server, 0) == NS_OK);
    uint16_t port = 0;
    CHECK(ns_tcp_server_port(server, &port) == NS_OK);

    g_client = ns_tcp_client_new();
    CHECK(ns_tcp_client_set_connected_callback(g_client, client_connected, &cli, NULL) == NS_OK);
    CHECK(ns_tcp_client_set_receive_callback(g_client, free_self_on_receive, &cli, NULL) == NS_OK);
    CHECK(ns_tcp_client_start(g_client, "127.0.0.1", port) == NS_OK);
    CHECK(wait_at_least(&cli, &cli.connected, 1));
    CHECK(ns_tcp_client_send(g_client, (const uint8_t *)"bye", 3) == NS_OK);
    CHECK(wait_at_least(&cli, &cli.messages, 1));
    CHECK(g_client == NULL);
    CHECK(wait_at_least(&srv, &srv.disconnected, 1)); /* the freed client closed its connection */
    CHECK(ns_tcp_server_session_count(server) == 0);
    ns_tcp_server_free(server);
}

static atomic_int log_records;
static char log_seen[256];

static void on_log(void *ud, int32_t level, const char *target, const char *message) {
    (void)ud;
    (void)target;
    if (level <= NS_LOG_INFO && strstr(message, "listening") != NULL && atomic_fetch_add(&log_records, 1) == 0)
        snprintf(log_seen, sizeof log_seen, "%s", message);
}

static void test_log_callback(void) {
    CHECK(ns_set_log_callback(99, on_log, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_set_log_callback(NS_LOG_INFO, on_log, NULL) == NS_OK);
    ns_tcp_server *server = ns_tcp_server_new();
    CHECK(ns_tcp_server_set_bind_address(server, "127.0.0.1") == NS_OK);
    CHECK(ns_tcp_server_start(server, 0) == NS_OK);
    ns_tcp_server_free(server);
    CHECK(atomic_load(&log_records) >= 1); /* the start is logged at info level, synchronously */
    CHECK(strstr(log_seen, "127.0.0.1") != NULL);
    CHECK(ns_set_log_callback(NS_LOG_OFF, NULL, NULL) == NS_OK);
}

static void test_tls_arguments(void) {
    CHECK(ns_tls_server_config_set_certificate_files(NULL, "a", "b") == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tls_client_config_add_pin_sha256(NULL, "00") == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_server_set_tls(NULL, NULL) == NS_ERR_INVALID_ARGUMENT);
    ns_tls_server_config *tls = ns_tls_server_config_new();
    CHECK(ns_tls_server_config_set_certificate_files(tls, NULL, "key.pem") == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tls_server_config_set_versions(tls, 7) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tls_server_config_set_handshake_timeout_ms(tls, 0) == NS_ERR_INVALID_ARGUMENT);
    ns_tcp_server *server = ns_tcp_server_new();
    CHECK(ns_tcp_server_set_tls(server, tls) == NS_OK);
    CHECK(ns_tcp_server_set_bind_address(server, "127.0.0.1") == NS_OK);
    CHECK(ns_tcp_server_start(server, 0) == NS_ERR_CERTIFICATE_ERROR); /* no certificate yet */
    CHECK(strstr(ns_last_error_message(), "certificate") != NULL);
    CHECK(ns_tls_server_config_set_certificate_files(tls, "/nonexistent/c.pem", "/nonexistent/k.pem") == NS_OK);
    CHECK(ns_tcp_server_start(server, 0) == NS_ERR_CERTIFICATE_ERROR); /* the server has its own copy */
    CHECK(strstr(ns_last_error_message(), "certificate") != NULL);
    CHECK(ns_tcp_server_set_tls(server, tls) == NS_OK);
    CHECK(ns_tcp_server_start(server, 0) == NS_ERR_CERTIFICATE_ERROR);
    CHECK(strstr(ns_last_error_message(), "/nonexistent/c.pem") != NULL);
    CHECK(!ns_tcp_server_is_running(server));
    ns_tcp_server_free(server);

    ns_tls_client_config *ctls = ns_tls_client_config_new(true);
    CHECK(ns_tls_client_config_add_pin_sha256(ctls, "not hex") == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tls_client_config_add_pin_sha256(ctls,
                                              "86:98:95:BC:20:77:7D:5B:93:A4:B7:6B:AC:A1:17:11:AE:F6:07:75:BB:89:AA:E9:69:68:86:C8:EA:67:05:3B") == NS_OK);
    CHECK(ns_tls_client_config_set_alpn(ctls, "h2, ns/1") == NS_OK);
    CHECK(ns_tls_client_config_set_system_roots(ctls, false) == NS_OK);
    ns_tcp_client *client = ns_tcp_client_new();
    CHECK(ns_tcp_client_set_tls(client, ctls) == NS_OK);
    ns_tls_client_config_free(ctls); /* the client keeps its copy */
    /* no roots at all: refused before connecting */
    CHECK(ns_tcp_client_start(client, "127.0.0.1", 9) == NS_ERR_CERTIFICATE_ERROR);
    CHECK(!ns_tcp_client_is_running(client));
    CHECK(ns_tcp_client_get_session(client) == NULL);
    ns_tcp_client_free(client);

    /* A failed TLS setter changes nothing; NULL switches TLS off again. */
    char too_long[300];
    memset(too_long, 'p', sizeof too_long - 1);
    too_long[sizeof too_long - 1] = 0;
    CHECK(ns_tls_server_config_set_alpn(tls, too_long) == NS_ERR_INVALID_ARGUMENT);
    ns_tcp_server *plain = ns_tcp_server_new();
    CHECK(ns_tcp_server_set_tls(plain, tls) == NS_OK);
    CHECK(ns_tcp_server_set_tls(plain, NULL) == NS_OK);
    ns_tls_server_config_free(tls);
    CHECK(ns_tcp_server_set_bind_address(plain, "127.0.0.1") == NS_OK);
    CHECK(ns_tcp_server_start(plain, 0) == NS_OK); /* plain TCP: no certificate needed */
    ns_tcp_server_free(plain);
}

static void udp_echo(void *ud, const uint8_t *data, size_t len, const char *address, uint16_t port) {
    ns_udp_server_send_to((ns_udp_server *)ud, address, port, data, len);
}

static void udp_receive(void *ud, const uint8_t *data, size_t len, const char *address, uint16_t port) {
    shared *s = ud;
    (void)address;
    (void)port;
    pthread_mutex_lock(&s->lock);
    if (len < sizeof s->last) {
        memcpy(s->last, data, len);
        s->last_len = len;
    }
    ++s->messages;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void test_udp_echo(void) {
    shared cli;
    shared_init(&cli);
    uint16_t port = 0;
    ns_udp_server *server = ns_udp_server_new();
    CHECK(ns_udp_server_start(NULL, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_udp_server_port(server, &port) == NS_ERR_SERVER_NOT_STARTED);
    CHECK(ns_udp_server_set_bind_address(server, "127.0.0.1") == NS_OK);
    CHECK(ns_udp_server_set_receive_callback(server, udp_echo, server, NULL) == NS_OK);
    CHECK(ns_udp_server_start(server, 0) == NS_OK);
    CHECK(ns_udp_server_port(server, &port) == NS_OK && port != 0);

    ns_udp_client *client = ns_udp_client_new();
    CHECK(ns_udp_client_send(client, (const uint8_t *)"x", 1) == NS_ERR_CLIENT_NOT_STARTED);
    CHECK(ns_udp_client_set_receive_callback(client, udp_receive, &cli, NULL) == NS_OK);
    CHECK(ns_udp_client_start(client, "127.0.0.1", port) == NS_OK);
    static uint8_t big[65508];
    CHECK(ns_udp_client_send(client, big, sizeof big) == NS_ERR_MESSAGE_TOO_LARGE);
    CHECK(ns_udp_client_send(client, (const uint8_t *)"ping", 4) == NS_OK);
    CHECK(wait_at_least(&cli, &cli.messages, 1));
    CHECK(cli.last_len == 4 && memcmp(cli.last, "ping", 4) == 0);
    ns_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    CHECK(ns_udp_client_get_stats(client, &stats) == NS_OK && stats.messages_out == 1 && stats.messages_in == 1);
    ns_udp_client_free(client);
    ns_udp_server_free(server);
}

/* ---- WebSocket: argument checks, echo with is_text, close code and reason both ways ---- */

static void ws_echo(void *ud, const ns_ws_connection *c, const uint8_t *data, size_t len, bool is_text) {
    (void)ud;
    if (is_text) ns_ws_connection_send_text(c, data, len);
    else ns_ws_connection_send_binary(c, data, len);
}

typedef struct {
    shared s;
    int texts, binaries, closed;
    uint16_t close_code;
    char reason[64];
} ws_seen;

static void ws_client_message(void *ud, const ns_ws_connection *c, const uint8_t *data, size_t len, bool is_text) {
    ws_seen *w = ud;
    (void)c;
    pthread_mutex_lock(&w->s.lock);
    if (len < sizeof w->s.last) {
        memcpy(w->s.last, data, len);
        w->s.last_len = len;
    }
    pthread_mutex_unlock(&w->s.lock);
    bump(&w->s, is_text ? &w->texts : &w->binaries);
}

static void ws_closed(void *ud, const ns_ws_connection *c, uint16_t code, const char *reason) {
    ws_seen *w = ud;
    (void)c;
    pthread_mutex_lock(&w->s.lock);
    w->close_code = code;
    snprintf(w->reason, sizeof w->reason, "%s", reason);
    pthread_mutex_unlock(&w->s.lock);
    bump(&w->s, &w->closed);
}

static void test_ws(void) {
    const char *names[] = {"a b"};
    CHECK(ns_ws_server_start(NULL, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_ws_client_send_text(NULL, (const uint8_t *)"x", 1) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_ws_connection_close(NULL, 1000, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_ws_server_get_connection(NULL, 1) == NULL);
    ns_ws_server *server = ns_ws_server_new();
    CHECK(ns_ws_server_set_path(server, "no-slash") == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_ws_server_set_subprotocols(server, names, 1) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_ws_server_set_subprotocols(server, NULL, 1) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_ws_server_set_max_connections(server, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_ws_server_set_keepalive(server, 1000, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_ws_server_set_bind_address(server, "127.0.0.1") == NS_OK);
    CHECK(ns_ws_server_set_message_callback(server, ws_echo, NULL, NULL) == NS_OK);
    ws_seen server_seen;
    memset(&server_seen, 0, sizeof server_seen);
    shared_init(&server_seen.s);
    CHECK(ns_ws_server_set_close_callback(server, ws_closed, &server_seen, NULL) == NS_OK);
    CHECK(ns_ws_server_start(server, 0) == NS_OK);
    CHECK(ns_ws_server_set_path(server, "/x") == NS_ERR_SERVER_ALREADY_RUNNING);
    uint16_t port = 0;
    CHECK(ns_ws_server_port(server, &port) == NS_OK && port != 0);

    ws_seen seen;
    memset(&seen, 0, sizeof seen);
    shared_init(&seen.s);
    ns_ws_client *client = ns_ws_client_new();
    CHECK(ns_ws_client_send_text(client, (const uint8_t *)"x", 1) == NS_ERR_CONNECTION_CLOSED);
    CHECK(ns_ws_client_set_message_callback(client, ws_client_message, &seen, NULL) == NS_OK);
    CHECK(ns_ws_client_set_close_callback(client, ws_closed, &seen, NULL) == NS_OK);
    CHECK(ns_ws_client_start_wait(client, "127.0.0.1", port) == NS_OK);
    CHECK(ns_ws_client_is_connected(client));
    CHECK(ns_ws_client_send_text(client, (const uint8_t *)"\xff", 1) == NS_ERR_INVALID_ARGUMENT); /* not UTF-8 */
    CHECK(ns_ws_client_send_text(client, (const uint8_t *)"hello", 5) == NS_OK);
    CHECK(wait_at_least(&seen.s, &seen.texts, 1));
    CHECK(ns_ws_client_send_binary(client, (const uint8_t *)"\0\1\2", 3) == NS_OK);
    CHECK(wait_at_least(&seen.s, &seen.binaries, 1));
    CHECK(seen.s.last_len == 3 && memcmp(seen.s.last, "\0\1\2", 3) == 0);
    CHECK(ns_ws_client_close(client, 999, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_ws_client_close(client, 4000, "done") == NS_OK);
    CHECK(wait_at_least(&seen.s, &seen.closed, 1));
    CHECK(seen.close_code == 4000 && strcmp(seen.reason, "done") == 0);
    CHECK(wait_at_least(&server_seen.s, &server_seen.closed, 1));
    CHECK(server_seen.close_code == 4000 && strcmp(server_seen.reason, "done") == 0);
    ns_stats stats = {.struct_size = sizeof stats};
    CHECK(ns_ws_server_get_stats(server, &stats) == NS_OK);
    CHECK(stats.messages_in == 2 && stats.connections_total == 1);
    ns_ws_client_free(client);
    ns_ws_server_free(server);
}

/* HTTP through the C ABI: argument checks, a route reading every accessor, the blocking and the
 * asynchronous client, URL parsing, user data released exactly once. */
static int32_t http_route(void *ud, const ns_http_request *req, ns_http_response *resp) {
    (void)ud;
    ns_http_str id = {0}, verbose = {0}, host = {0}, name = {0}, value = {0};
    if (ns_http_request_find(req, NS_HTTP_PATH_PARAMS, "id", &id) != NS_OK) return 1;
    if (ns_http_request_find(req, NS_HTTP_QUERY, "verbose", &verbose) != NS_OK) return 2;
    if (ns_http_request_find(req, NS_HTTP_HEADERS, "HOST", &host) != NS_OK || host.len == 0) return 3;
    if (ns_http_request_find(req, NS_HTTP_COOKIES, "none", &value) != NS_ERR_NOT_FOUND) return 4;
    if (ns_http_request_at(req, NS_HTTP_HEADERS, 0, &name, &value) != NS_OK) return 5;
    if (ns_http_request_at(req, NS_HTTP_HEADERS, 1000, &name, &value) != NS_ERR_INVALID_ARGUMENT) return 6;
    if (ns_http_request_version(req) != NS_HTTP_VERSION_1_1) return 7;
    ns_http_str method = ns_http_request_method(req), body = ns_http_request_body(req);
    char out[128];
    int n = snprintf(out, sizeof out, "%.*s %.*s v=%.*s body=%.*s", (int)method.len, method.data, (int)id.len, id.data,
                     (int)verbose.len, verbose.data, (int)body.len, body.data);
    ns_http_response_set_status(resp, 201, NULL);
    ns_http_response_set_header(resp, "Content-Type", "text/plain");
    ns_http_response_set_cookie(resp, "sid", "a b", "/", NULL, 60, true, false, "Lax");
    ns_http_response_set_body(resp, (const uint8_t *)out, (size_t)n);
    return 0;
}

static int32_t http_fail(void *ud, const ns_http_request *req, ns_http_response *resp) {
    (void)ud;
    (void)req;
    (void)resp;
    return 9;
}

typedef struct {
    shared s;
    int done;
    int code;
    int status;
    char body[128];
} http_seen;

static void http_async_done(void *ud, ns_result code, const char *message, const ns_http_response *resp) {
    http_seen *seen = ud;
    (void)message;
    seen->code = code;
    if (resp) {
        ns_http_str body = ns_http_response_body(resp);
        seen->status = ns_http_response_status(resp);
        snprintf(seen->body, sizeof seen->body, "%.*s", (int)body.len, body.data);
    }
    bump(&seen->s, &seen->done);
}

static void test_http(void) {
    ns_http_str v = {0};
    ns_http_response *resp = NULL;
    ns_http_url *url = NULL;
    CHECK(ns_http_server_start(NULL, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_http_server_route(NULL, "GET", "/", http_route, NULL, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_http_request_find(NULL, NS_HTTP_HEADERS, "x", &v) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_http_request_count(NULL, NS_HTTP_HEADERS) == 0);
    CHECK(ns_http_request_method(NULL).len == 0);
    CHECK(ns_http_response_set_status(NULL, 200, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_http_response_status(NULL) == 0);
    CHECK(ns_http_client_request(NULL, "GET", "http://x/", NULL, 0, NULL, 0, NULL, 0, &resp) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_http_url_parse(NULL, &url) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_http_url_parse("ftp://x/", &url) == NS_ERR_INVALID_ARGUMENT && strlen(ns_last_error_message()) > 0);
    ns_http_response_free(NULL);
    ns_http_url_free(NULL);
    ns_http_server_free(NULL);
    ns_http_client_free(NULL);

    CHECK(ns_http_url_parse("https://[::1]:8443/a?x=1&y=%20", &url) == NS_OK);
    ns_http_str host = ns_http_url_host(url), k = {0};
    CHECK(host.len == 3 && memcmp(host.data, "::1", 3) == 0);
    CHECK(ns_http_url_port(url) == 8443 && ns_http_url_query_count(url) == 2);
    CHECK(ns_http_url_query_at(url, 1, &k, &v) == NS_OK && v.len == 1 && v.data[0] == ' ');
    ns_http_url_free(url);

    released = 0;
    ns_http_server *server = ns_http_server_new();
    CHECK(ns_http_server_set_bind_address(server, "127.0.0.1") == NS_OK);
    CHECK(ns_http_server_route(server, "GET", "no-slash", http_route, &released, release_user_data) == NS_ERR_INVALID_ARGUMENT);
    CHECK(released == 0); /* a refused route does not take the user data */
    CHECK(ns_http_server_route(server, "GE T", "/", http_route, NULL, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_http_server_route(server, "GET", "/", NULL, NULL, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_http_server_route(server, "*", "/items/:id", http_route, &released, release_user_data) == NS_OK);
    CHECK(ns_http_server_route(server, "GET", "/fail", http_fail, NULL, NULL) == NS_OK);
    CHECK(ns_http_server_set_max_connections(server, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_http_server_set_error_handler(server, 200, NULL, NULL, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_http_server_start(server, 0) == NS_OK);
    CHECK(ns_http_server_set_json_errors(server, true) == NS_ERR_SERVER_ALREADY_RUNNING);
    uint16_t port = 0;
    CHECK(ns_http_server_port(server, &port) == NS_OK && port != 0);

    char target[128];
    snprintf(target, sizeof target, "http://127.0.0.1:%u/items/7", port);
    ns_http_client *client = ns_http_client_new(5000);
    ns_http_pair query[] = {{"verbose", "1"}};
    CHECK(ns_http_client_request(client, "POST", target, query, 1, NULL, 0, (const uint8_t *)"hi", 2, &resp) == NS_OK);
    ns_http_str body = ns_http_response_body(resp), cookie = {0};
    CHECK(ns_http_response_status(resp) == 201);
    CHECK(body.len == 18 && memcmp(body.data, "POST 7 v=1 body=hi", 18) == 0);
    CHECK(ns_http_response_find_header(resp, "set-cookie", &cookie) == NS_OK);
    CHECK(cookie.len > 10 && memcmp(cookie.data, "sid=a%20b;", 10) == 0);
    CHECK(ns_http_response_find_header(resp, "x-missing", &cookie) == NS_ERR_NOT_FOUND);
    ns_http_response_free(resp);
    snprintf(target, sizeof target, "http://127.0.0.1:%u/fail", port);
    CHECK(ns_http_client_request(client, "GET", target, NULL, 0, NULL, 0, NULL, 0, &resp) == NS_OK);
    CHECK(ns_http_response_status(resp) == 500);
    ns_http_response_free(resp);
    CHECK(ns_http_client_request(client, "GET", "not a url", NULL, 0, NULL, 0, NULL, 0, &resp) == NS_ERR_INVALID_ARGUMENT);

    http_seen seen;
    memset(&seen, 0, sizeof seen);
    shared_init(&seen.s);
    snprintf(target, sizeof target, "http://127.0.0.1:%u/items/8?verbose=2", port);
    CHECK(ns_http_client_request_async(client, "GET", target, NULL, 0, NULL, 0, NULL, 0, http_async_done, &seen, NULL) == NS_OK);
    CHECK(wait_at_least(&seen.s, &seen.done, 1));
    CHECK(seen.code == NS_OK && seen.status == 201 && strcmp(seen.body, "GET 8 v=2 body=") == 0);
    CHECK(ns_http_client_request_async(client, "GET", "bad", NULL, 0, NULL, 0, NULL, 0, http_async_done, &released,
                                       release_user_data) == NS_ERR_INVALID_ARGUMENT);
    CHECK(released == 1); /* released at once when the request is refused */
    ns_stats stats = {.struct_size = sizeof stats};
    CHECK(ns_http_server_get_stats(server, &stats) == NS_OK && stats.messages_in == 3);
    CHECK(ns_http_client_get_stats(client, &stats) == NS_OK);
    CHECK(stats.messages_out == 3 && stats.bytes_out == 2 && stats.messages_in == 3 && stats.errors == 0);
    CHECK(ns_http_client_get_stats(NULL, &stats) == NS_ERR_INVALID_ARGUMENT);
    ns_http_client_free(client);
    ns_http_server_free(server);
    CHECK(released == 2); /* the route's user data, once, at free */
    released = 0;
}

/* ---- QUIC: argument checks, a message and a stream echoed, a close code seen by the client ---- */

static void quic_echo_message(void *ud, const ns_quic_connection *c, const uint8_t *data, size_t len) {
    (void)ud;
    ns_quic_connection_send(c, data, len);
}

static void quic_echo_stream(void *ud, const ns_quic_connection *c, uint64_t id, const uint8_t *data, size_t len,
                             bool fin) {
    (void)ud;
    ns_quic_connection_send_on_stream(c, id, data, len, fin);
}

typedef struct {
    shared s;
    int fins, closed;
    char stream[64];
    size_t stream_len;
    uint64_t close_code;
    bool by_peer;
    ns_result error;
} quic_seen;

static void quic_client_message(void *ud, const ns_quic_connection *c, const uint8_t *data, size_t len) {
    quic_seen *q = ud;
    (void)c;
    pthread_mutex_lock(&q->s.lock);
    if (len < sizeof q->s.last) {
        memcpy(q->s.last, data, len);
        q->s.last_len = len;
    }
    pthread_mutex_unlock(&q->s.lock);
    bump(&q->s, &q->s.messages);
}

static void quic_client_stream(void *ud, const ns_quic_connection *c, uint64_t id, const uint8_t *data, size_t len,
                               bool fin) {
    quic_seen *q = ud;
    (void)c;
    (void)id;
    pthread_mutex_lock(&q->s.lock);
    if (q->stream_len + len < sizeof q->stream) {
        memcpy(q->stream + q->stream_len, data, len);
        q->stream_len += len;
    }
    pthread_mutex_unlock(&q->s.lock);
    if (fin) bump(&q->s, &q->fins);
}

static void quic_client_closed(void *ud, const ns_quic_connection *c) {
    quic_seen *q = ud;
    pthread_mutex_lock(&q->s.lock);
    ns_quic_connection_close_info(c, &q->close_code, &q->by_peer, &q->error);
    pthread_mutex_unlock(&q->s.lock);
    bump(&q->s, &q->closed);
}

static void test_quic(void) {
    uint16_t port = 0;
    uint64_t id = 0;
    CHECK(ns_quic_server_start(NULL, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_quic_client_send(NULL, (const uint8_t *)"x", 1) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_quic_connection_id(NULL) == 0);
    CHECK(ns_quic_connection_send(NULL, (const uint8_t *)"x", 1) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_quic_client_create_stream(NULL, false, &id) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_quic_server_set_send_wait_ms(NULL, 10) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_quic_client_set_send_wait_ms(NULL, 10) == NS_ERR_INVALID_ARGUMENT);
    ns_quic_server *server = ns_quic_server_new();
    ns_quic_client *client = ns_quic_client_new();
    CHECK(ns_quic_server_set_tls(server, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_quic_server_start(server, 0) == NS_ERR_CERTIFICATE_ERROR); /* no certificate */
    CHECK(ns_quic_server_set_transport(server, 0, (uint64_t)1 << 63, 0, 0, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_quic_client_send(client, (const uint8_t *)"x", 1) == NS_ERR_CONNECTION_CLOSED);
    CHECK(ns_quic_client_create_stream(client, false, NULL) == NS_ERR_INVALID_ARGUMENT);
    const char *certs = getenv("NS_TEST_CERTS");
    if (!certs) {
        printf("c_api_test: QUIC echo skipped: NS_TEST_CERTS is not set (run through ctest)\n");
        ns_quic_client_free(client);
        ns_quic_server_free(server);
        return;
    }
    char cert[512], key[512], ca[512];
    snprintf(cert, sizeof cert, "%s/server.pem", certs);
    snprintf(key, sizeof key, "%s/server.key", certs);
    snprintf(ca, sizeof ca, "%s/ca.pem", certs);
    ns_tls_server_config *stls = ns_tls_server_config_new();
    CHECK(ns_tls_server_config_set_certificate_files(stls, cert, key) == NS_OK);
    CHECK(ns_quic_server_set_tls(server, stls) == NS_OK);
    ns_tls_server_config_free(stls);
    CHECK(ns_quic_server_set_socket(server, "127.0.0.1", 0, 0) == NS_OK);
    CHECK(ns_quic_server_set_send_wait_ms(server, 1000) == NS_OK);
    CHECK(ns_quic_server_set_message_callback(server, quic_echo_message, NULL, NULL) == NS_OK);
    CHECK(ns_quic_server_set_stream_callback(server, quic_echo_stream, NULL, NULL) == NS_OK);
    CHECK(ns_quic_server_start(server, 0) == NS_OK);
    CHECK(ns_quic_server_port(server, &port) == NS_OK && port != 0);

    quic_seen q;
    memset(&q, 0, sizeof q);
    shared_init(&q.s);
    ns_tls_client_config *ctls = ns_tls_client_config_new(true);
    CHECK(ns_tls_client_config_set_system_roots(ctls, false) == NS_OK);
    CHECK(ns_tls_client_config_set_ca_file(ctls, ca) == NS_OK);
    CHECK(ns_quic_client_set_tls(client, ctls) == NS_OK);
    ns_tls_client_config_free(ctls);
    CHECK(ns_quic_client_set_message_callback(client, quic_client_message, &q, NULL) == NS_OK);
    CHECK(ns_quic_client_set_stream_callback(client, quic_client_stream, &q, NULL) == NS_OK);
    CHECK(ns_quic_client_set_closed_callback(client, quic_client_closed, &q, NULL) == NS_OK);
    CHECK(ns_quic_client_start_wait(client, "127.0.0.1", port) == NS_OK);
    CHECK(ns_quic_client_send(client, (const uint8_t *)"quic!", 5) == NS_OK);
    CHECK(wait_at_least(&q.s, &q.s.messages, 1));
    CHECK(q.s.last_len == 5 && memcmp(q.s.last, "quic!", 5) == 0);
    CHECK(ns_quic_client_create_stream(client, false, &id) == NS_OK && id == 0);
    CHECK(ns_quic_client_send_on_stream(client, id, (const uint8_t *)"str", 3, false) == NS_OK);
    CHECK(ns_quic_client_send_on_stream(client, id, (const uint8_t *)"eam", 3, true) == NS_OK);
    CHECK(ns_quic_client_send_on_stream(client, id, (const uint8_t *)"x", 1, false) == NS_ERR_STREAM_CLOSED);
    CHECK(ns_quic_client_send_on_stream(client, 4000, (const uint8_t *)"x", 1, false) == NS_ERR_INVALID_ARGUMENT);
    CHECK(wait_at_least(&q.s, &q.fins, 1));
    CHECK(q.stream_len == 6 && memcmp(q.stream, "stream", 6) == 0);

    uint64_t ids[4] = {0};
    CHECK(ns_quic_server_connection_ids(server, ids, 4) == 1);
    CHECK(ns_quic_server_disconnect(server, ids[0], 7, "bye") == NS_OK);
    CHECK(ns_quic_server_disconnect(server, 999999, 7, NULL) == NS_ERR_SESSION_NOT_FOUND);
    CHECK(wait_at_least(&q.s, &q.closed, 1));
    CHECK(q.close_code == 7 && q.by_peer && q.error == NS_ERR_CLOSED_BY_PEER);
    ns_quic_client_free(client);
    ns_quic_server_free(server);
}

static void dtls_echo(void *ud, const uint8_t *data, size_t len, const char *address, uint16_t port) {
    ns_dtls_server_send_to((ns_dtls_server *)ud, address, port, data, len);
}

static void dtls_connected(void *ud, const char *address, uint16_t port) {
    shared *s = ud;
    (void)address;
    (void)port;
    pthread_mutex_lock(&s->lock);
    ++s->connected;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

static void test_dtls(void) {
    uint16_t port = 0;
    CHECK(ns_dtls_server_start(NULL, 0) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_dtls_client_send(NULL, (const uint8_t *)"x", 1) == NS_ERR_INVALID_ARGUMENT);
    ns_dtls_server *server = ns_dtls_server_new();
    ns_dtls_client *client = ns_dtls_client_new();
    CHECK(ns_dtls_server_set_tls(server, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_dtls_server_start(server, 0) == NS_ERR_CERTIFICATE_ERROR); /* no certificate */
    CHECK(ns_dtls_server_set_mtu(server, 10) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_dtls_client_send(client, (const uint8_t *)"x", 1) == NS_ERR_CONNECTION_CLOSED);
    const char *certs = getenv("NS_TEST_CERTS");
    if (!certs) {
        printf("c_api_test: DTLS echo skipped: NS_TEST_CERTS is not set (run through ctest)\n");
        ns_dtls_client_free(client);
        ns_dtls_server_free(server);
        return;
    }
    char cert[512], key[512], ca[512];
    snprintf(cert, sizeof cert, "%s/server.pem", certs);
    snprintf(key, sizeof key, "%s/server.key", certs);
    snprintf(ca, sizeof ca, "%s/ca.pem", certs);
    ns_tls_server_config *stls = ns_tls_server_config_new();
    CHECK(ns_tls_server_config_set_certificate_files(stls, cert, key) == NS_OK);
    CHECK(ns_dtls_server_set_tls(server, stls) == NS_OK);
    ns_tls_server_config_free(stls);
    CHECK(ns_dtls_server_set_bind_address(server, "127.0.0.1") == NS_OK);
    CHECK(ns_dtls_server_set_receive_callback(server, dtls_echo, server, NULL) == NS_OK);
    CHECK(ns_dtls_server_start(server, 0) == NS_OK);
    CHECK(ns_dtls_server_port(server, &port) == NS_OK && port != 0);

    shared s;
    shared_init(&s);
    ns_tls_client_config *ctls = ns_tls_client_config_new(true);
    CHECK(ns_tls_client_config_set_system_roots(ctls, false) == NS_OK);
    CHECK(ns_tls_client_config_set_ca_file(ctls, ca) == NS_OK);
    CHECK(ns_dtls_client_set_tls(client, ctls) == NS_OK);
    ns_tls_client_config_free(ctls);
    CHECK(ns_dtls_client_set_receive_callback(client, udp_receive, &s, NULL) == NS_OK);
    CHECK(ns_dtls_client_set_connected_callback(client, dtls_connected, &s, NULL) == NS_OK);
    CHECK(ns_dtls_client_start_wait(client, "localhost", port) == NS_OK);
    CHECK(ns_dtls_client_is_connected(client));
    CHECK(wait_at_least(&s, &s.connected, 1));
    CHECK(ns_dtls_client_send(client, (const uint8_t *)"dtls!", 5) == NS_OK);
    CHECK(wait_at_least(&s, &s.messages, 1));
    CHECK(s.last_len == 5 && memcmp(s.last, "dtls!", 5) == 0);
    uint8_t big[2000];
    memset(big, 1, sizeof big);
    CHECK(ns_dtls_client_send(client, big, sizeof big) == NS_ERR_MESSAGE_TOO_LARGE);
    CHECK(ns_dtls_server_session_count(server) == 1);
    CHECK(ns_dtls_server_send_to(server, "127.0.0.1", 1, (const uint8_t *)"x", 1) == NS_ERR_SESSION_NOT_FOUND);
    ns_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    CHECK(ns_dtls_server_get_stats(server, &st) == NS_OK && st.messages_in == 1 && st.connections_total == 1);
    ns_dtls_client_free(client);
    ns_dtls_server_free(server);
}

/* The connection pool: lends connected clients, refuses strangers, times out when all are lent. */
static void test_pool(void) {
    ns_tcp_pool *pool = NULL;
    CHECK(ns_tcp_pool_new("127.0.0.1", 1, 0, 1000, NULL, &pool) == NS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(ns_last_error_message(), "pool_size") != NULL);
    CHECK(ns_tcp_pool_new("", 1, 1, 1000, NULL, &pool) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_pool_new("127.0.0.1", 1, 1, 1000, NULL, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_tcp_pool_initialize(NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(pool == NULL);

    shared s;
    shared_init(&s);
    uint16_t port = 0;
    ns_tcp_server *server = ns_tcp_server_new();
    CHECK(ns_tcp_server_set_bind_address(server, "127.0.0.1") == NS_OK);
    CHECK(ns_tcp_server_set_framing(server, NS_FRAMING_LENGTH_PREFIXED) == NS_OK);
    CHECK(ns_tcp_server_set_receive_callback(server, server_receive, &s, NULL) == NS_OK);
    CHECK(ns_tcp_server_start(server, 0) == NS_OK);
    CHECK(ns_tcp_server_port(server, &port) == NS_OK);
    ns_tcp_client *options = ns_tcp_client_new();
    CHECK(ns_tcp_client_set_framing(options, NS_FRAMING_LENGTH_PREFIXED) == NS_OK);
    CHECK(ns_tcp_pool_new("127.0.0.1", port, 1, 100, options, &pool) == NS_OK);
    ns_tcp_client_free(options); /* the pool copied its options */

    ns_tcp_client *lent = NULL;
    CHECK(ns_tcp_pool_acquire(pool, &lent) == NS_ERR_NOT_INITIALIZED);
    CHECK(ns_tcp_pool_initialize(pool) == NS_OK);
    CHECK(ns_tcp_pool_size(pool) == 1);
    CHECK(ns_tcp_pool_acquire(pool, &lent) == NS_OK && lent != NULL);
    CHECK(ns_tcp_pool_active_count(pool) == 1);
    CHECK(ns_tcp_pool_owns(pool, lent));
    CHECK(ns_tcp_client_set_receive_callback(lent, client_receive, &s, NULL) == NS_OK);
    CHECK(ns_tcp_client_send(lent, (const uint8_t *)"pooled", 6) == NS_OK);
    CHECK(wait_at_least(&s, &s.messages, 1));
    CHECK(s.last_len == 6 && memcmp(s.last, "pooled", 6) == 0); /* one framed message back */

    ns_tcp_client *other = NULL;
    CHECK(ns_tcp_pool_acquire(pool, &other) == NS_ERR_CONNECTION_TIMEOUT); /* all lent, after 100 ms */
    ns_tcp_client *stranger = ns_tcp_client_new();
    CHECK(!ns_tcp_pool_owns(pool, stranger));
    CHECK(ns_tcp_pool_release(pool, stranger) == NS_ERR_INVALID_ARGUMENT);
    ns_tcp_client_free(stranger);
    CHECK(ns_tcp_pool_release(pool, lent) == NS_OK);
    CHECK(ns_tcp_pool_release(pool, lent) == NS_ERR_INVALID_ARGUMENT); /* not lent any more */
    CHECK(ns_tcp_pool_active_count(pool) == 0);
    ns_tcp_pool_free(pool);
    ns_tcp_pool_free(NULL);
    ns_tcp_server_free(server);
}

static void count_tick(void *ud) {
    shared *s = ud;
    bump(s, &s->messages);
}

/* The timer calls back on a runtime thread until freed; its user data is released once. */
static void test_timer(void) {
    ns_timer *timer = NULL;
    shared s;
    shared_init(&s);
    CHECK(ns_timer_new(0, count_tick, &s, NULL, &timer) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_timer_new(5, NULL, &s, NULL, &timer) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_timer_new(5, count_tick, &s, NULL, NULL) == NS_ERR_INVALID_ARGUMENT);
    atomic_store(&released, 0);
    CHECK(ns_timer_new(5, count_tick, &s, release_user_data, &timer) == NS_OK);
    CHECK(wait_at_least(&s, &s.messages, 3));
    ns_timer_free(timer);
    CHECK(atomic_load(&released) == 1);
    pthread_mutex_lock(&s.lock);
    const int after_free = s.messages;
    pthread_mutex_unlock(&s.lock);
    ns_timer_new(1000, count_tick, &s, NULL, &timer);
    ns_timer_free(timer); /* freed before its first tick: never called */
    CHECK(s.messages == after_free);
    ns_timer_free(NULL);
}

/* The process-wide snapshot of one protocol and role. */
typedef struct {
    ns_stats stats;
    uint64_t objects, created;
} metrics_entry;

static metrics_entry metrics_of(const ns_metrics_snapshot *snap, int protocol, int role) {
    metrics_entry e;
    memset(&e, 0, sizeof e);
    e.stats.struct_size = sizeof e.stats;
    CHECK(ns_metrics_snapshot_stats(snap, protocol, role, &e.stats, &e.objects, &e.created) == NS_OK);
    return e;
}

static uint64_t connects_of(const ns_metrics_snapshot *snap) {
    ns_latency_histogram h;
    memset(&h, 0, sizeof h);
    h.struct_size = sizeof h;
    CHECK(ns_metrics_snapshot_latency(snap, NS_METRICS_LATENCY_CONNECT, &h) == NS_OK);
    uint64_t in_buckets = 0;
    for (size_t i = 0; i < NS_METRICS_LATENCY_BUCKETS; ++i) in_buckets += h.buckets[i];
    CHECK(in_buckets == h.count);
    CHECK(h.bucket_bounds_us[0] == 100 && h.bucket_bounds_us[NS_METRICS_LATENCY_BUCKETS - 1] == UINT64_MAX);
    return h.count;
}

/* A TCP echo of 10 framed messages (1..10 bytes): the snapshot counts exactly that, for the
 * live objects and, after they are freed, for the retired ones; the Prometheus text says the
 * same. */
static void test_metrics(void) {
    ns_metrics_snapshot *before = NULL, *during = NULL, *after = NULL;
    CHECK(ns_metrics_snapshot_new(NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_metrics_snapshot_new(&before) == NS_OK);
    ns_stats stats;
    memset(&stats, 0, sizeof stats);
    stats.struct_size = sizeof stats;
    CHECK(ns_metrics_snapshot_stats(before, 8, NS_METRICS_ALL_ROLES, &stats, NULL, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_metrics_snapshot_stats(before, NS_METRICS_TCP, 3, &stats, NULL, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_metrics_snapshot_stats(NULL, NS_METRICS_TCP, NS_METRICS_SERVER, &stats, NULL, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_metrics_snapshot_latency(before, 3, NULL) == NS_ERR_INVALID_ARGUMENT);
    CHECK(ns_metrics_snapshot_prometheus(before, NULL, NULL) == NS_ERR_INVALID_ARGUMENT);
    const metrics_entry server0 = metrics_of(before, NS_METRICS_TCP, NS_METRICS_SERVER);
    const metrics_entry client0 = metrics_of(before, NS_METRICS_TCP, NS_METRICS_CLIENT);
    const metrics_entry all0 = metrics_of(before, NS_METRICS_ALL_PROTOCOLS, NS_METRICS_ALL_ROLES);
    const uint64_t connects0 = connects_of(before);

    shared srv, cli;
    shared_init(&srv);
    shared_init(&cli);
    uint16_t port = 0;
    ns_tcp_server *server = ns_tcp_server_new();
    ns_tcp_client *client = ns_tcp_client_new();
    CHECK(ns_tcp_server_set_bind_address(server, "127.0.0.1") == NS_OK);
    CHECK(ns_tcp_server_set_framing(server, NS_FRAMING_LENGTH_PREFIXED) == NS_OK);
    CHECK(ns_tcp_server_set_receive_callback(server, server_receive, &srv, NULL) == NS_OK);
    CHECK(ns_tcp_server_start(server, 0) == NS_OK);
    CHECK(ns_tcp_server_port(server, &port) == NS_OK);
    CHECK(ns_tcp_client_set_framing(client, NS_FRAMING_LENGTH_PREFIXED) == NS_OK);
    CHECK(ns_tcp_client_set_receive_callback(client, client_receive, &cli, NULL) == NS_OK);
    CHECK(ns_tcp_client_start_wait(client, "127.0.0.1", port) == NS_OK);
    uint64_t bytes = 0;
    for (size_t i = 1; i <= 10; ++i) {
        CHECK(ns_tcp_client_send(client, (const uint8_t *)"0123456789", i) == NS_OK);
        bytes += i;
    }
    CHECK(wait_at_least(&cli, &cli.messages, 10));

    CHECK(ns_metrics_snapshot_new(&during) == NS_OK);
    metrics_entry srv_m = metrics_of(during, NS_METRICS_TCP, NS_METRICS_SERVER);
    metrics_entry client_m = metrics_of(during, NS_METRICS_TCP, NS_METRICS_CLIENT);
    CHECK(srv_m.objects == server0.objects + 1 && srv_m.created == server0.created + 1);
    CHECK(client_m.objects == client0.objects + 1 && client_m.created == client0.created + 1);
    CHECK(srv_m.stats.connections_total == server0.stats.connections_total + 1);
    CHECK(srv_m.stats.active_connections == server0.stats.active_connections + 1);
    CHECK(srv_m.stats.messages_in == server0.stats.messages_in + 10);
    CHECK(srv_m.stats.bytes_in == server0.stats.bytes_in + bytes);
    CHECK(srv_m.stats.messages_out == server0.stats.messages_out + 10);
    CHECK(srv_m.stats.bytes_out == server0.stats.bytes_out + bytes);
    CHECK(client_m.stats.messages_out == client0.stats.messages_out + 10);
    CHECK(client_m.stats.bytes_out == client0.stats.bytes_out + bytes);
    CHECK(client_m.stats.messages_in == client0.stats.messages_in + 10);
    CHECK(client_m.stats.bytes_in == client0.stats.bytes_in + bytes);
    CHECK(client_m.stats.connections_total == client0.stats.connections_total + 1);
    const metrics_entry all = metrics_of(during, NS_METRICS_ALL_PROTOCOLS, NS_METRICS_ALL_ROLES);
    CHECK(all.stats.messages_in == all0.stats.messages_in + 20);
    CHECK(connects_of(during) == connects0 + 1);

    /* The Prometheus text carries the same numbers. */
    const char *text = NULL;
    size_t len = 0;
    CHECK(ns_metrics_snapshot_prometheus(during, &text, &len) == NS_OK && text != NULL);
    CHECK(len == strlen(text));
    char line[128];
    snprintf(line, sizeof line, "\nnetwork_bytes_received_total{protocol=\"tcp\",role=\"server\"} %llu\n",
             (unsigned long long)srv_m.stats.bytes_in);
    CHECK(strstr(text, line) != NULL);
    snprintf(line, sizeof line, "\nnetwork_connect_duration_seconds_count %llu\n",
             (unsigned long long)(connects0 + 1));
    CHECK(strstr(text, line) != NULL);
    CHECK(strstr(text, "# TYPE network_connections_active gauge\n") != NULL);

    ns_tcp_client_free(client);
    ns_tcp_server_free(server);
    CHECK(ns_metrics_snapshot_new(&after) == NS_OK);
    srv_m = metrics_of(after, NS_METRICS_TCP, NS_METRICS_SERVER);
    client_m = metrics_of(after, NS_METRICS_TCP, NS_METRICS_CLIENT);
    CHECK(srv_m.objects == server0.objects && srv_m.created == server0.created + 1);
    CHECK(srv_m.stats.active_connections == server0.stats.active_connections);
    CHECK(srv_m.stats.bytes_in == server0.stats.bytes_in + bytes); /* kept once freed */
    CHECK(client_m.stats.bytes_in == client0.stats.bytes_in + bytes);
    CHECK(client_m.objects == client0.objects);
    ns_metrics_snapshot_free(after);
    ns_metrics_snapshot_free(during);
    ns_metrics_snapshot_free(before);
    ns_metrics_snapshot_free(NULL);

    /* A TCP server given TLS options counts as TLS, live and once freed. */
    CHECK(ns_metrics_snapshot_new(&before) == NS_OK);
    const metrics_entry tcp0 = metrics_of(before, NS_METRICS_TCP, NS_METRICS_SERVER);
    const metrics_entry tls0 = metrics_of(before, NS_METRICS_TLS, NS_METRICS_SERVER);
    ns_tcp_server *secure = ns_tcp_server_new();
    ns_tls_server_config *tls = ns_tls_server_config_new();
    CHECK(ns_tcp_server_set_tls(secure, tls) == NS_OK);
    ns_tls_server_config_free(tls);
    CHECK(ns_metrics_snapshot_new(&during) == NS_OK);
    CHECK(metrics_of(during, NS_METRICS_TLS, NS_METRICS_SERVER).objects == tls0.objects + 1);
    CHECK(metrics_of(during, NS_METRICS_TCP, NS_METRICS_SERVER).objects == tcp0.objects);
    ns_tcp_server_free(secure);
    CHECK(ns_metrics_snapshot_new(&after) == NS_OK);
    const metrics_entry tls1 = metrics_of(after, NS_METRICS_TLS, NS_METRICS_SERVER);
    CHECK(tls1.objects == tls0.objects && tls1.created == tls0.created + 1);
    CHECK(metrics_of(after, NS_METRICS_TCP, NS_METRICS_SERVER).created == tcp0.created);
    ns_metrics_snapshot_free(after);
    ns_metrics_snapshot_free(during);
    ns_metrics_snapshot_free(before);
}

int main(void) {
    test_log_callback();
    test_udp_echo();
    test_tls_arguments();
    test_ws();
    test_http();
    test_quic();
    test_dtls();
    test_argument_checks();
    test_framed_echo_and_stop_in_callback();
    test_free_client_in_its_callback();
    test_pool();
    test_timer();
    test_metrics();
    printf("c_api_test: %d checks, %d passed, %d failed\n", checks, checks - failures, failures);
    return failures == 0 ? 0 : 1;
}

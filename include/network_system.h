/* network_system: asynchronous networking for C and C++. C ABI, see README.md.
 *
 * Threading and callback contract (the README says the same):
 * - One process-wide runtime runs everything: ns_runtime_configure() sets its worker count
 *   before first use (else env NETWORK_SYSTEM_WORKER_THREADS, else the core count). No object
 *   owns a thread.
 * - Every function may be called from any thread, also from inside callbacks, unless its own
 *   documentation says otherwise.
 * - Callbacks run on runtime threads. For one connection they never overlap and come in order:
 *   connected, receive..., error (if it failed), disconnected (exactly once per connection that
 *   reported connected). Callbacks of different connections may run at the same time. One
 *   exception: stop called outside any callback closes a plain TCP connection whose callbacks are
 *   idle (nothing queued to send) itself, and calls its disconnected callback on the stopping
 *   thread before returning, as the original's stop_client does.
 * - Borrowed: every pointer a callback receives (data, message, address, the const
 *   ns_tcp_session pointer) is valid only during the call. ns_tcp_session_retain returns an
 *   owned session handle; release it with ns_tcp_session_release, and never release a borrowed
 *   one.
 * - Owned: a handle from a _new function is released by its _free function; a buffer handed to a
 *   _send_owned function belongs to the library, which calls its free_fn exactly once. Callback
 *   user data is released by its free function once the callback is replaced or the object freed
 *   and no call of it runs.
 * - stop returns when no callback of that object runs or will run again; its user data may then
 *   be freed. It waits per object, also when called from a callback of another object (the
 *   runtime keeps serving meanwhile). Inside a callback of the same object it only starts the
 *   stop and returns; likewise when a callback of the object being stopped is itself waiting for
 *   the caller's object (the two would wait for each other).
 * - wait_for_stop blocks until the object is stopped and every stop in progress has returned.
 *   Inside any callback, or on a runtime thread, it returns NS_ERR_INVALID_ARGUMENT at once
 *   instead of waiting for itself.
 * - free is exclusive: no other call on the same handle may overlap it or follow it. It stops
 *   the object first, waiting as stop does. Safe patterns: stop on one thread, then
 *   wait_for_stop and free on another; free from inside one of the object's own callbacks.
 * - A callback that blocks holds a runtime worker: hand long work to your own threads. The
 *   library never holds its locks while calling you.
 * - fork: the child of a process that uses the library cannot use it (the runtime's threads do
 *   not survive fork). Every call there returns NS_ERR_NOT_INITIALIZED at once (functions
 *   returning a handle return NULL, free does nothing): fork + exec only.
 * - Exit: stop or free every object before main returns. Once the process is exiting (exit,
 *   return from main) no callback is called any more, so none runs while static objects are
 *   destroyed.
 * - SIGPIPE is set to ignored when the first object is created, unless the application installed
 *   a handler of its own.
 */

#ifndef NETWORK_SYSTEM_H
#define NETWORK_SYSTEM_H

/* Generated from src/ffi by cbindgen (build.rs). Do not edit: run `NS_UPDATE_HEADER=1 cargo build` and commit. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NS_VERSION_MAJOR 0

#define NS_VERSION_MINOR 1

#define NS_VERSION_PATCH 0

// Log levels for `ns_set_log_callback`.
#define NS_LOG_OFF 0

#define NS_LOG_ERROR 1

#define NS_LOG_WARN 2

#define NS_LOG_INFO 3

#define NS_LOG_DEBUG 4

#define NS_LOG_TRACE 5

// Request headers (lower-case names, arrival order).
#define NS_HTTP_HEADERS 0

// Decoded query parameters.
#define NS_HTTP_QUERY 1

// The matched route's `:name` parameters.
#define NS_HTTP_PATH_PARAMS 2

// Cookies of the `Cookie` header.
#define NS_HTTP_COOKIES 3

// Fields of a form or multipart body.
#define NS_HTTP_FORM 4

// HTTP versions as `ns_http_request_version` / `ns_http_response_version` report them.
#define NS_HTTP_VERSION_1_0 10

#define NS_HTTP_VERSION_1_1 11

#define NS_HTTP_VERSION_2 20

// `protocol` values of `ns_metrics_snapshot_stats`.
#define NS_METRICS_ALL_PROTOCOLS 0

#define NS_METRICS_TCP 1

// TCP servers and clients with TLS options.
#define NS_METRICS_TLS 2

#define NS_METRICS_UDP 3

#define NS_METRICS_DTLS 4

#define NS_METRICS_WEBSOCKET 5

#define NS_METRICS_HTTP 6

#define NS_METRICS_QUIC 7

// `role` values of `ns_metrics_snapshot_stats`.
#define NS_METRICS_ALL_ROLES 0

#define NS_METRICS_SERVER 1

#define NS_METRICS_CLIENT 2

// `which` values of `ns_metrics_snapshot_latency`: a client's connection set-up (TCP connect
// and TLS, WebSocket, DTLS or QUIC handshakes); an HTTP client request until its whole
// response; an HTTP server request from its head until the response is ready.
#define NS_METRICS_LATENCY_CONNECT 0

#define NS_METRICS_LATENCY_HTTP_CLIENT_REQUEST 1

#define NS_METRICS_LATENCY_HTTP_SERVER_REQUEST 2

// Buckets of a latency histogram.
#define NS_METRICS_LATENCY_BUCKETS 16

// Raw byte stream (default): no header on the wire; data arrives in chunks.
#define NS_FRAMING_RAW 0

// 4-byte big-endian length before each message; whole messages are delivered.
#define NS_FRAMING_LENGTH_PREFIXED 1

// TLS 1.2 and 1.3 (default).
#define NS_TLS_VERSIONS_1_2_AND_1_3 0

// TLS 1.3 only.
#define NS_TLS_VERSIONS_1_3_ONLY 1

// TLS 1.2 only.
#define NS_TLS_VERSIONS_1_2_ONLY 2

// Largest UDP payload over IPv4 (65535 − 20 IP − 8 UDP header bytes).
#define NS_MAX_DATAGRAM_V4 65507

// Largest UDP payload over IPv6 without jumbograms (65535 − 8 UDP header bytes).
#define NS_MAX_DATAGRAM_V6 65527

// A request as a handler sees it: the whole body read, query, cookies, form fields and files
// parsed. Header names are lower case (HTTP/2 requires it; HTTP/1.1 names are folded).
typedef struct HttpRequest HttpRequest;

// A response. Server side: what a handler returns (status 200, no headers, empty body by
// default). Client side: what the peer sent, body decoded from gzip/deflate when
// decompression is on.
typedef struct HttpResponse HttpResponse;

// The latency histograms.
typedef struct Latency Latency;

// The protocol of a server or client.
typedef struct Protocol Protocol;

// A QUIC connection: on a server one accepted client, on a client its connection. Cheap to
// clone; every clone refers to the same connection.
typedef struct QuicConnection QuicConnection;

// Server or client.
typedef struct Role Role;

// A connection: on a server, one accepted client; on a client, its current connection.
// Cheap to clone; every clone refers to the same connection.
typedef struct Session Session;

// A WebSocket connection: on a server one accepted client, on a client its connection.
// Cheap to clone; every clone refers to the same connection.
typedef struct WsConnection WsConnection;

// A DTLS client. Create with `ns_dtls_client_new`, release with `ns_dtls_client_free`.
typedef struct ns_dtls_client ns_dtls_client;

// A DTLS server. Create with `ns_dtls_server_new`, release with `ns_dtls_server_free`.
typedef struct ns_dtls_server ns_dtls_server;

// An HTTP client. Create with `ns_http_client_new`, release with `ns_http_client_free`. All
// functions may be called from any thread at once (except free).
typedef struct ns_http_client ns_http_client;

// An HTTP server (HTTP/1.1 and HTTP/2). Create with `ns_http_server_new`, release with
// `ns_http_server_free`.
typedef struct ns_http_server ns_http_server;

// A parsed URL (`ns_http_url_parse`); release with `ns_http_url_free`.
typedef struct ns_http_url ns_http_url;

// The counters of every server and client of the process at one moment (live ones and those
// already freed), and the latency histograms. Create with `ns_metrics_snapshot_new`, read
// with `ns_metrics_snapshot_*` from any thread, release with `ns_metrics_snapshot_free`.
typedef struct ns_metrics_snapshot ns_metrics_snapshot;

// A QUIC client. Create with `ns_quic_client_new`, release with `ns_quic_client_free`.
typedef struct ns_quic_client ns_quic_client;

// A QUIC server. Create with `ns_quic_server_new`, release with `ns_quic_server_free`.
typedef struct ns_quic_server ns_quic_server;

// A TCP client. Create with `ns_tcp_client_new`, release with `ns_tcp_client_free` (never a
// client lent by `ns_tcp_pool_acquire`).
typedef struct ns_tcp_client ns_tcp_client;

// A pool of connected clients. Create with `ns_tcp_pool_new`, release with `ns_tcp_pool_free`.
typedef struct ns_tcp_pool ns_tcp_pool;

// A TCP server. Create with `ns_tcp_server_new`, release with `ns_tcp_server_free`.
typedef struct ns_tcp_server ns_tcp_server;

// A repeating timer. Create with `ns_timer_new`, release with `ns_timer_free`.
typedef struct ns_timer ns_timer;

// TLS settings of a client (trust roots, verification, SNI name, pins, client certificate,
// ALPN, versions, handshake timeout).
typedef struct ns_tls_client_config ns_tls_client_config;

// TLS settings of a server (certificate, client CA, ALPN, versions, handshake timeout).
typedef struct ns_tls_server_config ns_tls_server_config;

// A UDP client. Create with `ns_udp_client_new`, release with `ns_udp_client_free`.
typedef struct ns_udp_client ns_udp_client;

// A UDP server. Create with `ns_udp_server_new`, release with `ns_udp_server_free`.
typedef struct ns_udp_server ns_udp_server;

// A WebSocket client. Create with `ns_ws_client_new`, release with `ns_ws_client_free`.
typedef struct ns_ws_client ns_ws_client;

// A WebSocket server. Create with `ns_ws_server_new`, release with `ns_ws_server_free`.
typedef struct ns_ws_server ns_ws_server;

// 0 on success, a negative `NS_ERR_*` code otherwise.
typedef int32_t ns_result;

// Receives log records: level (`NS_LOG_*`), target (module) and message, valid during the call.
typedef void (*ns_log_fn)(void *user_data, int32_t level, const char *target, const char *message);

// One received datagram (valid during the call) and its sender (`address` NUL-terminated,
// valid during the call).
typedef void (*ns_udp_receive_fn)(void *user_data,
                                  const uint8_t *data,
                                  size_t len,
                                  const char *address,
                                  uint16_t port);

// Releases user data handed to the library (see the callback setters and `*_send_owned`).
typedef void (*ns_free_fn)(void *user_data);

// A peer whose session began (handshake complete) or ended; `address` NUL-terminated, valid
// during the call. A client's peer is its server.
typedef void (*ns_dtls_peer_fn)(void *user_data, const char *address, uint16_t port);

// An error with the peer it concerns (`address` NULL and `port` 0 when it concerns the object
// itself): -606 certificate refused, -605 handshake failed, -602 handshake timed out, -621
// idle session expired, -601 port unreachable …
typedef void (*ns_dtls_error_fn)(void *user_data,
                                 ns_result code,
                                 const char *message,
                                 const char *address,
                                 uint16_t port);

// Counters of a server, client or session. Set `struct_size = sizeof(ns_stats)` before the
// call; the library fills at most that many bytes, so the struct can grow.
typedef struct ns_stats {
  size_t struct_size;
  uint64_t connections_total;
  uint64_t active_connections;
  uint64_t connections_rejected;
  uint64_t messages_in;
  uint64_t messages_out;
  uint64_t bytes_in;
  uint64_t bytes_out;
  uint64_t queued_bytes;
  uint64_t errors;
  // UDP: datagrams not sent (send buffer full) + datagrams the kernel dropped (receive
  // buffer full). 0 for TCP.
  uint64_t dropped;
  // TCP/TLS: socket writes that sent data; fewer than messages_out when sends coalesced.
  uint64_t writes;
} ns_stats;

// A borrowed string or byte range: `len` bytes at `data` (not NUL-terminated). `data` is
// NULL only with `len` 0.
typedef struct ns_http_str {
  const char *data;
  size_t len;
} ns_http_str;

// A request, borrowed by a handler during its call.
typedef struct HttpRequest ns_http_request;

// One uploaded file of a multipart request; views into the request.
typedef struct ns_http_file {
  struct ns_http_str field_name;
  struct ns_http_str filename;
  struct ns_http_str content_type;
  struct ns_http_str content;
} ns_http_file;

// A response: filled by a handler (borrowed during the call; starts as 200 with no headers
// and no body), or returned by the client (owned: release with `ns_http_response_free`).
typedef struct HttpResponse ns_http_response;

// A name and a value, NUL-terminated (query parameters and headers of a client request).
typedef struct ns_http_pair {
  const char *name;
  const char *value;
} ns_http_pair;

// The end of an asynchronous request: `code` 0 and the response (borrowed, valid during the
// call), or an error code, its message and NULL. Runs on a runtime thread.
typedef void (*ns_http_response_fn)(void *user_data,
                                    ns_result code,
                                    const char *message,
                                    const ns_http_response *response);

// A route, not-found or failure handler: fill `response` (it starts as 200, no headers,
// empty body) and return 0; any other value answers 500 through the error handlers.
typedef int32_t (*ns_http_handler_fn)(void *user_data,
                                      const ns_http_request *request,
                                      ns_http_response *response);

// An error the server answers itself, as an error handler sees it (views valid during the
// call).
typedef struct ns_http_error_info {
  int32_t status;
  // The standard reason phrase ("Not Found").
  struct ns_http_str message;
  // What went wrong ("no route for GET /x").
  struct ns_http_str detail;
  // "METHOD target" of the request, empty when none was read.
  struct ns_http_str request;
} ns_http_error_info;

// An error handler: fill `response` (it starts with the error's status, no headers, empty
// body).
typedef void (*ns_http_error_fn)(void *user_data,
                                 const struct ns_http_error_info *error,
                                 ns_http_response *response);

// A latency histogram. Set `struct_size = sizeof(ns_latency_histogram)` before the call.
typedef struct ns_latency_histogram {
  size_t struct_size;
  uint64_t count;
  uint64_t sum_ns;
  // 0 when empty.
  uint64_t min_ns;
  uint64_t max_ns;
  // Upper bound (inclusive, microseconds) of each bucket: 100 µs, 500 µs, 1 ms … 10 s, and
  // UINT64_MAX for the last, which counts what is above 10 s.
  uint64_t bucket_bounds_us[NS_METRICS_LATENCY_BUCKETS];
  // Observations per bucket (not cumulative).
  uint64_t buckets[NS_METRICS_LATENCY_BUCKETS];
} ns_latency_histogram;

// One QUIC connection. Callbacks receive a borrowed `const ns_quic_connection *` (valid
// during the call; never pass it to `ns_quic_connection_release`);
// `ns_quic_connection_retain`, `ns_quic_server_get_connection` and
// `ns_quic_client_get_connection` return owned handles to release with
// `ns_quic_connection_release`.
typedef struct QuicConnection ns_quic_connection;

// A connection (borrowed) was established, or — for the closed callback — ended (last, once;
// `ns_quic_connection_close_info` tells how).
typedef void (*ns_quic_connection_fn)(void *user_data, const ns_quic_connection *connection);

// A whole message of the peer's `send`, or a datagram: `len` bytes at `data` (valid during
// the call).
typedef void (*ns_quic_data_fn)(void *user_data,
                                const ns_quic_connection *connection,
                                const uint8_t *data,
                                size_t len);

// The next bytes of stream `stream_id`, in order; `fin` on the last call of the stream
// (which may carry no bytes).
typedef void (*ns_quic_stream_fn)(void *user_data,
                                  const ns_quic_connection *connection,
                                  uint64_t stream_id,
                                  const uint8_t *data,
                                  size_t len,
                                  bool fin);

// An error; `connection` is NULL for errors of no connection (failed handshake, limit
// reached).
typedef void (*ns_quic_error_fn)(void *user_data,
                                 const ns_quic_connection *connection,
                                 ns_result code,
                                 const char *message);

// Transport figures of a connection (quinn's). Set `struct_size = sizeof(ns_quic_stats)`
// before the call; the library fills at most that many bytes, so the struct can grow.
typedef struct ns_quic_stats {
  size_t struct_size;
  // UDP payload bytes and datagrams, all packets included.
  uint64_t bytes_sent;
  uint64_t bytes_received;
  uint64_t packets_sent;
  uint64_t packets_received;
  uint64_t packets_lost;
  uint64_t smoothed_rtt_us;
  uint64_t min_rtt_us;
  // Congestion window in bytes.
  uint64_t cwnd;
} ns_quic_stats;

// One connection. Callbacks receive a borrowed `const ns_tcp_session *` (valid during the
// call; never pass it to `ns_tcp_session_release`); `ns_tcp_session_retain` returns an owned
// handle to release with `ns_tcp_session_release`.
typedef struct Session ns_tcp_session;

// Connect or disconnect event of `session` (borrowed).
typedef void (*ns_tcp_session_fn)(void *user_data, const ns_tcp_session *session);

// Received bytes on `session` (both borrowed): a chunk in raw mode, a whole message in framed mode.
typedef void (*ns_tcp_receive_fn)(void *user_data,
                                  const ns_tcp_session *session,
                                  const uint8_t *data,
                                  size_t len);

// An error; `session` (borrowed) is NULL for errors of no connection (connect failure, limit
// reached).
typedef void (*ns_tcp_error_fn)(void *user_data,
                                const ns_tcp_session *session,
                                ns_result code,
                                const char *message);

// Called at each tick with the user data.
typedef void (*ns_timer_fn)(void *user_data);

// An error, e.g. -601 when an earlier datagram met ICMP "port unreachable" (client).
typedef void (*ns_udp_error_fn)(void *user_data, ns_result code, const char *message);

// One WebSocket connection. Callbacks receive a borrowed `const ns_ws_connection *` (valid
// during the call; never pass it to `ns_ws_connection_release`); `ns_ws_connection_retain`,
// `ns_ws_server_get_connection` and `ns_ws_client_get_connection` return owned handles to
// release with `ns_ws_connection_release`.
typedef struct WsConnection ns_ws_connection;

// A connection (borrowed) was established, after the opening handshake.
typedef void (*ns_ws_connection_fn)(void *user_data, const ns_ws_connection *connection);

// A whole message (fragments reassembled): `len` bytes at `data` (valid during the call),
// text (valid UTF-8, not NUL-terminated) when `is_text`, else binary.
typedef void (*ns_ws_message_fn)(void *user_data,
                                 const ns_ws_connection *connection,
                                 const uint8_t *data,
                                 size_t len,
                                 bool is_text);

// The connection ended, last, once: the close code (sent by the peer, or 1005 when its close
// frame had none, 1006 when the connection ended without a close handshake) and the reason
// (NUL-terminated UTF-8, "" when none).
typedef void (*ns_ws_close_fn)(void *user_data,
                               const ns_ws_connection *connection,
                               uint16_t code,
                               const char *reason);

// An error; `connection` is NULL for errors of no connection (refused handshake, failed
// connect, limit reached).
typedef void (*ns_ws_error_fn)(void *user_data,
                               const ns_ws_connection *connection,
                               ns_result code,
                               const char *message);



#define NS_OK 0

#define NS_ERR_INVALID_ARGUMENT -1

#define NS_ERR_NOT_FOUND -2

#define NS_ERR_PERMISSION_DENIED -3

#define NS_ERR_TIMEOUT -4

#define NS_ERR_CANCELLED -5

#define NS_ERR_NOT_INITIALIZED -6

#define NS_ERR_ALREADY_EXISTS -7

#define NS_ERR_OUT_OF_MEMORY -8

#define NS_ERR_IO_ERROR -9

#define NS_ERR_NETWORK_ERROR -10

#define NS_ERR_INTERNAL -99

#define NS_ERR_CONNECTION_FAILED -600

#define NS_ERR_CONNECTION_REFUSED -601

#define NS_ERR_CONNECTION_TIMEOUT -602

#define NS_ERR_CONNECTION_CLOSED -603

#define NS_ERR_CIRCUIT_OPEN -604

#define NS_ERR_TLS_HANDSHAKE_FAILED -605

#define NS_ERR_CERTIFICATE_ERROR -606

#define NS_ERR_ADDRESS_RESOLUTION_FAILED -607

#define NS_ERR_SESSION_NOT_FOUND -620

#define NS_ERR_SESSION_EXPIRED -621

#define NS_ERR_INVALID_SESSION -622

#define NS_ERR_SESSION_LIMIT_REACHED -623

#define NS_ERR_SEND_FAILED -640

#define NS_ERR_RECEIVE_FAILED -641

#define NS_ERR_MESSAGE_TOO_LARGE -642

#define NS_ERR_SEND_QUEUE_FULL -643

#define NS_ERR_PROTOCOL_ERROR -644

#define NS_ERR_SERVER_NOT_STARTED -660

#define NS_ERR_SERVER_ALREADY_RUNNING -661

#define NS_ERR_BIND_FAILED -662

#define NS_ERR_CLIENT_NOT_STARTED -663

#define NS_ERR_CLIENT_ALREADY_RUNNING -664

#define NS_ERR_STREAM_LIMIT_REACHED -680

#define NS_ERR_STREAM_CLOSED -681

#define NS_ERR_CLOSED_BY_PEER -682

// Upper bounds of the histogram buckets in microseconds (the original library's default
// latency buckets: 0.1 ms … 10 s); one more bucket counts what is above the last.
#define BUCKET_BOUNDS_US { 100, 500, 1000, 2000, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, }







#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

// Version string, e.g. "0.1.0". Static storage; never free it. Any thread.
const char *ns_version(void);

// Name of an error code, e.g. "connection_closed", or "unknown_error". Static storage;
// never free it. Any thread.
const char *ns_error_name(ns_result code);

// Message of the last failed call on this thread ("" after a successful call).
// Valid until the next library call on this thread; never free it.
const char *ns_last_error_message(void);

// Sets the number of runtime worker threads. Call before creating any object; afterwards
// it fails with NS_ERR_ALREADY_EXISTS. 0 or more than 1024 → NS_ERR_INVALID_ARGUMENT.
// Default: env NETWORK_SYSTEM_WORKER_THREADS, else the number of cores.
ns_result ns_runtime_configure(size_t worker_threads);

// Starts the shared runtime now instead of on first use (optional).
ns_result ns_runtime_init(void);

// Routes log records up to `level` (NS_LOG_*) to `callback` with `user_data`; a NULL
// callback restores the default (stderr when env NETWORK_SYSTEM_LOG is set, else silent).
// The callback runs on any thread, possibly concurrently; `user_data` must stay valid until
// the callback is replaced.
ns_result ns_set_log_callback(int32_t level, ns_log_fn callback, void *user_data);

// Creates a stopped server: bind 0.0.0.0, MTU 1 400, 10 000 sessions, 300 s idle expiry. It
// needs a certificate (`ns_dtls_server_set_tls`) before start. Release with
// `ns_dtls_server_free`.
struct ns_dtls_server *ns_dtls_server_new(void);

// Stops the server (close_notify to every peer) and releases it. Exclusive, and waits, as
// `ns_udp_server_free`. NULL is a no-op.
void ns_dtls_server_free(struct ns_dtls_server *server);

// Certificate, key and client CA from a copy of `config` (required: NULL → -1; versions and
// ALPN are ignored; `handshake_timeout_ms` bounds each peer's handshake). Before start (else
// -661); same for every setter below. Missing or unusable files are reported by
// `ns_dtls_server_start` with -606 naming the file.
ns_result ns_dtls_server_set_tls(struct ns_dtls_server *server,
                                 const struct ns_tls_server_config *config);

// Local address to bind ("0.0.0.0" by default; "::" or "::1" for IPv6).
ns_result ns_dtls_server_set_bind_address(struct ns_dtls_server *server, const char *address);

// Path MTU (256…65 535, default 1 400): the largest datagram sent; a send whose record would
// not fit is refused with -642.
ns_result ns_dtls_server_set_mtu(struct ns_dtls_server *server, uint32_t bytes);

// SO_RCVBUF / SO_SNDBUF in bytes (0: the system's default).
ns_result ns_dtls_server_set_buffer_sizes(struct ns_dtls_server *server,
                                          size_t recv_bytes,
                                          size_t send_bytes);

// Sessions beyond which new peers are ignored (default 10 000; 0 → -1).
ns_result ns_dtls_server_set_max_sessions(struct ns_dtls_server *server, size_t count);

// A session that heard nothing for this long ends with -621 and the disconnected callback
// (default 300 000 ms; 0 = never).
ns_result ns_dtls_server_set_idle_timeout_ms(struct ns_dtls_server *server, uint64_t ms);

// Each decrypted datagram with its sender. NULL `cb` removes it; `free` runs on `user_data`
// once the callback is replaced and no call uses it (also for the other setters).
ns_result ns_dtls_server_set_receive_callback(struct ns_dtls_server *server,
                                              ns_udp_receive_fn cb,
                                              void *user_data,
                                              ns_free_fn free);

// A peer completed its handshake.
ns_result ns_dtls_server_set_connected_callback(struct ns_dtls_server *server,
                                                ns_dtls_peer_fn cb,
                                                void *user_data,
                                                ns_free_fn free);

// A peer's session ended (close_notify, idle expiry, fatal alert, disconnect, stop).
ns_result ns_dtls_server_set_disconnected_callback(struct ns_dtls_server *server,
                                                   ns_dtls_peer_fn cb,
                                                   void *user_data,
                                                   ns_free_fn free);

// Errors, with the peer they concern.
ns_result ns_dtls_server_set_error_callback(struct ns_dtls_server *server,
                                            ns_dtls_error_fn cb,
                                            void *user_data,
                                            ns_free_fn free);

// Loads the certificate and binds `port` (0: any free port, see `ns_dtls_server_port`).
// -606 certificate missing or unusable (the message names the file); -630 address in use;
// -661 running.
ns_result ns_dtls_server_start(struct ns_dtls_server *server, uint16_t port);

// The bound port into `*port`; -662 when not running.
ns_result ns_dtls_server_port(const struct ns_dtls_server *server, uint16_t *port);

// Sends close_notify to every peer and stops; returns when no callback of this server runs
// or will run again (inside one of its own callbacks it only starts the stop).
ns_result ns_dtls_server_stop(struct ns_dtls_server *server);

// Blocks until the server is stopped from another thread; inside a callback or on a runtime
// thread it returns -1 at once.
ns_result ns_dtls_server_wait_for_stop(const struct ns_dtls_server *server);

// 1 while running, 0 when stopped or NULL.
bool ns_dtls_server_is_running(const struct ns_dtls_server *server);

// Encrypts `data` (copied) as one datagram to the peer `address:port`. -603 no established
// session with it (-620 none at all); -642 over the path MTU; -643 socket buffer full; -662
// not running.
ns_result ns_dtls_server_send_to(const struct ns_dtls_server *server,
                                 const char *address,
                                 uint16_t port,
                                 const uint8_t *data,
                                 size_t len);

// Ends the session with `address:port` (close_notify; the disconnected callback follows).
// -620 no session with it.
ns_result ns_dtls_server_disconnect(const struct ns_dtls_server *server,
                                    const char *address,
                                    uint16_t port);

// Sessions now (handshaking ones past the cookie included); 0 for NULL.
size_t ns_dtls_server_session_count(const struct ns_dtls_server *server);

// Counters: datagrams and bytes of application data, sessions made and open, errors,
// `dropped` (not DTLS, beyond `max_sessions`, or not sent: buffer full).
ns_result ns_dtls_server_get_stats(const struct ns_dtls_server *server, struct ns_stats *out);

// Creates a stopped client: server certificate verified against the system roots with its
// host name, MTU 1 400, 10 s handshake timeout, no idle expiry. Release with
// `ns_dtls_client_free`.
struct ns_dtls_client *ns_dtls_client_new(void);

// Stops the client (close_notify) and releases it. Exclusive, and waits, as
// `ns_udp_client_free`. NULL is a no-op.
void ns_dtls_client_free(struct ns_dtls_client *client);

// Verification, CA, server name, pins and client certificate from a copy of `config` (NULL:
// the defaults; versions and ALPN are ignored). Before start (else -664); same for every
// setter below.
ns_result ns_dtls_client_set_tls(struct ns_dtls_client *client,
                                 const struct ns_tls_client_config *config);

// Path MTU (256…65 535, default 1 400), as for the server.
ns_result ns_dtls_client_set_mtu(struct ns_dtls_client *client, uint32_t bytes);

// SO_RCVBUF / SO_SNDBUF in bytes (0: the system's default).
ns_result ns_dtls_client_set_buffer_sizes(struct ns_dtls_client *client,
                                          size_t recv_bytes,
                                          size_t send_bytes);

// The session ends with -621 when nothing was heard for this long (default 0 = never).
ns_result ns_dtls_client_set_idle_timeout_ms(struct ns_dtls_client *client, uint64_t ms);

// Each decrypted datagram from the server.
ns_result ns_dtls_client_set_receive_callback(struct ns_dtls_client *client,
                                              ns_udp_receive_fn cb,
                                              void *user_data,
                                              ns_free_fn free);

// The handshake completed.
ns_result ns_dtls_client_set_connected_callback(struct ns_dtls_client *client,
                                                ns_dtls_peer_fn cb,
                                                void *user_data,
                                                ns_free_fn free);

// The session ended.
ns_result ns_dtls_client_set_disconnected_callback(struct ns_dtls_client *client,
                                                   ns_dtls_peer_fn cb,
                                                   void *user_data,
                                                   ns_free_fn free);

// Errors (the address is NULL: they concern the client's session).
ns_result ns_dtls_client_set_error_callback(struct ns_dtls_client *client,
                                            ns_dtls_error_fn cb,
                                            void *user_data,
                                            ns_free_fn free);

// Starts the handshake with `host:port` and returns at once; the connected or error callback
// follows. -1 NULL/empty host or port 0; -607 malformed host; -606 unusable TLS material;
// -664 running.
ns_result ns_dtls_client_start(struct ns_dtls_client *client, const char *host, uint16_t port);

// Like `ns_dtls_client_start`, but returns once the handshake succeeded or failed, with its
// code (-606 certificate refused, -602 no answer in time, -601 port unreachable, -605 other
// handshake failure); after a failure the client has stopped.
ns_result ns_dtls_client_start_wait(struct ns_dtls_client *client, const char *host, uint16_t port);

// Sends close_notify and stops; returns when no callback of this client runs or will run
// again (inside one of its own callbacks it only starts the stop).
ns_result ns_dtls_client_stop(struct ns_dtls_client *client);

// Blocks until the client is stopped from another thread; -1 at once inside a callback.
ns_result ns_dtls_client_wait_for_stop(const struct ns_dtls_client *client);

// 1 while running (handshaking or connected), 0 otherwise or NULL.
bool ns_dtls_client_is_running(const struct ns_dtls_client *client);

// 1 while the session is established, 0 otherwise or NULL.
bool ns_dtls_client_is_connected(const struct ns_dtls_client *client);

// Encrypts `data` (copied) as one datagram to the server. -603 not connected; -642 over the
// path MTU; -643 socket buffer full.
ns_result ns_dtls_client_send(const struct ns_dtls_client *client, const uint8_t *data, size_t len);

// Counters of the client's sessions.
ns_result ns_dtls_client_get_stats(const struct ns_dtls_client *client, struct ns_stats *out);

// The method, e.g. "GET". Empty view for NULL.
struct ns_http_str ns_http_request_method(const ns_http_request *request);

// The target as sent: path and query ("/users/42?verbose=1").
struct ns_http_str ns_http_request_uri(const ns_http_request *request);

// The path of the target, not decoded.
struct ns_http_str ns_http_request_path(const ns_http_request *request);

// The body (whole; de-chunked).
struct ns_http_str ns_http_request_body(const ns_http_request *request);

// NS_HTTP_VERSION_1_0, _1_1 or _2; 0 for NULL.
int32_t ns_http_request_version(const ns_http_request *request);

// Number of entries of a kind (NS_HTTP_HEADERS, _QUERY, _PATH_PARAMS, _COOKIES, _FORM); 0
// for NULL or an unknown kind.
size_t ns_http_request_count(const ns_http_request *request, int32_t kind);

// Entry `index` of a kind: its name and value. -1 for NULL arguments, an unknown kind or an
// index out of range.
ns_result ns_http_request_at(const ns_http_request *request,
                             int32_t kind,
                             size_t index,
                             struct ns_http_str *name,
                             struct ns_http_str *value);

// The first value named `name` of a kind (headers: case-insensitive; the others exact).
// -2 (NS_ERR_NOT_FOUND) when absent, -1 for NULL arguments or an unknown kind.
ns_result ns_http_request_find(const ns_http_request *request,
                               int32_t kind,
                               const char *name,
                               struct ns_http_str *value);

// Number of uploaded files (multipart/form-data).
size_t ns_http_request_file_count(const ns_http_request *request);

// File `index`: views of its field name, file name, content type and content. -1 for NULL
// arguments or an index out of range.
ns_result ns_http_request_file_at(const ns_http_request *request,
                                  size_t index,
                                  struct ns_http_file *out);

// Status code (100–999) and reason phrase (NULL: the standard one; HTTP/1.x only).
ns_result ns_http_response_set_status(ns_http_response *response,
                                      int32_t status,
                                      const char *reason);

// Sets a header, replacing every value of that name (case-insensitive). Content-Length and
// Transfer-Encoding are the server's to set and are ignored; a name or value HTTP does not
// allow makes the response a 500.
ns_result ns_http_response_set_header(ns_http_response *response,
                                      const char *name,
                                      const char *value);

// Adds a header value, keeping the others of that name (e.g. another Set-Cookie).
ns_result ns_http_response_add_header(ns_http_response *response,
                                      const char *name,
                                      const char *value);

// Copies `len` bytes at `data` as the body (replacing any).
ns_result ns_http_response_set_body(ns_http_response *response, const uint8_t *data, size_t len);

// Sends the body with Transfer-Encoding: chunked (HTTP/1.1) instead of Content-Length.
ns_result ns_http_response_set_chunked(ns_http_response *response, bool chunked);

// Adds a Set-Cookie header. `path`, `domain` and `same_site` ("Strict", "Lax", "None") may
// be NULL or "" (left out); `max_age` < 0 leaves Max-Age out. Name and value are
// percent-encoded where needed.
ns_result ns_http_response_set_cookie(ns_http_response *response,
                                      const char *name,
                                      const char *value,
                                      const char *path,
                                      const char *domain,
                                      int64_t max_age,
                                      bool http_only,
                                      bool secure,
                                      const char *same_site);

// The status code; 0 for NULL.
int32_t ns_http_response_status(const ns_http_response *response);

// The reason phrase (received, else the standard one).
struct ns_http_str ns_http_response_reason(const ns_http_response *response);

// NS_HTTP_VERSION_1_0, _1_1 or _2; 0 for NULL.
int32_t ns_http_response_version(const ns_http_response *response);

// The body (decoded from gzip/deflate when the client decompresses).
struct ns_http_str ns_http_response_body(const ns_http_response *response);

// True when the body goes out chunked.
bool ns_http_response_chunked(const ns_http_response *response);

// Number of headers (received ones: lower-case names, in order).
size_t ns_http_response_header_count(const ns_http_response *response);

// Header `index`: name and value. -1 for NULL arguments or an index out of range.
ns_result ns_http_response_header_at(const ns_http_response *response,
                                     size_t index,
                                     struct ns_http_str *name,
                                     struct ns_http_str *value);

// The first value of a header (case-insensitive); -2 when absent.
ns_result ns_http_response_find_header(const ns_http_response *response,
                                       const char *name,
                                       struct ns_http_str *value);

// Releases a response the client returned. NULL is a no-op; never pass a handler's response.
void ns_http_response_free(ns_http_response *response);

// Parses an absolute http:// or https:// URL into `*out` (release with
// `ns_http_url_free`). -1 with a message (`ns_last_error`) when it does not parse.
ns_result ns_http_url_parse(const char *url, struct ns_http_url **out);

// "http" or "https" (lower case).
struct ns_http_str ns_http_url_scheme(const struct ns_http_url *url);

// The host, without the brackets of an IPv6 literal.
struct ns_http_str ns_http_url_host(const struct ns_http_url *url);

// The path ("/" when the URL has none), not decoded.
struct ns_http_str ns_http_url_path(const struct ns_http_url *url);

// The explicit port, else 80 or 443; 0 for NULL.
uint16_t ns_http_url_port(const struct ns_http_url *url);

// Number of (decoded) query parameters.
size_t ns_http_url_query_count(const struct ns_http_url *url);

// Query parameter `index`. -1 for NULL arguments or an index out of range.
ns_result ns_http_url_query_at(const struct ns_http_url *url,
                               size_t index,
                               struct ns_http_str *name,
                               struct ns_http_str *value);

// Releases a parsed URL. NULL is a no-op.
void ns_http_url_free(struct ns_http_url *url);

// Creates a client with this whole-request timeout (0: the default 30000 ms). Certificate
// verification is on, against the system roots; redirects are not followed; responses are
// decompressed. Release with `ns_http_client_free`.
struct ns_http_client *ns_http_client_new(uint64_t timeout_ms);

// Cancels asynchronous requests in flight (their callbacks run with -5 before this returns)
// and releases the client. Exclusive. NULL is a no-op.
void ns_http_client_free(struct ns_http_client *client);

// Whole-request timeout (> 0) for requests started from now on: not connected in time →
// -602, no complete response in time → -4.
ns_result ns_http_client_set_timeout_ms(struct ns_http_client *client, uint64_t ms);

// Counters since creation: requests (messages_out) and their body bytes, complete
// responses (messages_in) and their body bytes, failed requests (errors).
ns_result ns_http_client_get_stats(const struct ns_http_client *client, struct ns_stats *out);

// The whole-request timeout in ms; 0 for NULL.
uint64_t ns_http_client_timeout_ms(const struct ns_http_client *client);

// TLS for https:// URLs: a copy of `config` (trust, verification, pins, client certificate);
// NULL restores the default (verification against the system roots). ALPN offers h2 and
// http/1.1 unless the config names protocols. The pool starts afresh.
ns_result ns_http_client_set_tls(struct ns_http_client *client,
                                 const struct ns_tls_client_config *config);

// Follow 301/302/303/307/308 up to `max_redirects` times (then -644); off by default: the
// 3xx response is returned.
ns_result ns_http_client_set_follow_redirects(struct ns_http_client *client,
                                              bool enabled,
                                              size_t max_redirects);

// Speak HTTP/2 on http:// without negotiation (h2c prior knowledge; default off). https
// negotiates through ALPN regardless.
ns_result ns_http_client_set_http2_prior_knowledge(struct ns_http_client *client, bool enabled);

// Ask for gzip/deflate and decode the response body (default on; off: the body as sent).
ns_result ns_http_client_set_decompress(struct ns_http_client *client, bool enabled);

// Largest response body, decoded (default 100 MiB; larger → -642).
ns_result ns_http_client_set_max_response_bytes(struct ns_http_client *client, size_t max);

// Sends a request and waits for the whole response, stored in `*out` (release with
// `ns_http_response_free`). `query` pairs are appended to the URL's query (encoded);
// `headers` are sent as given (Host, User-Agent and Accept-Encoding are added when
// missing). Errors (message in `ns_last_error`): -1 for a URL that does not parse or bad
// arguments, -601 refused, -607 unresolvable, -602 not connected in time, -4 no complete
// response in time, -605/-606 TLS, -603 closed early, -642 body over the limit, -644
// protocol error or too many redirects. Any status code is a success: check
// `ns_http_response_status`. Inside a callback it waits without holding up the runtime.
ns_result ns_http_client_request(struct ns_http_client *client,
                                 const char *method,
                                 const char *url,
                                 const struct ns_http_pair *query,
                                 size_t query_count,
                                 const struct ns_http_pair *headers,
                                 size_t header_count,
                                 const uint8_t *body,
                                 size_t body_len,
                                 ns_http_response **out);

// Starts a request (arguments as `ns_http_client_request`, copied) and returns at once;
// `callback` runs once, on a runtime thread, with the response or the error (-5 when the
// client is freed first). `free_user_data` (may be NULL) runs on `user_data` exactly once:
// after the callback, or before this call returns when it fails (then the callback never
// runs).
ns_result ns_http_client_request_async(struct ns_http_client *client,
                                       const char *method,
                                       const char *url,
                                       const struct ns_http_pair *query,
                                       size_t query_count,
                                       const struct ns_http_pair *headers,
                                       size_t header_count,
                                       const uint8_t *body,
                                       size_t body_len,
                                       ns_http_response_fn callback,
                                       void *user_data,
                                       ns_free_fn free_user_data);

// Creates a stopped server: bind 0.0.0.0, 1000 connections, 30 s request timeout, 64 KiB of
// headers, 10 MiB bodies, text error responses, no compression. Release with
// `ns_http_server_free`.
struct ns_http_server *ns_http_server_new(void);

// Stops the server (as `ns_http_server_stop`), releases every handler's user data and the
// server. Exclusive, and waits, as `ns_tcp_server_free`. NULL is a no-op.
void ns_http_server_free(struct ns_http_server *server);

// Address to bind, e.g. "127.0.0.1", "::1", "::" (default "0.0.0.0"). Before start (else
// -661); same for every option setter below.
ns_result ns_http_server_set_bind_address(struct ns_http_server *server, const char *address);

// Open connections beyond this (> 0, default 1000) are answered 503 and closed.
ns_result ns_http_server_set_max_connections(struct ns_http_server *server, size_t max);

// Request timeout (> 0, default 30000 ms): the headers must arrive within it (else the
// connection is closed, as is a keep-alive connection idle that long), then the body
// within it (else 408).
ns_result ns_http_server_set_request_timeout_ms(struct ns_http_server *server, uint64_t ms);

// Largest request line + headers (> 0, default 64 KiB; HTTP/1.1 uses at least 8 KiB);
// larger → 431 and the connection closes.
ns_result ns_http_server_set_max_header_bytes(struct ns_http_server *server, size_t max);

// Largest request body (default 10 MiB); larger → 413 and the connection closes.
ns_result ns_http_server_set_max_body_bytes(struct ns_http_server *server, size_t max);

// Error responses as JSON `{"error":{"status":…,"message":…,"detail":…}}` (default: text).
ns_result ns_http_server_set_json_errors(struct ns_http_server *server, bool enabled);

// gzip (or deflate) for response bodies of at least `threshold` bytes when the request's
// Accept-Encoding allows it and the handler set no Content-Encoding (default off, 1024).
ns_result ns_http_server_set_compression(struct ns_http_server *server,
                                         bool enabled,
                                         size_t threshold);

// Handlers may block for long (database queries, sleeps, slow services): each call first
// moves the runtime worker's other tasks to another thread, so nothing else waits for it, at
// a cost per request. Default off: handlers run directly on a runtime thread and must return
// quickly (as every callback).
ns_result ns_http_server_set_blocking_handlers(struct ns_http_server *server, bool enabled);

// How long stop lets requests in progress finish (default 5000 ms).
ns_result ns_http_server_set_drain_timeout_ms(struct ns_http_server *server, uint64_t ms);

// https: TLS with a copy of `config` (ALPN offers h2 and http/1.1 unless the config names
// protocols), or plain http with NULL (default).
ns_result ns_http_server_set_tls(struct ns_http_server *server,
                                 const struct ns_tls_server_config *config);

// Adds a route: `method` ("GET", "POST", … any token; "*" for all) and a pattern such as
// "/users/:id" (`:name` matches one path segment part; see the README). Routes are tried in
// the order added, also while running; HEAD without a HEAD route uses the GET route.
// `free_user_data` (may be NULL) runs on `user_data` when the server is freed and no call
// runs; when this call fails it is not called. -1 for a NULL handler, a bad method or
// pattern.
ns_result ns_http_server_route(struct ns_http_server *server,
                               const char *method,
                               const char *pattern,
                               ns_http_handler_fn handler,
                               void *user_data,
                               ns_free_fn free_user_data);

// Answers requests no route matches (NULL: the 404 error response). User data as for
// `ns_http_server_route`, released when replaced.
ns_result ns_http_server_set_not_found_handler(struct ns_http_server *server,
                                               ns_http_handler_fn handler,
                                               void *user_data,
                                               ns_free_fn free_user_data);

// Answers requests whose handler failed (returned non-zero; a C++ handler threw), with the
// request; NULL, or a failure of this handler too: the 500 error response.
ns_result ns_http_server_set_failure_handler(struct ns_http_server *server,
                                             ns_http_handler_fn handler,
                                             void *user_data,
                                             ns_free_fn free_user_data);

// Builds the response for errors with this status (400, 404, 405, 408, 413, 500, 503; 431
// and malformed requests are answered before a request exists). NULL removes it.
ns_result ns_http_server_set_error_handler(struct ns_http_server *server,
                                           int32_t status,
                                           ns_http_error_fn handler,
                                           void *user_data,
                                           ns_free_fn free_user_data);

// Builds the response for errors without a handler of their own. NULL removes it.
ns_result ns_http_server_set_default_error_handler(struct ns_http_server *server,
                                                   ns_http_error_fn handler,
                                                   void *user_data,
                                                   ns_free_fn free_user_data);

// Binds `port` (0 picks a free one, see `ns_http_server_port`) and starts serving. -661 when
// running, -662 when the address is taken or not allowed, -606 for unusable TLS material.
ns_result ns_http_server_start(struct ns_http_server *server, uint16_t port);

// The bound port while running; -660 when not running.
ns_result ns_http_server_port(const struct ns_http_server *server, uint16_t *port);

// Stops accepting, lets requests in progress finish (up to the drain timeout), closes the
// connections and returns when no handler runs or will run again (waiting as
// `ns_tcp_server_stop`). Not running → 0.
ns_result ns_http_server_stop(struct ns_http_server *server);

// Blocks until the server is stopped (by another thread or a handler). -1 inside a handler
// or on a runtime thread.
ns_result ns_http_server_wait_for_stop(struct ns_http_server *server);

// True while running; false for NULL.
bool ns_http_server_is_running(const struct ns_http_server *server);

// Open connections; 0 for NULL.
size_t ns_http_server_connection_count(const struct ns_http_server *server);

// Counters since creation: connections (accepted, open, answered 503), requests
// (messages_in), responses (messages_out), body bytes each way, errors. Set
// `out->struct_size` first, as for `ns_tcp_server_get_stats`.
ns_result ns_http_server_get_stats(const struct ns_http_server *server, struct ns_stats *out);

// Takes a snapshot into `*out`. It reads the counters every object keeps anyway (nothing is
// counted on the send path for it); objects freed earlier count with their final values,
// without their gauges (active connections, queued bytes). -1 for a NULL `out`.
ns_result ns_metrics_snapshot_new(struct ns_metrics_snapshot **out);

// Releases a snapshot (and the text `ns_metrics_snapshot_prometheus` lent). NULL is a no-op.
void ns_metrics_snapshot_free(struct ns_metrics_snapshot *snap);

// The counters of one protocol (`NS_METRICS_TCP` … or `NS_METRICS_ALL_PROTOCOLS`) and role
// (`NS_METRICS_SERVER`, `NS_METRICS_CLIENT` or `NS_METRICS_ALL_ROLES`) into `*out` (set its
// `struct_size`); `objects` (may be NULL) gets how many such servers/clients exist now,
// `objects_created` (may be NULL) how many were created. -1 for NULL `snap`/`out` or an
// unknown protocol or role.
ns_result ns_metrics_snapshot_stats(const struct ns_metrics_snapshot *snap,
                                    int32_t protocol,
                                    int32_t role,
                                    struct ns_stats *out,
                                    uint64_t *objects,
                                    uint64_t *objects_created);

// One latency histogram (`NS_METRICS_LATENCY_*`) into `*out` (set its `struct_size`). -1 for
// NULL `snap`/`out` or an unknown histogram.
ns_result ns_metrics_snapshot_latency(const struct ns_metrics_snapshot *snap,
                                      int32_t which,
                                      struct ns_latency_histogram *out);

// The snapshot in the Prometheus text exposition format (0.0.4): `*text` gets a
// NUL-terminated string lent until `ns_metrics_snapshot_free`, `*len` (may be NULL) its length
// without the NUL. Samples are labelled `protocol` and `role`, one per kind that has had an
// object; the latency histograms are in seconds. -1 for NULL `snap`/`text`.
ns_result ns_metrics_snapshot_prometheus(const struct ns_metrics_snapshot *snap,
                                         const char **text,
                                         size_t *len);

// Creates a stopped client: server certificate verified against the system roots, the
// transport defaults of `ns_quic_client_set_transport`, 10 s handshake timeout, 0-RTT off.
// Release with `ns_quic_client_free`.
struct ns_quic_client *ns_quic_client_new(void);

// Stops the client (as `ns_quic_client_stop`) and releases it. Exclusive, and waits, as
// `ns_tcp_client_free`. NULL is a no-op.
void ns_quic_client_free(struct ns_quic_client *client);

// Verification, CA, server name, pins, client certificate and ALPN from a copy of `config`
// (NULL: the defaults, verification against the system roots; QUIC always uses TLS 1.3).
// Before start (else -664); same for every setter below.
ns_result ns_quic_client_set_tls(struct ns_quic_client *client,
                                 const struct ns_tls_client_config *config);

// Transport options, as `ns_quic_server_set_transport`.
ns_result ns_quic_client_set_transport(struct ns_quic_client *client,
                                       uint64_t idle_timeout_ms,
                                       uint64_t max_data,
                                       uint64_t max_stream_data,
                                       uint64_t max_streams_bidi,
                                       uint64_t max_streams_uni);

// Message size, send queue and keep-alive limits, as `ns_quic_server_set_limits`.
ns_result ns_quic_client_set_limits(struct ns_quic_client *client,
                                    size_t max_message_size,
                                    size_t send_queue_limit,
                                    uint64_t keep_alive_ms);

// Send wait in ms, as `ns_quic_server_set_send_wait_ms` (default 0: -643 at once).
ns_result ns_quic_client_set_send_wait_ms(struct ns_quic_client *client, uint64_t ms);

// Local address (NULL keeps it; default "" = any address of the target's family) and socket
// buffer sizes, as `ns_quic_server_set_socket`.
ns_result ns_quic_client_set_socket(struct ns_quic_client *client,
                                    const char *bind_address,
                                    size_t recv_buffer,
                                    size_t send_buffer);

// Time allowed for the handshake (> 0 ms, default 10000); exceeded → -602.
ns_result ns_quic_client_set_connect_timeout_ms(struct ns_quic_client *client, uint64_t ms);

// 0-RTT: when `enable`, a connection to a server name this process connected to before
// resumes its TLS session and sends `len` bytes at `data` (copied; NULL/0 = none) as the
// first message in 0-RTT packets; without a usable ticket, or when the server rejects 0-RTT,
// the message is sent right after the handshake instead (it is delivered either way;
// `ns_quic_connection_early_data_accepted` tells which). 0-RTT data can be replayed by an
// attacker: send only what is safe to repeat.
ns_result ns_quic_client_set_early_data(struct ns_quic_client *client,
                                        bool enable,
                                        const uint8_t *data,
                                        size_t len);

// Connected callback (NULL clears); user data as for `ns_quic_server_set_connection_callback`.
ns_result ns_quic_client_set_connection_callback(struct ns_quic_client *client,
                                                 ns_quic_connection_fn callback,
                                                 void *user_data,
                                                 ns_free_fn free_user_data);

// Message callback: each whole message of the server's `send`, in order.
ns_result ns_quic_client_set_message_callback(struct ns_quic_client *client,
                                              ns_quic_data_fn callback,
                                              void *user_data,
                                              ns_free_fn free_user_data);

// Stream callback: the data of every stream the server sends on, in order per stream.
ns_result ns_quic_client_set_stream_callback(struct ns_quic_client *client,
                                             ns_quic_stream_fn callback,
                                             void *user_data,
                                             ns_free_fn free_user_data);

// Datagram callback.
ns_result ns_quic_client_set_datagram_callback(struct ns_quic_client *client,
                                               ns_quic_data_fn callback,
                                               void *user_data,
                                               ns_free_fn free_user_data);

// Closed callback: once per connection reported connected, after its last data callback.
ns_result ns_quic_client_set_closed_callback(struct ns_quic_client *client,
                                             ns_quic_connection_fn callback,
                                             void *user_data,
                                             ns_free_fn free_user_data);

// Error callback.
ns_result ns_quic_client_set_error_callback(struct ns_quic_client *client,
                                            ns_quic_error_fn callback,
                                            void *user_data,
                                            ns_free_fn free_user_data);

// Starts connecting to `host:port` and returns at once; the connected or error callback
// follows. -1 NULL/empty host or port 0; -607 malformed host; -606 unusable TLS material;
// -664 running.
ns_result ns_quic_client_start(struct ns_quic_client *client, const char *host, uint16_t port);

// Like `ns_quic_client_start`, but returns once the handshake succeeded or failed, with its
// code (-606 certificate refused, -602 timeout, -601 refused, -605 other TLS failure …);
// after a failure the client has stopped. Inside a callback it does not wait.
ns_result ns_quic_client_start_wait(struct ns_quic_client *client, const char *host, uint16_t port);

// Closes the connection gracefully (code 0, queued data flushed up to 1 s). Waits as
// `ns_tcp_client_stop`. Not running → 0.
ns_result ns_quic_client_stop(struct ns_quic_client *client);

// Blocks until the client is stopped, as `ns_tcp_client_wait_for_stop`.
ns_result ns_quic_client_wait_for_stop(const struct ns_quic_client *client);

// True between a successful start and the end of the connection (or stop).
bool ns_quic_client_is_running(const struct ns_quic_client *client);

// True while connected.
bool ns_quic_client_is_connected(const struct ns_quic_client *client);

// An owned handle to the current connection (release with `ns_quic_connection_release`), or
// NULL when not connected. After the connection ended, the last one stays readable through
// a handle taken before (e.g. for `ns_quic_connection_close_info`).
ns_quic_connection *ns_quic_client_get_connection(const struct ns_quic_client *client);

// `ns_quic_connection_send` on the current connection; -603 when not connected. The same
// holds for the functions below.
ns_result ns_quic_client_send(const struct ns_quic_client *client, const uint8_t *data, size_t len);

// `ns_quic_connection_send_owned` on the current connection.
ns_result ns_quic_client_send_owned(const struct ns_quic_client *client,
                                    const uint8_t *data,
                                    size_t len,
                                    ns_free_fn free_fn,
                                    void *free_ctx);

// `ns_quic_connection_create_stream` on the current connection.
ns_result ns_quic_client_create_stream(const struct ns_quic_client *client,
                                       bool unidirectional,
                                       uint64_t *stream_id);

// `ns_quic_connection_send_on_stream` on the current connection.
ns_result ns_quic_client_send_on_stream(const struct ns_quic_client *client,
                                        uint64_t stream_id,
                                        const uint8_t *data,
                                        size_t len,
                                        bool fin);

// `ns_quic_connection_send_on_stream_owned` on the current connection.
ns_result ns_quic_client_send_on_stream_owned(const struct ns_quic_client *client,
                                              uint64_t stream_id,
                                              const uint8_t *data,
                                              size_t len,
                                              bool fin,
                                              ns_free_fn free_fn,
                                              void *free_ctx);

// `ns_quic_connection_close_stream` on the current connection.
ns_result ns_quic_client_close_stream(const struct ns_quic_client *client, uint64_t stream_id);

// `ns_quic_connection_send_datagram` on the current connection.
ns_result ns_quic_client_send_datagram(const struct ns_quic_client *client,
                                       const uint8_t *data,
                                       size_t len);

// Counters over every connection this client made; see `ns_stats`.
ns_result ns_quic_client_get_stats(const struct ns_quic_client *client, struct ns_stats *out);

// Returns a new owned handle to `connection` (e.g. to keep one from a callback), or NULL when
// `connection` is NULL. Release it with `ns_quic_connection_release`.
ns_quic_connection *ns_quic_connection_retain(const ns_quic_connection *connection);

// Releases an owned handle (NULL is a no-op). Never pass the borrowed pointer a callback
// received.
void ns_quic_connection_release(ns_quic_connection *connection);

// Process-unique id of the connection (never reused); 0 for NULL.
uint64_t ns_quic_connection_id(const ns_quic_connection *connection);

// True until the connection starts closing (false for NULL).
bool ns_quic_connection_is_connected(const ns_quic_connection *connection);

// Queues one message (`len` bytes, empty allowed); the peer's message callback gets it whole
// and in order. -603 closed; -642 over max_message_size; -643 queue full; -680 the peer
// allows no unidirectional stream.
ns_result ns_quic_connection_send(const ns_quic_connection *connection,
                                  const uint8_t *data,
                                  size_t len);

// Queues one message without copying: as `ns_quic_connection_send`, with the buffer handed
// over. The library owns it from this call on, whatever the result: it calls
// `free_fn(free_ctx)` exactly once (on failure, before returning) on any thread. `free_fn`
// may be NULL for static data; `len` must be > 0 (-1).
ns_result ns_quic_connection_send_owned(const ns_quic_connection *connection,
                                        const uint8_t *data,
                                        size_t len,
                                        ns_free_fn free_fn,
                                        void *free_ctx);

// Opens a stream (unidirectional, i.e. send-only, when `unidirectional`) and writes its id
// into `*stream_id`; never blocks: -680 when the peer allows no more now. The peer learns of
// it with the first data.
ns_result ns_quic_connection_create_stream(const ns_quic_connection *connection,
                                           bool unidirectional,
                                           uint64_t *stream_id);

// Queues `len` bytes on stream `stream_id`, then a fin when `fin`. -1 no such stream (or the
// peer's unidirectional one); -681 finished, reset or stopped; -603 closed; -643 queue full.
ns_result ns_quic_connection_send_on_stream(const ns_quic_connection *connection,
                                            uint64_t stream_id,
                                            const uint8_t *data,
                                            size_t len,
                                            bool fin);

// `ns_quic_connection_send_on_stream` with the buffer handed over instead of copied;
// ownership as in `ns_quic_connection_send_owned` (`len` > 0).
ns_result ns_quic_connection_send_on_stream_owned(const ns_quic_connection *connection,
                                                  uint64_t stream_id,
                                                  const uint8_t *data,
                                                  size_t len,
                                                  bool fin,
                                                  ns_free_fn free_fn,
                                                  void *free_ctx);

// Finishes our side of the stream after what is queued (a fin). Errors as
// `ns_quic_connection_send_on_stream`.
ns_result ns_quic_connection_close_stream(const ns_quic_connection *connection, uint64_t stream_id);

// Sends an unreliable datagram. -642 over what the path and the peer allow (see
// `ns_quic_connection_max_datagram_size`); -644 the peer takes no datagrams; -603 closed.
ns_result ns_quic_connection_send_datagram(const ns_quic_connection *connection,
                                           const uint8_t *data,
                                           size_t len);

// Largest datagram the connection takes now; 0 when the peer takes none (or NULL).
size_t ns_quic_connection_max_datagram_size(const ns_quic_connection *connection);

// Closes gracefully: queued data is flushed (up to 1 s), then the peer gets the application
// error `code` and `reason` (NULL = ""). Returns at once; the closed callback follows.
// Already closing → 0.
ns_result ns_quic_connection_close(const ns_quic_connection *connection,
                                   uint64_t code,
                                   const char *reason);

// How the connection ended, once it has (-603 before): `*code` the application error code
// (or `UINT64_MAX` when it was no application close: idle timeout, transport error),
// `*by_peer` whether the peer closed it; `error` (may be NULL) gets the error code of an
// abnormal end (0 for a normal close; -621 idle timeout; -682 the peer's non-zero code).
ns_result ns_quic_connection_close_info(const ns_quic_connection *connection,
                                        uint64_t *code,
                                        bool *by_peer,
                                        ns_result *error);

// Copies the negotiated ALPN protocol and a NUL into `buf` ("" when none); -1 when it does
// not fit.
ns_result ns_quic_connection_alpn(const ns_quic_connection *connection, char *buf, size_t buf_len);

// Client: the server accepted our 0-RTT data. False otherwise (and on a server).
bool ns_quic_connection_early_data_accepted(const ns_quic_connection *connection);

// Copies the peer's address as "ip:port" ("[ip]:port" for IPv6) and a NUL into `buf`.
ns_result ns_quic_connection_peer_address(const ns_quic_connection *connection,
                                          char *buf,
                                          size_t buf_len);

// Message counters of this connection; see `ns_stats`.
ns_result ns_quic_connection_get_stats(const ns_quic_connection *connection, struct ns_stats *out);

// Transport figures; see `ns_quic_stats`.
ns_result ns_quic_connection_get_quic_stats(const ns_quic_connection *connection,
                                            struct ns_quic_stats *out);

// An opaque pointer-sized value kept with the connection for the caller (0 initially).
size_t ns_quic_connection_user_tag(const ns_quic_connection *connection);

// Sets the value `ns_quic_connection_user_tag` returns.
ns_result ns_quic_connection_set_user_tag(const ns_quic_connection *connection, size_t tag);

// Creates a stopped server: bind 0.0.0.0, 10 000 connections, Retry on, 0-RTT off, the
// transport defaults of `ns_quic_server_set_transport`. It needs a certificate
// (`ns_quic_server_set_tls`) before start. Release with `ns_quic_server_free`.
struct ns_quic_server *ns_quic_server_new(void);

// Stops the server (as `ns_quic_server_stop`) and releases it. Exclusive, and waits, as
// `ns_tcp_server_free`. NULL is a no-op.
void ns_quic_server_free(struct ns_quic_server *server);

// Certificate, key, client CA and ALPN protocols from a copy of `config` (QUIC always uses
// TLS 1.3: the version setting is ignored). A certificate is required: NULL → -1. Before
// start (else -661); same for every setter below. Missing or unusable files are reported by
// `ns_quic_server_start` with -606 naming the file.
ns_result ns_quic_server_set_tls(struct ns_quic_server *server,
                                 const struct ns_tls_server_config *config);

// Transport options: idle timeout in ms (0 = none; the smaller of both sides' applies;
// default 30000), connection and per-stream receive windows in bytes (defaults 1 MiB and
// 64 KiB), streams of each kind the peer may open at once (default 100 each); 0 keeps the
// default of the other values. -1 for values over 2^62-1.
ns_result ns_quic_server_set_transport(struct ns_quic_server *server,
                                       uint64_t idle_timeout_ms,
                                       uint64_t max_data,
                                       uint64_t max_stream_data,
                                       uint64_t max_streams_bidi,
                                       uint64_t max_streams_uni);

// Largest message of `send` sent or accepted (> 0, default 16 MiB; -642 on send, a received
// one closes the connection), bytes queued per connection (its messages and all its streams
// together) beyond which a send fails with -643 (> 0, default 8 MiB), keep-alive PING interval
// in ms (0 = off, the default).
ns_result ns_quic_server_set_limits(struct ns_quic_server *server,
                                    size_t max_message_size,
                                    size_t send_queue_limit,
                                    uint64_t keep_alive_ms);

// How long a send that finds its connection's queue full waits for room, in ms (default 0: it
// returns -643 at once). Only threads that may block wait — never a callback or a library
// thread — and a waiting sender resumes once the queue has drained to half the limit; a
// close while it waits gives -603. Before start (running: -661).
ns_result ns_quic_server_set_send_wait_ms(struct ns_quic_server *server, uint64_t ms);

// Address to bind (NULL keeps it; default "0.0.0.0"; "::" for IPv6) and SO_RCVBUF /
// SO_SNDBUF of the UDP socket in bytes (0 = the system's).
ns_result ns_quic_server_set_socket(struct ns_quic_server *server,
                                    const char *bind_address,
                                    size_t recv_buffer,
                                    size_t send_buffer);

// Connections open or in their handshake beyond which new ones are refused (> 0, default
// 10 000; refusals count in `connections_rejected` and reach the error callback as -623),
// whether clients must prove their address with a Retry first (default true), whether 0-RTT
// data of resuming clients is accepted (default false: it can be replayed).
ns_result ns_quic_server_set_admission(struct ns_quic_server *server,
                                       size_t max_connections,
                                       bool enable_retry,
                                       bool enable_early_data);

// Connected callback (NULL clears). `user_data` is passed to it; `free_user_data` (may be
// NULL) runs when the callback is replaced or the server freed, after its last call. Same
// for every callback setter. A NULL server → -1, nothing registered.
ns_result ns_quic_server_set_connection_callback(struct ns_quic_server *server,
                                                 ns_quic_connection_fn callback,
                                                 void *user_data,
                                                 ns_free_fn free_user_data);

// Message callback: each whole message of a client's `send`, in order.
ns_result ns_quic_server_set_message_callback(struct ns_quic_server *server,
                                              ns_quic_data_fn callback,
                                              void *user_data,
                                              ns_free_fn free_user_data);

// Stream callback: the data of every stream a client sends on, in order per stream.
ns_result ns_quic_server_set_stream_callback(struct ns_quic_server *server,
                                             ns_quic_stream_fn callback,
                                             void *user_data,
                                             ns_free_fn free_user_data);

// Datagram callback (RFC 9221: unreliable, whole).
ns_result ns_quic_server_set_datagram_callback(struct ns_quic_server *server,
                                               ns_quic_data_fn callback,
                                               void *user_data,
                                               ns_free_fn free_user_data);

// Closed callback: once per connection reported connected, after its last data callback.
ns_result ns_quic_server_set_closed_callback(struct ns_quic_server *server,
                                             ns_quic_connection_fn callback,
                                             void *user_data,
                                             ns_free_fn free_user_data);

// Error callback.
ns_result ns_quic_server_set_error_callback(struct ns_quic_server *server,
                                            ns_quic_error_fn callback,
                                            void *user_data,
                                            ns_free_fn free_user_data);

// Binds UDP `port` (0 picks one; read it with `ns_quic_server_port`) and starts accepting.
// -606 certificate/key missing or unusable (the message names the file); -662 port in use;
// -661 running.
ns_result ns_quic_server_start(struct ns_quic_server *server, uint16_t port);

// Writes the bound port into `*port`. -660 when not running.
ns_result ns_quic_server_port(const struct ns_quic_server *server, uint16_t *port);

// Stops accepting and closes every connection gracefully (code 0, queued data flushed up to
// 1 s). Waits as `ns_tcp_server_stop`. Not running → 0.
ns_result ns_quic_server_stop(struct ns_quic_server *server);

// Blocks until the server is stopped, as `ns_tcp_server_wait_for_stop`.
ns_result ns_quic_server_wait_for_stop(const struct ns_quic_server *server);

// True between a successful start and stop.
bool ns_quic_server_is_running(const struct ns_quic_server *server);

// Number of open connections (0 for NULL).
size_t ns_quic_server_connection_count(const struct ns_quic_server *server);

// Writes up to `capacity` ids of open connections into `ids` and returns how many are open
// (may exceed `capacity`; call again with a larger array). NULL server → 0.
size_t ns_quic_server_connection_ids(const struct ns_quic_server *server,
                                     uint64_t *ids,
                                     size_t capacity);

// An owned handle to open connection `id` (release with `ns_quic_connection_release`), or
// NULL when there is none.
ns_quic_connection *ns_quic_server_get_connection(const struct ns_quic_server *server, uint64_t id);

// Closes connection `id` gracefully with the application error `code` and `reason` (NULL =
// ""); -620 when there is no such connection.
ns_result ns_quic_server_disconnect(const struct ns_quic_server *server,
                                    uint64_t id,
                                    uint64_t code,
                                    const char *reason);

// Closes every connection gracefully with `code`; the server keeps accepting.
ns_result ns_quic_server_disconnect_all(const struct ns_quic_server *server, uint64_t code);

// Queues a message to every open connection; `*delivered` (may be NULL) gets how many
// accepted it (a full or closing one does not).
ns_result ns_quic_server_broadcast(const struct ns_quic_server *server,
                                   const uint8_t *data,
                                   size_t len,
                                   size_t *delivered);

// Queues a message to the `count` connections listed in `ids`; `*delivered` (may be NULL)
// gets how many accepted it (unknown ids do not).
ns_result ns_quic_server_multicast(const struct ns_quic_server *server,
                                   const uint64_t *ids,
                                   size_t count,
                                   const uint8_t *data,
                                   size_t len,
                                   size_t *delivered);

// Counters over all connections, past and present; see `ns_stats`.
ns_result ns_quic_server_get_stats(const struct ns_quic_server *server, struct ns_stats *out);

// Creates a stopped client with default options. Release with `ns_tcp_client_free`.
struct ns_tcp_client *ns_tcp_client_new(void);

// Stops the client (as `ns_tcp_client_stop`) and releases it. Exclusive: no other call on
// this handle may overlap it or follow it. It returns when no callback of this client runs or
// will run again — except inside one of its own callbacks (or where waiting would deadlock,
// see the contract at the top), where callbacks already running finish on their own and no
// new one starts. NULL is a no-op. User-data free functions run once no call of their
// callback runs.
void ns_tcp_client_free(struct ns_tcp_client *client);

// Framing: NS_FRAMING_RAW (default) or NS_FRAMING_LENGTH_PREFIXED. Before start (else -664).
ns_result ns_tcp_client_set_framing(struct ns_tcp_client *client, int32_t framing_mode);

// Largest length-prefixed message (default 16 MiB; > 0). Before start.
ns_result ns_tcp_client_set_max_message_size(struct ns_tcp_client *client, size_t bytes);

// Send queue limit in bytes (default 8 MiB; > 0). Before start.
ns_result ns_tcp_client_set_send_queue_limit(struct ns_tcp_client *client, size_t bytes);

// Close the connection when nothing was received for `ms` (0 = off, the default). Before start.
ns_result ns_tcp_client_set_idle_timeout_ms(struct ns_tcp_client *client, uint64_t ms);

// TCP_NODELAY (default true). Before start.
ns_result ns_tcp_client_set_no_delay(struct ns_tcp_client *client, bool enabled);

// SO_KEEPALIVE with `ms` idle time (0 = off, the default). Before start.
ns_result ns_tcp_client_set_keepalive_ms(struct ns_tcp_client *client, uint64_t ms);

// How long a graceful close flushes queued data (default 1000 ms). Before start.
ns_result ns_tcp_client_set_linger_ms(struct ns_tcp_client *client, uint64_t ms);

// Time allowed for resolve + connect (default 10000 ms; > 0); exceeded → -602. Before start.
ns_result ns_tcp_client_set_connect_timeout_ms(struct ns_tcp_client *client, uint64_t ms);

// Automatic reconnect after a failed connect or lost connection (default off). Delays grow
// from `initial_delay_ms` doubling up to `max_delay_ms`, spread by ±`jitter_percent` (0-100);
// after `max_attempts` failures in a row (0 = unlimited) the error callback gets -604 and the
// client stops. Before start.
ns_result ns_tcp_client_set_reconnect(struct ns_tcp_client *client,
                                      bool enabled,
                                      uint64_t initial_delay_ms,
                                      uint64_t max_delay_ms,
                                      uint32_t max_attempts,
                                      uint32_t jitter_percent);

// Called when a connection is established (once per connection), before any data. The
// session is the client's connection. `free_user_data` as for the server setters.
ns_result ns_tcp_client_set_connected_callback(struct ns_tcp_client *client,
                                               ns_tcp_session_fn callback,
                                               void *user_data,
                                               ns_free_fn free_user_data);

// Called with received data.
ns_result ns_tcp_client_set_receive_callback(struct ns_tcp_client *client,
                                             ns_tcp_receive_fn callback,
                                             void *user_data,
                                             ns_free_fn free_user_data);

// Called exactly once per connection that was reported connected.
ns_result ns_tcp_client_set_disconnected_callback(struct ns_tcp_client *client,
                                                  ns_tcp_session_fn callback,
                                                  void *user_data,
                                                  ns_free_fn free_user_data);

// Called on errors: connect failures (-600/-601/-602/-607, session NULL), connection errors,
// reconnect attempts exhausted (-604).
ns_result ns_tcp_client_set_error_callback(struct ns_tcp_client *client,
                                           ns_tcp_error_fn callback,
                                           void *user_data,
                                           ns_free_fn free_user_data);

// Starts connecting to `host:port` and returns at once; the connected or error callback
// follows. -1 for NULL/empty host or port 0; -607 for a malformed host name (an unresolvable
// one is reported through the error callback); -664 when already running.
ns_result ns_tcp_client_start(struct ns_tcp_client *client, const char *host, uint16_t port);

// Like `ns_tcp_client_start`, but returns only once the first attempt (connect and, with TLS,
// the handshake) succeeded or failed, with its code: -601/-600/-602/-607 for the connect,
// -605 (handshake failed) or -606 (certificate refused, with the reason in
// `ns_last_error_message`). With reconnect enabled the client keeps trying after a failed first
// attempt. Inside a callback it does not wait (returns 0 once started).
ns_result ns_tcp_client_start_wait(struct ns_tcp_client *client, const char *host, uint16_t port);

// A new owned handle to the current connection (release with `ns_tcp_session_release`), or
// NULL when not connected.
ns_tcp_session *ns_tcp_client_get_session(const struct ns_tcp_client *client);

// Stops connecting and closes the connection gracefully. It returns when no callback of this client runs or will run again
// (its user data may then be freed), also when called from another object's callback; inside
// one of this client's own callbacks it only starts the stop (see the contract at the top).
// Not running → 0.
ns_result ns_tcp_client_stop(struct ns_tcp_client *client);

// Blocks until the client is stopped (by `ns_tcp_client_stop` on another thread, or by itself
// (connection lost or connect failed without reconnect, attempts exhausted)) and every stop in progress has returned; at once
// when it is not running. Inside any callback or on a runtime thread it returns
// NS_ERR_INVALID_ARGUMENT at once (it would wait for itself). Stop on one thread, then
// wait_for_stop and free on another, is safe.
ns_result ns_tcp_client_wait_for_stop(const struct ns_tcp_client *client);

// True between start and stop (including while connecting or waiting to reconnect).
bool ns_tcp_client_is_running(const struct ns_tcp_client *client);

// True while a connection is established.
bool ns_tcp_client_is_connected(const struct ns_tcp_client *client);

// Queues a copy of `data`; -603 when not connected (nothing is buffered), other errors as
// `ns_tcp_session_send`.
ns_result ns_tcp_client_send(const struct ns_tcp_client *client, const uint8_t *data, size_t len);

// Queues `count` messages at once; see `ns_tcp_session_send_batch`. -603 when not connected.
ns_result ns_tcp_client_send_batch(const struct ns_tcp_client *client,
                                   const uint8_t *const *data,
                                   const size_t *len,
                                   size_t count);

// Queues `data` without copying; ownership as in `ns_tcp_session_send_owned`.
ns_result ns_tcp_client_send_owned(const struct ns_tcp_client *client,
                                   const uint8_t *data,
                                   size_t len,
                                   ns_free_fn free_fn,
                                   void *free_ctx);

// Counters over every connection this client made.
ns_result ns_tcp_client_get_stats(const struct ns_tcp_client *client, struct ns_stats *out);

// Creates a pool of `pool_size` clients to `host:port` into `*out` (release with
// `ns_tcp_pool_free`). Each client gets the options of `options_from` (framing, timeouts, TLS
// …; NULL for the defaults), which stays the caller's. Nothing connects before
// `ns_tcp_pool_initialize`. -1 for NULL `out`, an empty host, port 0, pool size 0 or a zero
// acquire timeout (the message names the field).
ns_result ns_tcp_pool_new(const char *host,
                          uint16_t port,
                          size_t pool_size,
                          uint64_t acquire_timeout_ms,
                          const struct ns_tcp_client *options_from,
                          struct ns_tcp_pool **out);

// Stops every client (lent ones too) and releases the pool. Pointers from
// `ns_tcp_pool_acquire` become invalid. No other call on this pool may overlap it. NULL is a
// no-op.
void ns_tcp_pool_free(struct ns_tcp_pool *pool);

// Connects every client, waiting for each (TLS handshake included). A failure stops the
// clients already connected and returns the connect's code (-601, -602, -605, -606 …);
// it may be called again. Already initialised → 0. Blocks: call it outside callbacks.
ns_result ns_tcp_pool_initialize(struct ns_tcp_pool *pool);

// Lends a connected client into `*client`: at once when one is idle, else after waiting up
// to the acquire timeout for a release (-602 when none came back). A client that lost its
// connection is connected again first (its connect error is returned then). -6 before
// `ns_tcp_pool_initialize`, -5 once the pool is being freed. The client stays the pool's:
// use it with the `ns_tcp_client_*` calls (set callbacks, send …), never free it, and give
// it back with `ns_tcp_pool_release`. Thread-safe; inside a callback it does not wait.
ns_result ns_tcp_pool_acquire(struct ns_tcp_pool *pool, struct ns_tcp_client **client);

// Gives a lent client back. Its callbacks are cleared first (one already running finishes
// on its own). -1 when `client` is not a client this pool lent. Thread-safe.
ns_result ns_tcp_pool_release(struct ns_tcp_pool *pool, struct ns_tcp_client *client);

// How many clients are lent now (0 for NULL).
size_t ns_tcp_pool_active_count(const struct ns_tcp_pool *pool);

// The number of clients (0 for NULL).
size_t ns_tcp_pool_size(const struct ns_tcp_pool *pool);

// True when `client` is one of this pool's clients and lent now.
bool ns_tcp_pool_owns(const struct ns_tcp_pool *pool, const struct ns_tcp_client *client);

// Creates a stopped server with default options (bind 0.0.0.0, raw framing). NULL only if
// the runtime cannot start. Release with `ns_tcp_server_free`.
struct ns_tcp_server *ns_tcp_server_new(void);

// Stops the server (as `ns_tcp_server_stop`) and releases it. Exclusive: no other call on
// this handle may overlap it or follow it. It returns when no callback of this server runs or
// will run again — except inside one of its own callbacks (or where waiting would deadlock,
// see the contract at the top), where callbacks already running finish on their own and no
// new one starts. NULL is a no-op. User-data free functions run once no call of their
// callback runs.
void ns_tcp_server_free(struct ns_tcp_server *server);

// Framing: NS_FRAMING_RAW (default) or NS_FRAMING_LENGTH_PREFIXED. Before start (else -661).
ns_result ns_tcp_server_set_framing(struct ns_tcp_server *server, int32_t framing_mode);

// Largest length-prefixed message (default 16 MiB; > 0). Before start.
ns_result ns_tcp_server_set_max_message_size(struct ns_tcp_server *server, size_t bytes);

// Per-connection send queue limit in bytes (default 8 MiB; > 0). Before start.
ns_result ns_tcp_server_set_send_queue_limit(struct ns_tcp_server *server, size_t bytes);

// Close sessions that received nothing for `ms` milliseconds (0 = off, the default); the
// error callback gets -621. Before start.
ns_result ns_tcp_server_set_idle_timeout_ms(struct ns_tcp_server *server, uint64_t ms);

// TCP_NODELAY on accepted sockets (default true). Before start.
ns_result ns_tcp_server_set_no_delay(struct ns_tcp_server *server, bool enabled);

// SO_KEEPALIVE with `ms` idle time (0 = off, the default). Before start.
ns_result ns_tcp_server_set_keepalive_ms(struct ns_tcp_server *server, uint64_t ms);

// How long a graceful close flushes queued data (default 1000 ms). Before start.
ns_result ns_tcp_server_set_linger_ms(struct ns_tcp_server *server, uint64_t ms);

// Maximum concurrent sessions (default 10000; > 0); excess connections are closed at once,
// counted in `connections_rejected` and reported with -623. Before start.
ns_result ns_tcp_server_set_max_connections(struct ns_tcp_server *server, size_t max);

// Address to bind, e.g. "127.0.0.1", "::1", "::" (default "0.0.0.0"). Before start.
ns_result ns_tcp_server_set_bind_address(struct ns_tcp_server *server, const char *address);

// Called once per session when it is accepted, before any data. `free_user_data` (may be
// NULL) runs on `user_data` when the callback is replaced or the server freed and no call
// is running; when this call fails it is not called. Any time, also while running. Same for
// the three setters below.
ns_result ns_tcp_server_set_connection_callback(struct ns_tcp_server *server,
                                                ns_tcp_session_fn callback,
                                                void *user_data,
                                                ns_free_fn free_user_data);

// Called with received data (chunks in raw mode, whole messages when framed).
ns_result ns_tcp_server_set_receive_callback(struct ns_tcp_server *server,
                                             ns_tcp_receive_fn callback,
                                             void *user_data,
                                             ns_free_fn free_user_data);

// Called exactly once per session that was reported connected, last.
ns_result ns_tcp_server_set_disconnection_callback(struct ns_tcp_server *server,
                                                   ns_tcp_session_fn callback,
                                                   void *user_data,
                                                   ns_free_fn free_user_data);

// Called on errors; for a session's fatal error it comes just before its disconnection.
ns_result ns_tcp_server_set_error_callback(struct ns_tcp_server *server,
                                           ns_tcp_error_fn callback,
                                           void *user_data,
                                           ns_free_fn free_user_data);

// Binds the bind address on `port` (0 = any free port; read it with `ns_tcp_server_port`)
// and starts accepting. -661 when running; -662 when the address is in use or not permitted;
// -607 for a bad bind address.
ns_result ns_tcp_server_start(struct ns_tcp_server *server, uint16_t port);

// Writes the bound port into `*port`. -660 when not running.
ns_result ns_tcp_server_port(const struct ns_tcp_server *server, uint16_t *port);

// Stops accepting and closes every session gracefully. It returns when no callback of this server runs or will run again
// (its user data may then be freed), also when called from another object's callback; inside
// one of this server's own callbacks it only starts the stop (see the contract at the top).
// Not running → 0.
ns_result ns_tcp_server_stop(struct ns_tcp_server *server);

// Blocks until the server is stopped (by `ns_tcp_server_stop` on another thread) and every stop in progress has returned; at once
// when it is not running. Inside any callback or on a runtime thread it returns
// NS_ERR_INVALID_ARGUMENT at once (it would wait for itself). Stop on one thread, then
// wait_for_stop and free on another, is safe.
ns_result ns_tcp_server_wait_for_stop(const struct ns_tcp_server *server);

// True between a successful start and stop.
bool ns_tcp_server_is_running(const struct ns_tcp_server *server);

// Number of open sessions (0 for NULL).
size_t ns_tcp_server_session_count(const struct ns_tcp_server *server);

// Sends a copy of `data` to the session with `session_id`; -620 when there is none.
ns_result ns_tcp_server_send(const struct ns_tcp_server *server,
                             uint64_t session_id,
                             const uint8_t *data,
                             size_t len);

// Closes the session with `session_id` gracefully; -620 when there is none.
ns_result ns_tcp_server_close_session(const struct ns_tcp_server *server, uint64_t session_id);

// Counters over every session of this server, past and present.
ns_result ns_tcp_server_get_stats(const struct ns_tcp_server *server, struct ns_stats *out);

// Returns a new owned handle to `session` (e.g. to keep one from a callback), or NULL when
// `session` is NULL. Release it with `ns_tcp_session_release`.
ns_tcp_session *ns_tcp_session_retain(const ns_tcp_session *session);

// Releases a handle from `ns_tcp_session_retain` (NULL is a no-op). Never pass the borrowed
// pointer a callback received.
void ns_tcp_session_release(ns_tcp_session *session);

// Process-unique id of the session (never reused); 0 when `session` is NULL.
uint64_t ns_tcp_session_id(const ns_tcp_session *session);

// Queues a copy of `len` bytes. -1 for NULL/empty; -603 when closed; -642 over
// max_message_size (framed); -643 when the send queue is full.
ns_result ns_tcp_session_send(const ns_tcp_session *session, const uint8_t *data, size_t len);

// Queues copies of `count` messages (`data[i]`, `len[i]` bytes) with one call: one lock and at
// most one writer wake-up. All or nothing: on any error none is queued. Errors as
// `ns_tcp_session_send` (-1 also for count 0 or a NULL/empty message).
ns_result ns_tcp_session_send_batch(const ns_tcp_session *session,
                                    const uint8_t *const *data,
                                    const size_t *len,
                                    size_t count);

// Queues `data` without copying. The library owns the buffer from this call on, whatever
// the result: it calls `free_fn(free_ctx)` exactly once (on failure, before returning) on
// any thread. `free_fn` may be NULL for static data.
ns_result ns_tcp_session_send_owned(const ns_tcp_session *session,
                                    const uint8_t *data,
                                    size_t len,
                                    ns_free_fn free_fn,
                                    void *free_ctx);

// Closes the session gracefully (queued data is flushed for up to the linger time); the
// disconnected callback follows once. Safe inside any callback, including this session's.
ns_result ns_tcp_session_close(const ns_tcp_session *session);

// True while the session is open; false for NULL.
bool ns_tcp_session_is_connected(const ns_tcp_session *session);

// Writes the peer's IP address (NUL-terminated) into `buf` of `buf_len` bytes and its port
// into `*port` (may be NULL). -1 for NULL arguments or a buffer too small (46 bytes suffice).
ns_result ns_tcp_session_remote_endpoint(const ns_tcp_session *session,
                                         char *buf,
                                         size_t buf_len,
                                         uint16_t *port);

// Writes the negotiated TLS version ("TLSv1.2", "TLSv1.3"; "" on plain TCP), NUL-terminated,
// into `buf` of `buf_len` bytes (16 suffice). -1 for NULL arguments or a buffer too small.
ns_result ns_tcp_session_tls_version(const ns_tcp_session *session, char *buf, size_t buf_len);

// Writes the negotiated ALPN protocol ("" when none), NUL-terminated, into `buf` of `buf_len`
// bytes (256 suffice). -1 for NULL arguments or a buffer too small.
ns_result ns_tcp_session_alpn(const ns_tcp_session *session, char *buf, size_t buf_len);

// Attaches an opaque pointer to the session (shared by every handle of it).
ns_result ns_tcp_session_set_user_data(const ns_tcp_session *session, void *user_data);

// The pointer set by `ns_tcp_session_set_user_data`, or NULL.
void *ns_tcp_session_get_user_data(const ns_tcp_session *session);

// Counters of this session (see `ns_stats`).
ns_result ns_tcp_session_get_stats(const ns_tcp_session *session, struct ns_stats *out);

// Calls `cb(user_data)` every `interval_ms` (the first call after one interval) on a runtime
// thread, calls never overlapping, until `ns_timer_free`; the timer goes into `*out`.
// `free_user_data` (may be NULL) runs once no call runs any more. -1 for a NULL `cb` or `out`
// or a zero interval (then `free_user_data` is not called).
ns_result ns_timer_new(uint64_t interval_ms,
                       ns_timer_fn cb,
                       void *user_data,
                       ns_free_fn free_user_data,
                       struct ns_timer **out);

// Stops the timer and releases it: it returns when no call runs or will run again (inside
// the timer's own callback it only prevents further calls). NULL is a no-op.
void ns_timer_free(struct ns_timer *timer);

// Creates a TLS server configuration: no certificate yet, TLS 1.2 and 1.3, 10 s handshake.
// Fill it with the `ns_tls_server_config_set_*` setters and hand it to
// `ns_tcp_server_set_tls` or `ns_ws_server_set_tls`, which copy it: it may then be changed
// for another object or freed. Release with `ns_tls_server_config_free`.
struct ns_tls_server_config *ns_tls_server_config_new(void);

// Releases a configuration from `ns_tls_server_config_new` (NULL is a no-op). Objects it
// was handed to keep their copy.
void ns_tls_server_config_free(struct ns_tls_server_config *config);

// Turns TLS on for a TCP server with a copy of `config`, or off with NULL. Before start
// (else -661). The certificate is read at start: none or an unusable one → start fails
// with -606 naming it.
ns_result ns_tcp_server_set_tls(struct ns_tcp_server *server,
                                const struct ns_tls_server_config *config);

// Certificate chain (leaf first) and private key (PKCS#8, PKCS#1 or SEC1), PEM files. They
// are read at start: a missing or malformed file makes start fail with -606 naming it.
ns_result ns_tls_server_config_set_certificate_files(struct ns_tls_server_config *config,
                                                     const char *cert_chain_path,
                                                     const char *key_path);

// Like `ns_tls_server_config_set_certificate_files` with the PEM text itself (copied).
ns_result ns_tls_server_config_set_certificate_pem(struct ns_tls_server_config *config,
                                                   const char *cert_chain_pem,
                                                   const char *key_pem);

// Mutual TLS: client certificates must chain to the CAs in this PEM file; with `require`
// false, clients without a certificate are still accepted.
ns_result ns_tls_server_config_set_client_ca_file(struct ns_tls_server_config *config,
                                                  const char *ca_path,
                                                  bool require);

// Like `ns_tls_server_config_set_client_ca_file` with the PEM text itself.
ns_result ns_tls_server_config_set_client_ca_pem(struct ns_tls_server_config *config,
                                                 const char *ca_pem,
                                                 bool require);

// ALPN protocols in preference order, comma-separated ("h2,http/1.1"); "" for none.
ns_result ns_tls_server_config_set_alpn(struct ns_tls_server_config *config, const char *protocols);

// NS_TLS_VERSIONS_1_2_AND_1_3 (default), NS_TLS_VERSIONS_1_3_ONLY or NS_TLS_VERSIONS_1_2_ONLY.
ns_result ns_tls_server_config_set_versions(struct ns_tls_server_config *config,
                                            int32_t tls_versions);

// Time allowed for a client's handshake (default 10000 ms; > 0); exceeded → error -602.
ns_result ns_tls_server_config_set_handshake_timeout_ms(struct ns_tls_server_config *config,
                                                        uint64_t ms);

// Creates a TLS client configuration that trusts the system roots. With `verify_cert` false
// any server certificate is accepted (a warning is logged at each start). Hand it to
// `ns_tcp_client_set_tls` or `ns_ws_client_set_tls` (copied); release with
// `ns_tls_client_config_free`.
struct ns_tls_client_config *ns_tls_client_config_new(bool verify_cert);

// Releases a configuration from `ns_tls_client_config_new` (NULL is a no-op).
void ns_tls_client_config_free(struct ns_tls_client_config *config);

// Turns TLS on for a TCP client with a copy of `config`, or off with NULL. Before start
// (else -664). `ns_tcp_client_start_wait` then returns after the handshake, like the
// original's `start_client`.
ns_result ns_tcp_client_set_tls(struct ns_tcp_client *client,
                                const struct ns_tls_client_config *config);

// Also trust the CA certificates in this PEM file.
ns_result ns_tls_client_config_set_ca_file(struct ns_tls_client_config *config,
                                           const char *ca_path);

// Also trust the CA certificates in this PEM text.
ns_result ns_tls_client_config_set_ca_pem(struct ns_tls_client_config *config, const char *ca_pem);

// Trust the system roots (/etc/ssl/certs on Debian) (default true).
ns_result ns_tls_client_config_set_system_roots(struct ns_tls_client_config *config, bool enabled);

// Name to verify and send as SNI instead of the host given to start; NULL restores that.
ns_result ns_tls_client_config_set_server_name(struct ns_tls_client_config *config,
                                               const char *name);

// Pins the server certificate: the SHA-256 of the whole DER leaf certificate as 64 hex digits
// (':' allowed), as `openssl x509 -noout -fingerprint -sha256` prints it. Several pins may be
// added; the leaf must match one, on top of the normal verification.
ns_result ns_tls_client_config_add_pin_sha256(struct ns_tls_client_config *config, const char *hex);

// Client certificate chain and key for mutual TLS, PEM files (read at start).
ns_result ns_tls_client_config_set_certificate_files(struct ns_tls_client_config *config,
                                                     const char *cert_chain_path,
                                                     const char *key_path);

// Like `ns_tls_client_config_set_certificate_files` with the PEM text itself.
ns_result ns_tls_client_config_set_certificate_pem(struct ns_tls_client_config *config,
                                                   const char *cert_chain_pem,
                                                   const char *key_pem);

// ALPN protocols offered, comma-separated; "" for none.
ns_result ns_tls_client_config_set_alpn(struct ns_tls_client_config *config, const char *protocols);

// NS_TLS_VERSIONS_1_2_AND_1_3 (default), NS_TLS_VERSIONS_1_3_ONLY or NS_TLS_VERSIONS_1_2_ONLY.
ns_result ns_tls_client_config_set_versions(struct ns_tls_client_config *config,
                                            int32_t tls_versions);

// Time allowed for the handshake (default 10000 ms; > 0); exceeded → -602.
ns_result ns_tls_client_config_set_handshake_timeout_ms(struct ns_tls_client_config *config,
                                                        uint64_t ms);

// Creates a stopped UDP server (bind 0.0.0.0 by default). Release with `ns_udp_server_free`.
struct ns_udp_server *ns_udp_server_new(void);

// Stops the server (as `ns_udp_server_stop`) and releases it. Exclusive: no other call on
// this handle may overlap it or follow it. It returns when no callback of this server runs or
// will run again, except inside one of its own callbacks (see the contract at the top).
// NULL is a no-op.
void ns_udp_server_free(struct ns_udp_server *server);

// Address to bind ("0.0.0.0" default, "127.0.0.1", "::", "::1"). Before start (else -661).
ns_result ns_udp_server_set_bind_address(struct ns_udp_server *server, const char *address);

// Socket options, before start: SO_REUSEADDR (several multicast receivers on one port),
// SO_BROADCAST, SO_RCVBUF/SO_SNDBUF bytes (0 = system default), multicast TTL/hops, multicast
// loopback, outgoing multicast interface ("IPv4 address" or "IPv6 interface index").
ns_result ns_udp_server_set_reuse_address(struct ns_udp_server *server, bool enabled);

// See `ns_udp_server_set_reuse_address`.
ns_result ns_udp_server_set_broadcast(struct ns_udp_server *server, bool enabled);

// See `ns_udp_server_set_reuse_address`.
ns_result ns_udp_server_set_buffer_sizes(struct ns_udp_server *server,
                                         size_t recv_bytes,
                                         size_t send_bytes);

// See `ns_udp_server_set_reuse_address`.
ns_result ns_udp_server_set_multicast(struct ns_udp_server *server,
                                      uint32_t ttl,
                                      bool loopback,
                                      const char *interface);

// Called with each datagram and its sender; any time, also while running. `free_user_data`
// as for the TCP setters.
ns_result ns_udp_server_set_receive_callback(struct ns_udp_server *server,
                                             ns_udp_receive_fn callback,
                                             void *user_data,
                                             ns_free_fn free_user_data);

// Called on errors.
ns_result ns_udp_server_set_error_callback(struct ns_udp_server *server,
                                           ns_udp_error_fn callback,
                                           void *user_data,
                                           ns_free_fn free_user_data);

// Binds and starts receiving (port 0 = any; read it with `ns_udp_server_port`). -661 when
// running, -662 address in use or not permitted.
ns_result ns_udp_server_start(struct ns_udp_server *server, uint16_t port);

// Writes the bound port; -660 when not running.
ns_result ns_udp_server_port(const struct ns_udp_server *server, uint16_t *port);

// Stops receiving. It returns when no callback of this server runs or will run again, also
// from another object's callback; inside one of its own callbacks it only starts the stop.
// Not running → 0.
ns_result ns_udp_server_stop(struct ns_udp_server *server);

// Blocks until the server is stopped from another thread; inside any callback or on a runtime
// thread it returns NS_ERR_INVALID_ARGUMENT at once (it would wait for itself).
ns_result ns_udp_server_wait_for_stop(const struct ns_udp_server *server);

// True between start and stop.
bool ns_udp_server_is_running(const struct ns_udp_server *server);

// Sends one datagram to `address:port`. An IP address is parsed in place (no lookup, no
// allocation); a host name costs a DNS lookup per call (from a callback, on a thread that
// does not hold up the runtime). -660 not running, -642 over 65507 bytes (IPv4) / 65527
// (IPv6), -643 send buffer full (not sent), -607 bad address. A send within 10 µs of the
// previous one joins a burst written in batches by the runtime: then NS_OK means queued (up
// to 4 MiB) and a later failure goes to the error callback.
ns_result ns_udp_server_send_to(const struct ns_udp_server *server,
                                const char *address,
                                uint16_t port,
                                const uint8_t *data,
                                size_t len);

// Sends `count` datagrams (`data[i]`, `len[i]` bytes) to `address:port` as one burst, in as
// few system calls as the kernel allows (GSO trains of equal-sized datagrams). The arrays
// are borrowed for the call (copied before it returns). All or nothing: errors as for
// `ns_udp_server_send_to`, checked for every datagram before any is queued; -643 when the
// queue (4 MiB) has no room for all. Later failures go to the error callback. Any thread.
ns_result ns_udp_server_send_batch_to(const struct ns_udp_server *server,
                                      const char *address,
                                      uint16_t port,
                                      const uint8_t *const *data,
                                      const size_t *len,
                                      size_t count);

// Joins a multicast group ("239.1.2.3", "ff02::1"); `interface` is the IPv4 address of the
// interface (IPv4 groups) or its index (IPv6 groups), NULL for the system's choice. Running only.
ns_result ns_udp_server_join_multicast(struct ns_udp_server *server,
                                       const char *group_address,
                                       const char *interface);

// Leaves a group joined with `ns_udp_server_join_multicast`.
ns_result ns_udp_server_leave_multicast(struct ns_udp_server *server,
                                        const char *group_address,
                                        const char *interface);

// Datagrams (messages_*) and bytes in/out, errors, dropped (see `ns_stats`).
ns_result ns_udp_server_get_stats(const struct ns_udp_server *server, struct ns_stats *out);

// Creates a stopped UDP client. Release with `ns_udp_client_free`.
struct ns_udp_client *ns_udp_client_new(void);

// Stops the client (as `ns_udp_client_stop`) and releases it. Exclusive: no other call on
// this handle may overlap it or follow it. It returns when no callback of this client runs or
// will run again, except inside one of its own callbacks (see the contract at the top).
// NULL is a no-op.
void ns_udp_client_free(struct ns_udp_client *client);

// Local address to bind (default: any address of the target's family). Before start (-664).
ns_result ns_udp_client_set_bind_address(struct ns_udp_client *client, const char *address);

// SO_BROADCAST (to send to broadcast addresses). Before start.
ns_result ns_udp_client_set_broadcast(struct ns_udp_client *client, bool enabled);

// SO_RCVBUF / SO_SNDBUF in bytes (0 = system default). Before start.
ns_result ns_udp_client_set_buffer_sizes(struct ns_udp_client *client,
                                         size_t recv_bytes,
                                         size_t send_bytes);

// Multicast sending: TTL/hops (0 keeps IPv4 multicast on this host), loopback, outgoing
// interface ("IPv4 address" or "IPv6 interface index", NULL: system's choice). Before start.
ns_result ns_udp_client_set_multicast(struct ns_udp_client *client,
                                      uint32_t ttl,
                                      bool loopback,
                                      const char *interface);

// Called with each datagram from the target.
ns_result ns_udp_client_set_receive_callback(struct ns_udp_client *client,
                                             ns_udp_receive_fn callback,
                                             void *user_data,
                                             ns_free_fn free_user_data);

// Called on errors (-601 when the target's port is unreachable; the client keeps working).
ns_result ns_udp_client_set_error_callback(struct ns_udp_client *client,
                                           ns_udp_error_fn callback,
                                           void *user_data,
                                           ns_free_fn free_user_data);

// Resolves `host:port`, binds and connects the socket to it. -1 empty host, -607 unresolvable,
// -664 running.
ns_result ns_udp_client_start(struct ns_udp_client *client, const char *host, uint16_t port);

// Sends to another target from now on. -663 not running, -607 unresolvable.
ns_result ns_udp_client_set_target(struct ns_udp_client *client, const char *host, uint16_t port);

// Sends one datagram to the target. -663 not running, -642 too large, -643 send buffer full.
// Bursts are batched as for `ns_udp_server_send_to`.
ns_result ns_udp_client_send(const struct ns_udp_client *client, const uint8_t *data, size_t len);

// Sends `count` datagrams to the target as one burst (see `ns_udp_server_send_batch_to`).
// -663 not running, -642 one is too large, -643 no room for all. Any thread.
ns_result ns_udp_client_send_batch(const struct ns_udp_client *client,
                                   const uint8_t *const *data,
                                   const size_t *len,
                                   size_t count);

// Writes the local port; -663 when not running.
ns_result ns_udp_client_local_port(const struct ns_udp_client *client, uint16_t *port);

// Stops receiving; when it returns, see `ns_udp_server_stop`. Not running → 0.
ns_result ns_udp_client_stop(struct ns_udp_client *client);

// Blocks until the client is stopped from another thread; inside any callback or on a runtime
// thread it returns NS_ERR_INVALID_ARGUMENT at once (it would wait for itself).
ns_result ns_udp_client_wait_for_stop(const struct ns_udp_client *client);

// True between start and stop.
bool ns_udp_client_is_running(const struct ns_udp_client *client);

// Datagrams (messages_*) and bytes in/out, errors, dropped.
ns_result ns_udp_client_get_stats(const struct ns_udp_client *client, struct ns_stats *out);

// Creates a stopped client: path "/", 10 s connect timeout, no reconnect, messages up to
// 10 MiB, a ping every 30 s with a 10 s pong deadline. Release with `ns_ws_client_free`.
struct ns_ws_client *ns_ws_client_new(void);

// Stops the client (as `ns_ws_client_stop`) and releases it. Exclusive, and waits, as
// `ns_tcp_client_free`. NULL is a no-op.
void ns_ws_client_free(struct ns_ws_client *client);

// Request path (default "/", must start with '/'). Before start (else -664); same for every
// setter below.
ns_result ns_ws_client_set_path(struct ns_ws_client *client, const char *path);

// Extra request headers (e.g. Authorization), `count` name/value pairs sent in this order;
// 0 clears them. -1 for a name or value HTTP does not allow.
ns_result ns_ws_client_set_headers(struct ns_ws_client *client,
                                   const char *const *names,
                                   const char *const *values,
                                   size_t count);

// Subprotocols to ask for (Sec-WebSocket-Protocol), `count` names; read the server's choice
// with `ns_ws_connection_subprotocol`.
ns_result ns_ws_client_set_subprotocols(struct ns_ws_client *client,
                                        const char *const *names,
                                        size_t count);

// Origin header to send; NULL for none (default).
ns_result ns_ws_client_set_origin(struct ns_ws_client *client, const char *origin);

// Resolve, connect, TLS and the opening handshake must finish within this (default 10000 ms;
// > 0); exceeded → -602.
ns_result ns_ws_client_set_connect_timeout_ms(struct ns_ws_client *client, uint64_t ms);

// Automatic reconnect, as `ns_tcp_client_set_reconnect` (default off).
ns_result ns_ws_client_set_reconnect(struct ns_ws_client *client,
                                     bool enabled,
                                     uint64_t initial_delay_ms,
                                     uint64_t max_delay_ms,
                                     uint32_t max_attempts,
                                     uint32_t jitter_percent);

// See `ns_ws_server_set_max_message_size`.
ns_result ns_ws_client_set_max_message_size(struct ns_ws_client *client, size_t bytes);

// See `ns_ws_server_set_send_queue_limit`.
ns_result ns_ws_client_set_send_queue_limit(struct ns_ws_client *client, size_t bytes);

// See `ns_ws_server_set_keepalive`.
ns_result ns_ws_client_set_keepalive(struct ns_ws_client *client,
                                     uint64_t ping_interval_ms,
                                     uint64_t pong_timeout_ms);

// See `ns_ws_server_set_close_timeout_ms`.
ns_result ns_ws_client_set_close_timeout_ms(struct ns_ws_client *client, uint64_t ms);

// TCP_NODELAY (default true).
ns_result ns_ws_client_set_no_delay(struct ns_ws_client *client, bool enabled);

// wss://: TLS with a copy of `config` (see `ns_tls_client_config_new`), or plain ws:// with
// NULL (default).
ns_result ns_ws_client_set_tls(struct ns_ws_client *client,
                               const struct ns_tls_client_config *config);

// Called when a connection is established (after the opening handshake), before any message.
// `free_user_data` as for the server setters; same for the three setters below.
ns_result ns_ws_client_set_connected_callback(struct ns_ws_client *client,
                                              ns_ws_connection_fn callback,
                                              void *user_data,
                                              ns_free_fn free_user_data);

// Called with each whole message.
ns_result ns_ws_client_set_message_callback(struct ns_ws_client *client,
                                            ns_ws_message_fn callback,
                                            void *user_data,
                                            ns_free_fn free_user_data);

// Called exactly once per connection that was reported connected, last, with the close code
// and reason.
ns_result ns_ws_client_set_close_callback(struct ns_ws_client *client,
                                          ns_ws_close_fn callback,
                                          void *user_data,
                                          ns_free_fn free_user_data);

// Called on errors: connect failures (-600/-601/-602/-607, connection NULL), an upgrade the
// server refused (-601 naming the HTTP status), a malformed handshake answer (-644), protocol violations, keep-alive timeouts, reconnect attempts
// exhausted (-604).
ns_result ns_ws_client_set_error_callback(struct ns_ws_client *client,
                                          ns_ws_error_fn callback,
                                          void *user_data,
                                          ns_free_fn free_user_data);

// Starts connecting to ws://host:port/path (wss:// with TLS) and returns at once; the
// connected or error callback follows. -1 for NULL/empty host or port 0; -607 malformed host;
// -664 already running; -606 unusable TLS material.
ns_result ns_ws_client_start(struct ns_ws_client *client, const char *host, uint16_t port);

// Like `ns_ws_client_start`, but returns once the first attempt (connect, TLS, opening
// handshake) succeeded or failed, with its code. Inside a callback it does not wait.
ns_result ns_ws_client_start_wait(struct ns_ws_client *client, const char *host, uint16_t port);

// Stops reconnecting and closes the connection with 1000. Waits as `ns_tcp_client_stop`.
// Not running → 0.
ns_result ns_ws_client_stop(struct ns_ws_client *client);

// Blocks until the client is stopped, as `ns_tcp_client_wait_for_stop`.
ns_result ns_ws_client_wait_for_stop(const struct ns_ws_client *client);

// True between start and stop (including while connecting or waiting to reconnect).
bool ns_ws_client_is_running(const struct ns_ws_client *client);

// True while a connection is open (not closing).
bool ns_ws_client_is_connected(const struct ns_ws_client *client);

// A new owned handle to the current connection (release with `ns_ws_connection_release`), or
// NULL when not connected.
ns_ws_connection *ns_ws_client_get_connection(const struct ns_ws_client *client);

// Queues a text message (`len` bytes of UTF-8, not NUL-terminated; else -1). -603 when not
// connected; others as `ns_ws_connection_send_text`.
ns_result ns_ws_client_send_text(const struct ns_ws_client *client,
                                 const uint8_t *data,
                                 size_t len);

// Queues a binary message (empty allowed). -603 when not connected.
ns_result ns_ws_client_send_binary(const struct ns_ws_client *client,
                                   const uint8_t *data,
                                   size_t len);

// Queues a ping with up to 125 bytes of payload. -603 when not connected.
ns_result ns_ws_client_send_ping(const struct ns_ws_client *client,
                                 const uint8_t *data,
                                 size_t len);

// Starts the close handshake with `code` and `reason` (NULL for none); see
// `ns_ws_connection_close`. The client then stops unless reconnect is on. -603 when not
// connected.
ns_result ns_ws_client_close(const struct ns_ws_client *client,
                             uint16_t code,
                             const char *reason_text);

// Counters over every connection this client made.
ns_result ns_ws_client_get_stats(const struct ns_ws_client *client, struct ns_stats *out);

// Returns a new owned handle to `connection` (e.g. to keep one from a callback), or NULL when
// `connection` is NULL. Release it with `ns_ws_connection_release`.
ns_ws_connection *ns_ws_connection_retain(const ns_ws_connection *connection);

// Releases an owned handle (NULL is a no-op). Never pass the borrowed pointer a callback
// received.
void ns_ws_connection_release(ns_ws_connection *connection);

// Process-unique id of the connection (never reused); 0 for NULL.
uint64_t ns_ws_connection_id(const ns_ws_connection *connection);

// Queues a text message (`len` bytes of UTF-8, not NUL-terminated; else -1). -603 closed or
// closing; -642 over max_message_size; -643 send queue full.
ns_result ns_ws_connection_send_text(const ns_ws_connection *connection,
                                     const uint8_t *data,
                                     size_t len);

// Queues a binary message (empty allowed); errors as `ns_ws_connection_send_text`.
ns_result ns_ws_connection_send_binary(const ns_ws_connection *connection,
                                       const uint8_t *data,
                                       size_t len);

// Queues a ping with up to 125 bytes of payload (more → -1); the peer's pong counts as
// proof of life for the keep-alive.
ns_result ns_ws_connection_send_ping(const ns_ws_connection *connection,
                                     const uint8_t *data,
                                     size_t len);

// Starts the close handshake after what is queued, with `code` (1000–1003, 1007–1014 or
// 3000–4999) and `reason` (NULL for none; at most 123 bytes of UTF-8), else -1. The close
// callback follows once the peer answered or the close timeout passed. Already closing → 0.
// Safe inside any callback.
ns_result ns_ws_connection_close(const ns_ws_connection *connection,
                                 uint16_t code,
                                 const char *reason_text);

// True until the connection starts closing; false for NULL.
bool ns_ws_connection_is_connected(const ns_ws_connection *connection);

// Writes the peer's IP address (NUL-terminated) into `buf` of `buf_len` bytes (46 suffice)
// and its port into `*port` (may be NULL). -1 for NULL arguments or a buffer too small.
ns_result ns_ws_connection_remote_endpoint(const ns_ws_connection *connection,
                                           char *buf,
                                           size_t buf_len,
                                           uint16_t *port);

// Writes the request path of the opening handshake (NUL-terminated) into `buf` of `buf_len`
// bytes. -1 for NULL arguments or a buffer too small.
ns_result ns_ws_connection_path(const ns_ws_connection *connection, char *buf, size_t buf_len);

// Writes the negotiated subprotocol ("" when none), NUL-terminated, into `buf` of `buf_len`
// bytes. -1 for NULL arguments or a buffer too small.
ns_result ns_ws_connection_subprotocol(const ns_ws_connection *connection,
                                       char *buf,
                                       size_t buf_len);

// Attaches an opaque pointer to the connection (shared by every handle of it).
ns_result ns_ws_connection_set_user_data(const ns_ws_connection *connection, void *user_data);

// The pointer set by `ns_ws_connection_set_user_data`, or NULL.
void *ns_ws_connection_get_user_data(const ns_ws_connection *connection);

// Counters of this connection (see `ns_stats`).
ns_result ns_ws_connection_get_stats(const ns_ws_connection *connection, struct ns_stats *out);

// Creates a stopped server: bind 0.0.0.0, path "/", 1000 connections, messages up to
// 10 MiB, 8 MiB send queue per connection, a ping every 30 s with a 10 s pong deadline.
// Release with `ns_ws_server_free`.
struct ns_ws_server *ns_ws_server_new(void);

// Stops the server (as `ns_ws_server_stop`) and releases it. Exclusive, and waits, as
// `ns_tcp_server_free`. NULL is a no-op.
void ns_ws_server_free(struct ns_ws_server *server);

// Address to bind, e.g. "127.0.0.1", "::1", "::" (default "0.0.0.0"). Before start (else
// -661); same for every setter below.
ns_result ns_ws_server_set_bind_address(struct ns_ws_server *server, const char *address);

// The request path that upgrades (default "/", must start with '/'); any other path gets
// HTTP 404 and no upgrade.
ns_result ns_ws_server_set_path(struct ns_ws_server *server, const char *path);

// Open connections beyond this (> 0, default 1000) get HTTP 503 and are counted in
// `connections_rejected`.
ns_result ns_ws_server_set_max_connections(struct ns_ws_server *server, size_t max);

// Subprotocols offered, in preference order (`count` names; 0 for none, the default). When
// set, a client must ask for one of them (else HTTP 400); the choice is read with
// `ns_ws_connection_subprotocol`.
ns_result ns_ws_server_set_subprotocols(struct ns_ws_server *server,
                                        const char *const *names,
                                        size_t count);

// Allowed `Origin` header values (`count`; 0, the default, allows any and requests without
// one); other origins get HTTP 403.
ns_result ns_ws_server_set_allowed_origins(struct ns_ws_server *server,
                                           const char *const *origins,
                                           size_t count);

// Time for a client's TLS and HTTP opening handshakes (default 10000 ms; > 0); exceeded → the
// connection is dropped and the error callback gets -602.
ns_result ns_ws_server_set_handshake_timeout_ms(struct ns_ws_server *server, uint64_t ms);

// Largest message (and frame) accepted, > 0 (default 10 MiB): a larger one closes the
// connection with 1009; larger sends fail with -642.
ns_result ns_ws_server_set_max_message_size(struct ns_ws_server *server, size_t bytes);

// Bytes queued per connection beyond which a send fails with -643 (> 0, default 8 MiB).
ns_result ns_ws_server_set_send_queue_limit(struct ns_ws_server *server, size_t bytes);

// Keep-alive: a ping after `ping_interval_ms` without one (0 = never; default 30000); a peer
// that answers none within `pong_timeout_ms` (> 0, default 10000) is dropped and reported
// closed with 1006 (error callback -602).
ns_result ns_ws_server_set_keepalive(struct ns_ws_server *server,
                                     uint64_t ping_interval_ms,
                                     uint64_t pong_timeout_ms);

// After our close frame, how long to wait for the peer's (> 0, default 5000 ms).
ns_result ns_ws_server_set_close_timeout_ms(struct ns_ws_server *server, uint64_t ms);

// TCP_NODELAY on accepted connections (default true).
ns_result ns_ws_server_set_no_delay(struct ns_ws_server *server, bool enabled);

// wss://: TLS with a copy of `config` (see `ns_tls_server_config_new`), or plain ws:// with
// NULL (default).
ns_result ns_ws_server_set_tls(struct ns_ws_server *server,
                               const struct ns_tls_server_config *config);

// Called once per connection after the opening handshake, before any message.
// `free_user_data` (may be NULL) runs on `user_data` when the callback is replaced or the
// server freed and no call runs; when this call fails it is not called. Any time, also while
// running. Same for the three setters below.
ns_result ns_ws_server_set_connection_callback(struct ns_ws_server *server,
                                               ns_ws_connection_fn callback,
                                               void *user_data,
                                               ns_free_fn free_user_data);

// Called with each whole message.
ns_result ns_ws_server_set_message_callback(struct ns_ws_server *server,
                                            ns_ws_message_fn callback,
                                            void *user_data,
                                            ns_free_fn free_user_data);

// Called exactly once per connection that was reported connected, last, with the close code
// and reason.
ns_result ns_ws_server_set_close_callback(struct ns_ws_server *server,
                                          ns_ws_close_fn callback,
                                          void *user_data,
                                          ns_free_fn free_user_data);

// Called on errors: refused handshakes (connection NULL), protocol violations (-644, then
// closed with 1002/1007), oversized messages (-642, closed with 1009), keep-alive timeouts
// (-602), over the connection limit (-623, connection NULL).
ns_result ns_ws_server_set_error_callback(struct ns_ws_server *server,
                                          ns_ws_error_fn callback,
                                          void *user_data,
                                          ns_free_fn free_user_data);

// Binds the bind address on `port` (0 = any free port; read it with `ns_ws_server_port`)
// and starts accepting. -661 when running; -662 address in use or not permitted; -607 bad
// bind address; -606 unusable TLS certificate.
ns_result ns_ws_server_start(struct ns_ws_server *server, uint16_t port);

// Writes the bound port into `*port`. -660 when not running.
ns_result ns_ws_server_port(const struct ns_ws_server *server, uint16_t *port);

// Stops accepting and closes every connection with 1001 (going away). Waits as
// `ns_tcp_server_stop`. Not running → 0.
ns_result ns_ws_server_stop(struct ns_ws_server *server);

// Blocks until the server is stopped, as `ns_tcp_server_wait_for_stop`.
ns_result ns_ws_server_wait_for_stop(const struct ns_ws_server *server);

// True between a successful start and stop.
bool ns_ws_server_is_running(const struct ns_ws_server *server);

// Number of open connections (0 for NULL).
size_t ns_ws_server_connection_count(const struct ns_ws_server *server);

// A new owned handle to the open connection with `id` (see `ns_ws_connection_id`), or NULL
// when there is none. Release it with `ns_ws_connection_release`.
ns_ws_connection *ns_ws_server_get_connection(const struct ns_ws_server *server, uint64_t id);

// Queues a text message (`len` bytes of UTF-8, not NUL-terminated; else -1) to every open
// connection; `*delivered` (may be NULL) gets how many accepted it (a full or closing one
// does not).
ns_result ns_ws_server_broadcast_text(const struct ns_ws_server *server,
                                      const uint8_t *data,
                                      size_t len,
                                      size_t *delivered);

// Queues a binary message to every open connection; see `ns_ws_server_broadcast_text`.
ns_result ns_ws_server_broadcast_binary(const struct ns_ws_server *server,
                                        const uint8_t *data,
                                        size_t len,
                                        size_t *delivered);

// Counters over every connection of this server, past and present.
ns_result ns_ws_server_get_stats(const struct ns_ws_server *server, struct ns_stats *out);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* NETWORK_SYSTEM_H */

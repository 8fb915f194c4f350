/* WebSocket echo in C. "ws_echo server [port]" echoes every message (text as text, binary as
 * binary) until Enter; "ws_echo client host port message" sends one text message and prints
 * "echo: <reply>". */
#define _POSIX_C_SOURCE 200809L
#include <network_system.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void echo(void *ud, const ns_ws_connection *c, const uint8_t *data, size_t len, bool is_text) {
    (void)ud;
    if (is_text) ns_ws_connection_send_text(c, data, len);
    else ns_ws_connection_send_binary(c, data, len);
}

static int server(uint16_t port) {
    ns_ws_server *s = ns_ws_server_new();
    ns_ws_server_set_bind_address(s, "127.0.0.1");
    ns_ws_server_set_message_callback(s, echo, NULL, NULL);
    if (ns_ws_server_start(s, port) != NS_OK) {
        fprintf(stderr, "start: %s\n", ns_last_error_message());
        ns_ws_server_free(s);
        return 1;
    }
    ns_ws_server_port(s, &port);
    printf("ws echo server on port %u; press Enter to stop\n", port);
    fflush(stdout);
    (void)getchar();
    ns_ws_server_free(s); /* stops: every client gets close 1001 */
    return 0;
}

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char reply[256];
    int done;
} waiter;

static void on_message(void *ud, const ns_ws_connection *c, const uint8_t *data, size_t len, bool is_text) {
    waiter *w = ud;
    (void)c;
    (void)is_text;
    pthread_mutex_lock(&w->lock);
    if (!w->done) {
        size_t n = len < sizeof w->reply - 1 ? len : sizeof w->reply - 1;
        memcpy(w->reply, data, n);
        w->reply[n] = 0;
        w->done = 1;
        pthread_cond_signal(&w->cond);
    }
    pthread_mutex_unlock(&w->lock);
}

static int client(const char *host, uint16_t port, const char *message) {
    waiter w = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0};
    ns_ws_client *c = ns_ws_client_new();
    ns_ws_client_set_message_callback(c, on_message, &w, NULL);
    if (ns_ws_client_start_wait(c, host, port) != NS_OK) { /* after the opening handshake */
        fprintf(stderr, "connect: %s\n", ns_last_error_message());
        ns_ws_client_free(c);
        return 1;
    }
    ns_ws_client_send_text(c, (const uint8_t *)message, strlen(message));
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&w.lock);
    while (!w.done)
        if (pthread_cond_timedwait(&w.cond, &w.lock, &deadline) != 0) break;
    int ok = w.done;
    pthread_mutex_unlock(&w.lock);
    if (ok) printf("echo: %s\n", w.reply);
    ns_ws_client_close(c, 1000, "bye");
    ns_ws_client_free(c);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "server") == 0)
        return server(argc > 2 ? (uint16_t)atoi(argv[2]) : 8080);
    if (argc >= 5 && strcmp(argv[1], "client") == 0)
        return client(argv[2], (uint16_t)atoi(argv[3]), argv[4]);
    fprintf(stderr, "usage: %s server [port] | client host port message\n", argv[0]);
    return 2;
}

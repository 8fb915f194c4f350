/* C echo client: sends a message and prints the echo. Usage: echo_client [host] [port] [message] */
#include <network_system.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int connected;
    int failed;
    char received[4096];
    size_t len;
} state;

static void on_connected(void *ud, const ns_tcp_session *s) {
    state *st = ud;
    (void)s;
    pthread_mutex_lock(&st->lock);
    st->connected = 1;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
}

static void on_receive(void *ud, const ns_tcp_session *s, const uint8_t *data, size_t len) {
    state *st = ud;
    (void)s;
    pthread_mutex_lock(&st->lock);
    if (len > sizeof st->received - 1 - st->len) len = sizeof st->received - 1 - st->len;
    memcpy(st->received + st->len, data, len);
    st->len += len;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
}

static void on_error(void *ud, const ns_tcp_session *s, ns_result code, const char *message) {
    state *st = ud;
    (void)s;
    fprintf(stderr, "error %s (%d): %s\n", ns_error_name(code), code, message);
    pthread_mutex_lock(&st->lock);
    st->failed = 1;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
}

/* Waits until *flag turns non-zero (or, with flag NULL, or `size` bytes arrived, for up to 5 s. */
static int wait_for(state *st, const int *flag, size_t size) {
    struct timespec deadline;
    int ok;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 5;
    pthread_mutex_lock(&st->lock);
    while (!st->failed && !(flag ? *flag : st->len >= size))
        if (pthread_cond_timedwait(&st->cond, &st->lock, &deadline) != 0) break;
    ok = !st->failed && (flag ? *flag : st->len >= size);
    pthread_mutex_unlock(&st->lock);
    return ok;
}

int main(int argc, char **argv) {
    const char *host = argc > 1 ? argv[1] : "127.0.0.1";
    uint16_t port = (uint16_t)(argc > 2 ? atoi(argv[2]) : 9000);
    const char *message = argc > 3 ? argv[3] : "hello from C";
    state st;
    memset(&st, 0, sizeof st);
    pthread_mutex_init(&st.lock, NULL);
    pthread_cond_init(&st.cond, NULL);

    ns_tcp_client *client = ns_tcp_client_new();
    ns_tcp_client_set_connected_callback(client, on_connected, &st, NULL);
    ns_tcp_client_set_receive_callback(client, on_receive, &st, NULL);
    ns_tcp_client_set_error_callback(client, on_error, &st, NULL);
    if (ns_tcp_client_start(client, host, port) != NS_OK) {
        fprintf(stderr, "start: %s\n", ns_last_error_message());
        return 1;
    }
    if (!wait_for(&st, &st.connected, 0)) return 1;
    if (ns_tcp_client_send(client, (const uint8_t *)message, strlen(message)) != NS_OK) {
        fprintf(stderr, "send: %s\n", ns_last_error_message());
        return 1;
    }
    if (!wait_for(&st, NULL, strlen(message))) return 1;
    printf("echo: %s\n", st.received);
    ns_tcp_client_free(client); /* stops first; no callback runs after this returns */
    return 0;
}

/* Start/stop/free storm through the C ABI: 4 threads each create a TCP server and a client,
 * exchange messages, and tear them down again, N times, while callbacks stop or free their own
 * object (every fourth cycle the client frees itself from its receive callback; every third the
 * server stops itself from its own). A watchdog aborts when no cycle completes for 60 s (a
 * deadlock); every echo is checked byte for byte; leaks show under ASan and valgrind.
 *
 *   storm_test [CYCLES_PER_THREAD]   (default 2500: 10 000 cycles in all) */
#define _POSIX_C_SOURCE 200809L
#include <network_system.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define MESSAGES 3

static atomic_long g_cycles;
static atomic_int g_failed;

static void failed(const char *what, int cycle) {
    fprintf(stderr, "storm_test: cycle %d: %s (%s)\n", cycle, what, ns_last_error_message());
    atomic_store(&g_failed, 1);
}

/* What one client's callbacks share with its thread. */
typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    ns_tcp_client *client;
    int free_self; /* free the client from its receive callback once all echoes arrived */
    int echoes;
    int bad;
    int freed;
} slot;

static void slot_signal(slot *s) {
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* Waits (at most 20 s) until `*field` reaches `goal`; returns whether it did. */
static int slot_wait(slot *s, const int *field, int goal) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 20;
    pthread_mutex_lock(&s->lock);
    while (*field < goal)
        if (pthread_cond_timedwait(&s->cond, &s->lock, &deadline) == ETIMEDOUT) break;
    int reached = *field >= goal;
    pthread_mutex_unlock(&s->lock);
    return reached;
}

static void client_receive(void *ud, const ns_tcp_session *session, const uint8_t *data, size_t len) {
    (void)session;
    slot *s = ud;
    pthread_mutex_lock(&s->lock);
    if (len != 8 || memcmp(data, "stormmsg", 8) != 0) s->bad++;
    int done = ++s->echoes == MESSAGES && s->free_self;
    slot_signal(s);
    if (done) {
        /* Free from the object's own callback: returns at once; no callback follows. */
        ns_tcp_client_free(s->client);
        pthread_mutex_lock(&s->lock);
        s->freed = 1;
        slot_signal(s);
    }
}

static void server_echo(void *ud, const ns_tcp_session *session, const uint8_t *data, size_t len) {
    (void)ud;
    ns_tcp_session_send(session, data, len);
}

static void server_echo_then_stop(void *ud, const ns_tcp_session *session, const uint8_t *data, size_t len) {
    ns_tcp_session_send(session, data, len);
    /* Inside its own callback, stop only starts the stop and returns. */
    ns_tcp_server_stop((ns_tcp_server *)ud);
}

static void one_cycle(int cycle) {
    ns_tcp_server *server = ns_tcp_server_new();
    if (!server) {
        failed("server new", cycle);
        return;
    }
    const int server_stops_itself = cycle % 3 == 2;
    ns_tcp_server_set_bind_address(server, "127.0.0.1");
    ns_tcp_server_set_framing(server, NS_FRAMING_LENGTH_PREFIXED);
    ns_tcp_server_set_receive_callback(server, server_stops_itself ? server_echo_then_stop : server_echo, server, NULL);
    uint16_t port = 0;
    if (ns_tcp_server_start(server, 0) != NS_OK || ns_tcp_server_port(server, &port) != NS_OK) {
        failed("server start", cycle);
        ns_tcp_server_free(server);
        return;
    }
    slot s;
    memset(&s, 0, sizeof s);
    pthread_mutex_init(&s.lock, NULL);
    pthread_cond_init(&s.cond, NULL);
    s.client = ns_tcp_client_new();
    s.free_self = cycle % 4 == 3 && !server_stops_itself;
    ns_tcp_client_set_framing(s.client, NS_FRAMING_LENGTH_PREFIXED);
    ns_tcp_client_set_receive_callback(s.client, client_receive, &s, NULL);
    if (ns_tcp_client_start_wait(s.client, "127.0.0.1", port) != NS_OK) {
        failed("client start", cycle);
    } else {
        /* With a server that stops after its first echo, only the first echo is certain. */
        const int expected = server_stops_itself ? 1 : MESSAGES;
        for (int i = 0; i < MESSAGES; ++i) ns_tcp_client_send(s.client, (const uint8_t *)"stormmsg", 8);
        if (!slot_wait(&s, &s.echoes, expected)) failed("echoes missing", cycle);
        if (s.free_self && !slot_wait(&s, &s.freed, 1)) failed("the client did not free itself", cycle);
    }
    if (!s.freed) ns_tcp_client_free(s.client);
    ns_tcp_server_free(server);
    if (s.bad) failed("an echo differs from what was sent", cycle);
    pthread_mutex_destroy(&s.lock);
    pthread_cond_destroy(&s.cond);
    atomic_fetch_add(&g_cycles, 1);
}

static void *storm(void *arg) {
    const int cycles = *(const int *)arg;
    for (int i = 0; i < cycles && !atomic_load(&g_failed); ++i) one_cycle(i);
    return NULL;
}

/* Aborts when no cycle completed for 60 s: a wait that never ends. */
static void *watchdog(void *arg) {
    (void)arg;
    long last = -1;
    int still = 0;
    for (;;) {
        sleep(1);
        long now = atomic_load(&g_cycles);
        still = now == last ? still + 1 : 0;
        last = now;
        if (still >= 60) {
            fprintf(stderr, "storm_test: no progress for 60 s after %ld cycles: deadlock\n", now);
            abort();
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    int cycles = argc > 1 ? atoi(argv[1]) : 2500;
    if (cycles <= 0) cycles = 2500;
    pthread_t dog, threads[THREADS];
    pthread_create(&dog, NULL, watchdog, NULL);
    pthread_detach(dog);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int t = 0; t < THREADS; ++t) pthread_create(&threads[t], NULL, storm, &cycles);
    for (int t = 0; t < THREADS; ++t) pthread_join(threads[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (atomic_load(&g_failed)) return 1;
    printf("storm_test ok: %ld cycles from %d threads in %.1f s\n", atomic_load(&g_cycles), THREADS, secs);
    return 0;
}

/* Lifecycle regression tests through the C ABI only (run plain, under ASan+UBSan and under
 * valgrind): stop/wait/free from two threads, wait_for_stop inside a callback, a client restarted
 * from its own callback, fork, free of one object from another object's callback, a raw send too
 * large to allocate. Each scenario is bounded: a watchdog names the scenario that hangs. */
#define _GNU_SOURCE
#include <network_system.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static int failures = 0;
static int checks = 0;
static const char *volatile scenario = "setup";

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        ++checks;                                                                              \
        if (!(cond)) {                                                                         \
            ++failures;                                                                        \
            fprintf(stderr, "%s:%d [%s]: CHECK failed: %s (last error: %s)\n", __FILE__,      \
                    __LINE__, scenario, #cond, ns_last_error_message());                       \
        }                                                                                      \
    } while (0)

static void watchdog(int sig) {
    (void)sig;
    static const char msg[] = "lifecycle_test: HUNG in scenario: ";
    ssize_t r = write(2, msg, sizeof msg - 1);
    r = write(2, scenario, strlen(scenario));
    r = write(2, "\n", 1);
    (void)r;
    _exit(3);
}

/* Scenarios run slower under valgrind: NS_TEST_SLOW=1 gives each more time. */
static void begin(const char *name) {
    scenario = name;
    const char *slow = getenv("NS_TEST_SLOW");
    alarm(slow && *slow == '1' ? 600 : 60);
}

/* ---- a tiny event counter with a deadline --------------------------------------------------- */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int count;
} counter;

static void counter_init(counter *c) {
    c->count = 0;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
}

static void counter_bump(counter *c) {
    pthread_mutex_lock(&c->lock);
    ++c->count;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

/* Waits until the count reaches `target`, at most `seconds`; returns whether it did. */
static int counter_wait(counter *c, int target, int seconds) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += seconds;
    pthread_mutex_lock(&c->lock);
    while (c->count < target)
        if (pthread_cond_timedwait(&c->cond, &c->lock, &deadline) == ETIMEDOUT) break;
    int reached = c->count >= target;
    pthread_mutex_unlock(&c->lock);
    return reached;
}

static ns_tcp_server *echo_server(uint16_t *port);

static void echo(void *ud, const ns_tcp_session *s, const uint8_t *data, size_t len) {
    (void)ud;
    ns_tcp_session_send(s, data, len);
}

static ns_tcp_server *echo_server(uint16_t *port) {
    ns_tcp_server *server = ns_tcp_server_new();
    ns_tcp_server_set_bind_address(server, "127.0.0.1");
    ns_tcp_server_set_receive_callback(server, echo, NULL, NULL);
    CHECK(ns_tcp_server_start(server, 0) == NS_OK);
    CHECK(ns_tcp_server_port(server, port) == NS_OK);
    return server;
}

/* ---- 1. stop on one thread, wait_for_stop then free on another ------------------------------- */

static void *stop_tcp_server(void *p) { ns_tcp_server_stop(p); return NULL; }
static void *stop_tcp_client(void *p) { ns_tcp_client_stop(p); return NULL; }
static void *stop_udp_server(void *p) { ns_udp_server_stop(p); return NULL; }

static void stop_wait_free_race(int iterations) {
    begin("stop/wait/free from two threads");
    uint16_t port = 0;
    ns_tcp_server *peer = echo_server(&port);
    for (int i = 0; i < iterations; ++i) {
        pthread_t t;
        switch (i % 3) {
        case 0: {
            ns_tcp_server *s = ns_tcp_server_new();
            ns_tcp_server_set_bind_address(s, "127.0.0.1");
            CHECK(ns_tcp_server_start(s, 0) == NS_OK);
            pthread_create(&t, NULL, stop_tcp_server, s);
            CHECK(ns_tcp_server_wait_for_stop(s) == NS_OK);
            ns_tcp_server_free(s);
            break;
        }
        case 1: {
            ns_tcp_client *c = ns_tcp_client_new();
            CHECK(ns_tcp_client_start_wait(c, "127.0.0.1", port) == NS_OK);
            pthread_create(&t, NULL, stop_tcp_client, c);
            CHECK(ns_tcp_client_wait_for_stop(c) == NS_OK);
            ns_tcp_client_free(c);
            break;
        }
        default: {
            ns_udp_server *u = ns_udp_server_new();
            ns_udp_server_set_bind_address(u, "127.0.0.1");
            CHECK(ns_udp_server_start(u, 0) == NS_OK);
            pthread_create(&t, NULL, stop_udp_server, u);
            CHECK(ns_udp_server_wait_for_stop(u) == NS_OK);
            ns_udp_server_free(u);
            break;
        }
        }
        pthread_join(t, NULL);
    }
    ns_tcp_server_free(peer);
}

/* ---- 2. wait_for_stop inside a callback ------------------------------------------------------ */

static ns_tcp_server *g_waiting_server;
static atomic_int g_wait_result = 1;
static counter g_waited;

static void wait_inside(void *ud, const ns_tcp_session *s) {
    (void)ud;
    (void)s;
    atomic_store(&g_wait_result, ns_tcp_server_wait_for_stop(g_waiting_server));
    counter_bump(&g_waited);
}

static void wait_for_stop_in_callback(void) {
    begin("wait_for_stop inside a callback");
    counter_init(&g_waited);
    uint16_t port = 0;
    g_waiting_server = echo_server(&port);
    ns_tcp_server_set_connection_callback(g_waiting_server, wait_inside, NULL, NULL);
    ns_tcp_client *c = ns_tcp_client_new();
    CHECK(ns_tcp_client_start_wait(c, "127.0.0.1", port) == NS_OK);
    CHECK(counter_wait(&g_waited, 1, 20));
    CHECK(atomic_load(&g_wait_result) == NS_ERR_INVALID_ARGUMENT);
    /* The server still works and stops. */
    CHECK(ns_tcp_client_send(c, (const uint8_t *)"x", 1) == NS_OK);
    ns_tcp_client_free(c);
    CHECK(ns_tcp_server_stop(g_waiting_server) == NS_OK);
    ns_tcp_server_free(g_waiting_server);
}

/* ---- 3. a client stopped and restarted from its own callback --------------------------------- */

/* The peer is a plain POSIX listener: the first connection is never read, so the old
 * connection lingers (flushing its queue) while the new one is already up and ends last. */

static ns_tcp_client *g_restarting;
static uint16_t g_restart_port;
static counter g_restart_connected;
static counter g_restart_disconnected;
static counter g_restart_echo;
static uint8_t g_flood[16u << 20];

static atomic_int g_restart_first_seen;

static void restart_connected(void *ud, const ns_tcp_session *s) {
    (void)ud;
    /* Claimed at entry: the new connection's callback may run on another thread before this
     * one returns, and must not take itself for the first. */
    if (atomic_exchange(&g_restart_first_seen, 1) == 0) {
        /* More than the socket buffers take: the rest stays queued in the old connection. */
        CHECK(ns_tcp_session_send(s, g_flood, sizeof g_flood) == NS_OK);
        CHECK(ns_tcp_client_stop(g_restarting) == NS_OK); /* inside: starts the stop only */
        CHECK(ns_tcp_client_start(g_restarting, "127.0.0.1", g_restart_port) == NS_OK);
    }
    counter_bump(&g_restart_connected);
}

static void restart_disconnected(void *ud, const ns_tcp_session *s) {
    (void)ud;
    (void)s;
    counter_bump(&g_restart_disconnected);
}

static void restart_receive(void *ud, const ns_tcp_session *s, const uint8_t *d, size_t n) {
    (void)ud;
    (void)s;
    if (n >= 1 && d[n - 1] == '!') counter_bump(&g_restart_echo);
}

static void restart_from_callback(void) {
    begin("client restarted from its own callback");
    counter_init(&g_restart_connected);
    counter_init(&g_restart_disconnected);
    counter_init(&g_restart_echo);
    atomic_store(&g_restart_first_seen, 0);
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t addr_len = sizeof addr;
    CHECK(bind(listener, (struct sockaddr *)&addr, sizeof addr) == 0);
    CHECK(listen(listener, 4) == 0);
    CHECK(getsockname(listener, (struct sockaddr *)&addr, &addr_len) == 0);
    g_restart_port = ntohs(addr.sin_port);

    g_restarting = ns_tcp_client_new();
    ns_tcp_client_set_send_queue_limit(g_restarting, sizeof g_flood * 2);
    ns_tcp_client_set_linger_ms(g_restarting, 300);
    ns_tcp_client_set_connected_callback(g_restarting, restart_connected, NULL, NULL);
    ns_tcp_client_set_disconnected_callback(g_restarting, restart_disconnected, NULL, NULL);
    ns_tcp_client_set_receive_callback(g_restarting, restart_receive, NULL, NULL);
    CHECK(ns_tcp_client_start(g_restarting, "127.0.0.1", g_restart_port) == NS_OK);
    int old_conn = accept(listener, NULL, NULL); /* never read */
    int new_conn = accept(listener, NULL, NULL);
    CHECK(old_conn >= 0 && new_conn >= 0);
    CHECK(counter_wait(&g_restart_connected, 2, 20));
    /* The old connection gives up flushing after its linger and ends; the new one lives on. */
    CHECK(counter_wait(&g_restart_disconnected, 1, 20));
    CHECK(ns_tcp_client_is_connected(g_restarting));
    CHECK(ns_tcp_client_send(g_restarting, (const uint8_t *)"again!", 6) == NS_OK);
    char got[6] = {0};
    size_t have = 0;
    while (have < sizeof got) {
        ssize_t n = read(new_conn, got + have, sizeof got - have);
        if (n <= 0) break;
        have += (size_t)n;
    }
    CHECK(have == 6 && memcmp(got, "again!", 6) == 0);
    CHECK(write(new_conn, got, have) == (ssize_t)have);
    CHECK(counter_wait(&g_restart_echo, 1, 20));
    ns_tcp_client_free(g_restarting); /* returns: the watchdog catches a hang */
    CHECK(counter_wait(&g_restart_disconnected, 2, 1));
    close(old_conn);
    close(new_conn);
    close(listener);
}

/* ---- 4. fork: the child gets -6 at once and can exec; the parent keeps working ---------------- */

static counter g_fork_echo;

static void fork_receive(void *ud, const ns_tcp_session *s, const uint8_t *d, size_t n) {
    (void)ud;
    (void)s;
    (void)d;
    (void)n;
    counter_bump(&g_fork_echo);
}

static void fork_child_and_exec(void) {
    begin("fork");
    counter_init(&g_fork_echo);
    uint16_t port = 0;
    ns_tcp_server *server = echo_server(&port);
    ns_tcp_client *client = ns_tcp_client_new();
    ns_tcp_client_set_receive_callback(client, fork_receive, NULL, NULL);
    CHECK(ns_tcp_client_start_wait(client, "127.0.0.1", port) == NS_OK);

    pid_t pid = fork();
    if (pid == 0) {
        alarm(20);
        int code = 0;
        if (ns_tcp_client_send(client, (const uint8_t *)"x", 1) != NS_ERR_NOT_INITIALIZED) code = 10;
        else if (ns_tcp_server_stop(server) != NS_ERR_NOT_INITIALIZED) code = 11;
        else if (ns_tcp_client_new() != NULL) code = 12;
        else if (ns_runtime_init() != NS_ERR_NOT_INITIALIZED) code = 13;
        else if (strstr(ns_last_error_message(), "fork") == NULL) code = 14;
        if (code != 0) _exit(code);
        ns_tcp_client_free(client); /* returns at once (the object is abandoned, not freed) */
        ns_tcp_server_free(server);
        execl("/bin/sh", "sh", "-c", "exit 42", (char *)NULL);
        _exit(15);
    }
    CHECK(pid > 0);
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    if (WIFEXITED(status)) {
        if (WEXITSTATUS(status) != 42) fprintf(stderr, "fork child exit code %d\n", WEXITSTATUS(status));
        CHECK(WEXITSTATUS(status) == 42);
    } else if (WIFSIGNALED(status)) {
        fprintf(stderr, "fork child died of signal %d\n", WTERMSIG(status));
    }
    /* The parent's objects keep working. */
    CHECK(ns_tcp_client_send(client, (const uint8_t *)"after fork", 10) == NS_OK);
    CHECK(counter_wait(&g_fork_echo, 1, 20));
    ns_tcp_client_free(client);
    ns_tcp_server_free(server);
}

/* ---- 5. free of A from a callback of B: no callback of A runs after free returns ------------- */

static ns_tcp_server *g_a;
static counter g_a_entered;
static counter g_a_release;
static atomic_int g_a_done = 0;
static atomic_int g_a_freed = 0;
static atomic_int g_a_late_calls = 0;
static atomic_int g_done_seen_by_free = -1;
static counter g_b_done;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void a_receive(void *ud, const ns_tcp_session *s, const uint8_t *d, size_t n) {
    (void)ud;
    (void)s;
    (void)d;
    (void)n;
    if (atomic_load(&g_a_freed)) atomic_fetch_add(&g_a_late_calls, 1);
    counter_bump(&g_a_entered);
    counter_wait(&g_a_release, 1, 20);
    /* Still running for a while after B started freeing A (work, not synchronisation). */
    const struct timespec busy = {0, 50 * 1000 * 1000};
    nanosleep(&busy, NULL);
    atomic_store(&g_a_done, 1);
}

static void a_disconnected(void *ud, const ns_tcp_session *s) {
    (void)ud;
    (void)s;
    if (atomic_load(&g_a_freed)) atomic_fetch_add(&g_a_late_calls, 1);
}

static void b_receive(void *ud, const ns_tcp_session *s, const uint8_t *d, size_t n) {
    (void)ud;
    (void)s;
    (void)d;
    (void)n;
    counter_bump(&g_a_release);
    double t0 = now_ms();
    ns_tcp_server_free(g_a);
    if (getenv("NS_DEBUG")) fprintf(stderr, "free took %.1f ms, done=%d\n", now_ms() - t0, atomic_load(&g_a_done));
    atomic_store(&g_done_seen_by_free, atomic_load(&g_a_done));
    atomic_store(&g_a_freed, 1);
    counter_bump(&g_b_done);
}

static void free_from_other_callback(void) {
    begin("free of A from a callback of B");
    counter_init(&g_a_entered);
    counter_init(&g_a_release);
    counter_init(&g_b_done);
    uint16_t port_a = 0, port_b = 0;
    g_a = echo_server(&port_a);
    ns_tcp_server_set_receive_callback(g_a, a_receive, NULL, NULL);
    ns_tcp_server_set_disconnection_callback(g_a, a_disconnected, NULL, NULL);
    ns_tcp_server *b = echo_server(&port_b);
    ns_tcp_server_set_receive_callback(b, b_receive, NULL, NULL);

    ns_tcp_client *to_a = ns_tcp_client_new();
    ns_tcp_client *to_b = ns_tcp_client_new();
    CHECK(ns_tcp_client_start_wait(to_a, "127.0.0.1", port_a) == NS_OK);
    CHECK(ns_tcp_client_start_wait(to_b, "127.0.0.1", port_b) == NS_OK);
    CHECK(ns_tcp_client_send(to_a, (const uint8_t *)"a", 1) == NS_OK);
    CHECK(counter_wait(&g_a_entered, 1, 20)); /* A's callback is running now */
    CHECK(ns_tcp_client_send(to_b, (const uint8_t *)"b", 1) == NS_OK);
    CHECK(counter_wait(&g_b_done, 1, 30));
    CHECK(atomic_load(&g_done_seen_by_free) == 1); /* free waited for A's running callback */
    ns_tcp_client_free(to_a);
    ns_tcp_client_free(to_b);
    ns_tcp_server_free(b);
    CHECK(atomic_load(&g_a_late_calls) == 0);
}

/* ---- 6. a raw send too large to allocate ----------------------------------------------------- */

static counter g_big_echo;

static void big_receive(void *ud, const ns_tcp_session *s, const uint8_t *d, size_t n) {
    (void)ud;
    (void)s;
    if (n >= 1 && d[n - 1] == '.') counter_bump(&g_big_echo);
}

static void huge_raw_send(void) {
    begin("raw send too large to allocate");
    counter_init(&g_big_echo);
    const size_t huge = (size_t)1 << 45; /* 32 TiB: address space only, never touched */
    void *p = mmap(NULL, huge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        printf("SKIPPED raw send too large to allocate: cannot reserve 32 TiB of address space (%s)\n",
               strerror(errno));
        return;
    }
    uint16_t port = 0;
    ns_tcp_server *server = echo_server(&port);
    ns_tcp_client *client = ns_tcp_client_new();
    ns_tcp_client_set_receive_callback(client, big_receive, NULL, NULL);
    CHECK(ns_tcp_client_start_wait(client, "127.0.0.1", port) == NS_OK);
    CHECK(ns_tcp_client_send(client, p, huge) == NS_ERR_OUT_OF_MEMORY);
    CHECK(ns_tcp_client_send(client, (const uint8_t *)"still here.", 11) == NS_OK);
    CHECK(counter_wait(&g_big_echo, 1, 20));
    ns_tcp_client_free(client);
    ns_tcp_server_free(server);
    munmap(p, huge);
}

int main(int argc, char **argv) {
    signal(SIGALRM, watchdog);
    int iterations = argc > 1 ? atoi(argv[1]) : 1000;
    CHECK(ns_runtime_configure(4) == NS_OK); /* scenario 3 needs two callbacks at once */
    /* argv[2] (optional) runs one scenario: 1…6. */
    void (*scenarios[])(void) = {wait_for_stop_in_callback, restart_from_callback,
                                 fork_child_and_exec, free_from_other_callback, huge_raw_send};
    int only = argc > 2 ? atoi(argv[2]) : 0;
    if (only == 0 || only == 1) stop_wait_free_race(iterations);
    for (int i = 0; i < 5; ++i)
        if (only == 0 || only == i + 2) scenarios[i]();
    alarm(0);
    printf("%d passed, %d failed\n", checks - failures, failures);
    return failures == 0 ? 0 : 1;
}

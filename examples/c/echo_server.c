/* C echo server: echoes every byte back. Usage: echo_server [port] (0 = any). Enter stops it. */
#include <network_system.h>

#include <stdio.h>
#include <stdlib.h>

static void on_receive(void *user_data, const ns_tcp_session *session, const uint8_t *data, size_t len) {
    (void)user_data;
    ns_result r = ns_tcp_session_send(session, data, len);
    if (r != NS_OK) fprintf(stderr, "send: %s (%s)\n", ns_last_error_message(), ns_error_name(r));
}

static void on_connect(void *user_data, const ns_tcp_session *session) {
    char ip[64];
    uint16_t port = 0;
    (void)user_data;
    if (ns_tcp_session_remote_endpoint(session, ip, sizeof ip, &port) == NS_OK)
        printf("session %llu from %s:%u\n", (unsigned long long)ns_tcp_session_id(session), ip, port);
}

int main(int argc, char **argv) {
    uint16_t port = (uint16_t)(argc > 1 ? atoi(argv[1]) : 9000);
    ns_tcp_server *server = ns_tcp_server_new();
    ns_tcp_server_set_bind_address(server, "127.0.0.1"); /* "0.0.0.0" accepts other machines */
    ns_tcp_server_set_connection_callback(server, on_connect, NULL, NULL);
    ns_tcp_server_set_receive_callback(server, on_receive, NULL, NULL);
    ns_result r = ns_tcp_server_start(server, port);
    if (r != NS_OK) {
        fprintf(stderr, "start: %s (%s %d)\n", ns_last_error_message(), ns_error_name(r), r);
        ns_tcp_server_free(server);
        return 1;
    }
    ns_tcp_server_port(server, &port);
    printf("echo server on port %u; press Enter to stop\n", port);
    fflush(stdout);
    (void)getchar();
    ns_tcp_server_free(server);
    return 0;
}

/* HTTP through the C ABI. Server: POST /echo answers "echo: " and the body (press Enter to
 * stop). Client: POSTs the message and prints the answer.
 * Usage: c_http_echo server [port] | c_http_echo client host port message */
#include <network_system.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int32_t echo(void* user_data, const ns_http_request* request, ns_http_response* response) {
    (void)user_data;
    ns_http_str body = ns_http_request_body(request);
    size_t len = 6 + body.len;
    char* out = malloc(len);
    if (!out) return 1; /* answered 500 */
    memcpy(out, "echo: ", 6);
    if (body.len) memcpy(out + 6, body.data, body.len);
    ns_http_response_set_header(response, "Content-Type", "text/plain");
    ns_http_response_set_body(response, (const uint8_t*)out, len); /* copied */
    free(out);
    return 0;
}

static int run_server(unsigned short port) {
    ns_http_server* server = ns_http_server_new();
    uint16_t bound = 0;
    if (!server || ns_http_server_set_bind_address(server, "127.0.0.1") != NS_OK ||
        ns_http_server_route(server, "POST", "/echo", echo, NULL, NULL) != NS_OK ||
        ns_http_server_start(server, port) != NS_OK || ns_http_server_port(server, &bound) != NS_OK) {
        fprintf(stderr, "server: %s\n", ns_last_error_message());
        ns_http_server_free(server);
        return 1;
    }
    printf("c http server on port %u; press Enter to stop\n", bound);
    fflush(stdout);
    (void)getchar();
    ns_http_server_free(server); /* stops first */
    return 0;
}

static int run_client(const char* host, const char* port, const char* message) {
    char url[512];
    snprintf(url, sizeof url, "http://%s:%s/echo", host, port);
    ns_http_client* client = ns_http_client_new(5000);
    ns_http_pair headers[] = {{"Content-Type", "text/plain"}};
    ns_http_response* response = NULL;
    ns_result r = ns_http_client_request(client, "POST", url, NULL, 0, headers, 1, (const uint8_t*)message,
                                         strlen(message), &response);
    if (r != NS_OK) {
        fprintf(stderr, "client: %s (%d)\n", ns_last_error_message(), r);
        ns_http_client_free(client);
        return 1;
    }
    ns_http_str body = ns_http_response_body(response);
    int status = ns_http_response_status(response);
    if (status == 200) printf("%.*s\n", (int)body.len, body.data);
    ns_http_response_free(response);
    ns_http_client_free(client);
    return status == 200 ? 0 : 1;
}

int main(int argc, char** argv) {
    if (argc >= 2 && strcmp(argv[1], "server") == 0) return run_server((unsigned short)(argc > 2 ? atoi(argv[2]) : 8080));
    if (argc >= 5 && strcmp(argv[1], "client") == 0) return run_client(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: %s server [port] | %s client host port message\n", argv[0], argv[0]);
    return 2;
}

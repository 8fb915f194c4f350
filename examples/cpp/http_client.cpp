// An HTTP client with the original's API: POSTs the message to http://host:port/echo and prints
// the answer. Usage: http_client host port message
#include <kcenon/network/internal/http/http_client.h>

#include <chrono>
#include <cstdio>
#include <string>

int main(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: %s host port message\n", argv[0]);
        return 2;
    }
    kcenon::network::core::http_client client(std::chrono::milliseconds(5000));
    const std::string url = std::string("http://") + argv[1] + ":" + argv[2] + "/echo";
    auto resp = client.post(url, std::string(argv[3]), {{"Content-Type", "text/plain"}});
    if (resp.is_err()) {
        std::fprintf(stderr, "%s (%d)\n", resp.error().message.c_str(), resp.error().code);
        return 1;
    }
    if (resp.value().status_code != 200) {
        std::fprintf(stderr, "status %d\n", resp.value().status_code);
        return 1;
    }
    std::printf("%s\n", resp.value().get_body_string().c_str());
    return 0;
}

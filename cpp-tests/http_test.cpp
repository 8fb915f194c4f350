// HTTP server and client (http_server / http_client, the original's API) on loopback: every
// server feature through our client and through raw sockets (responses checked byte for byte,
// the Date value masked), limits and bad input, keep-alive, graceful stop, HTTP/2 (h2c and
// ALPN over TLS), https verification, client errors and the asynchronous client.
#include <gtest/gtest.h>

#include <kcenon/network/internal/http/http_client.h>
#include <kcenon/network/internal/http/http_server.h>

#include <cstdlib>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "posix_util.h"
#include "test_util.h"

using namespace kcenon::network;
using core::http_request_context;
using internal::http_response;

namespace {

std::string cert(const std::string& name) {
    const char* d = std::getenv("NS_TEST_CERTS");
    return std::string(d ? d : "") + "/" + name;
}

http_response text(const std::string& body, int status = 200) {
    http_response r;
    r.status_code = status;
    r.set_body_string(body);
    r.set_header("Content-Type", "text/plain");
    return r;
}

/// A server on 127.0.0.1, port 0, with the given setup; started.
std::shared_ptr<core::http_server> serve(const std::function<void(core::http_server&)>& setup) {
    auto s = std::make_shared<core::http_server>("test");
    s->set_bind_address("127.0.0.1");
    setup(*s);
    auto r = s->start(0);
    EXPECT_TRUE(r.is_ok()) << (r.is_err() ? r.error().message : "");
    return s;
}

std::string url(const core::http_server& s, const std::string& path, const std::string& scheme = "http",
                const std::string& host = "127.0.0.1") {
    return scheme + "://" + host + ":" + std::to_string(s.port()) + path;
}

std::string to_string(const test::bytes& b) { return std::string(b.begin(), b.end()); }

/// A raw TCP connection speaking HTTP/1.1 by hand.
class raw_conn {
public:
    explicit raw_conn(unsigned short port) : fd_(test::posix::connect_loopback(port)) {}
    bool ok() const { return fd_.get() >= 0; }
    int fd() const { return fd_.get(); }
    bool send(const std::string& s) { return test::posix::write_all(fd_.get(), test::bytes(s.begin(), s.end())); }

    /// One response: head up to the blank line, then a Content-Length or chunked body, as
    /// received (chunk framing included). Empty on EOF/timeout before a whole head.
    std::string read_response(bool head_request = false) {
        std::string out;
        std::size_t end;
        while ((end = buffer_.find("\r\n\r\n")) == std::string::npos)
            if (!fill()) return {};
        out = buffer_.substr(0, end + 4);
        buffer_.erase(0, end + 4);
        const std::string lower = lowercase(out);
        if (head_request) return out;
        auto cl = lower.find("\r\ncontent-length: ");
        if (cl != std::string::npos) {
            const std::size_t n = std::stoul(lower.substr(cl + 18));
            while (buffer_.size() < n)
                if (!fill()) return {};
            out += buffer_.substr(0, n);
            buffer_.erase(0, n);
        } else if (lower.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
            for (;;) {
                std::size_t line;
                while ((line = buffer_.find("\r\n")) == std::string::npos)
                    if (!fill()) return {};
                const std::size_t size = std::stoul(buffer_.substr(0, line), nullptr, 16);
                const std::size_t whole = line + 2 + size + 2;
                while (buffer_.size() < whole)
                    if (!fill()) return {};
                out += buffer_.substr(0, whole);
                buffer_.erase(0, whole);
                if (size == 0) break;
            }
        }
        return out;
    }
    /// Everything until the server closes (empty string and false on timeout).
    bool read_to_close(std::string& out) {
        out = buffer_;
        buffer_.clear();
        char buf[65536];
        for (;;) {
            if (!test::posix::wait_readable(fd_.get())) return false;
            const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
            if (n <= 0) return true;
            out.append(buf, static_cast<std::size_t>(n));
        }
    }
    static std::string lowercase(std::string s) {
        for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    }

private:
    bool fill() {
        char buf[65536];
        if (!test::posix::wait_readable(fd_.get())) return false;
        const ssize_t n = ::read(fd_.get(), buf, sizeof buf);
        if (n <= 0) return false;
        buffer_.append(buf, static_cast<std::size_t>(n));
        return true;
    }
    test::posix::fd_guard fd_;
    std::string buffer_;
};

/// The Date header's value replaced by "*" (it is the only part that changes).
std::string masked(std::string r) {
    auto d = r.find("\r\nDate: ");
    if (d != std::string::npos) {
        auto e = r.find("\r\n", d + 2);
        r.replace(d + 8, e - (d + 8), "*");
    }
    return r;
}

/// One request on a fresh connection that the request closes; the whole answer.
std::string exchange(unsigned short port, const std::string& request) {
    raw_conn c(port);
    EXPECT_TRUE(c.ok());
    c.send(request);
    std::string out;
    EXPECT_TRUE(c.read_to_close(out)) << "server did not close";
    return masked(out);
}

/// The body of a chunked message body.
std::string dechunk(const std::string& body) {
    std::string out;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t line = body.find("\r\n", pos);
        const std::size_t size = std::stoul(body.substr(pos, line - pos), nullptr, 16);
        if (size == 0) return out;
        out += body.substr(line + 2, size);
        pos = line + 2 + size + 2;
    }
}

std::string body_of(const std::string& response) { return response.substr(response.find("\r\n\r\n") + 4); }

}  // namespace

// The snippet, with port 0 instead of 8080.
TEST(Http, OriginalSnippet) {
    auto server = std::make_shared<kcenon::network::core::http_server>("api");
    server->get("/users/:id", [](const kcenon::network::core::http_request_context& ctx) {
        kcenon::network::internal::http_response r;
        r.status_code = 200;
        r.set_body_string("User ID: " + ctx.get_path_param("id").value_or("?") + " verbose=" +
                          ctx.get_query_param("verbose").value_or("-"));
        r.set_header("Content-Type", "text/plain");
        return r;
    });
    server->set_bind_address("127.0.0.1");
    ASSERT_TRUE(server->start(0).is_ok());
    kcenon::network::core::http_client client(std::chrono::milliseconds(5000));
    auto resp = client.get(url(*server, "/users/42"), {{"verbose", "1"}});
    ASSERT_TRUE(resp.is_ok()) << resp.error().message;
    EXPECT_EQ(resp.value().status_code, 200);
    EXPECT_EQ(resp.value().status_message, "OK");
    EXPECT_EQ(resp.value().get_body_string(), "User ID: 42 verbose=1");
    EXPECT_EQ(resp.value().get_header("Content-Type").value_or(""), "text/plain");
    EXPECT_EQ(exchange(server->port(), "GET /users/42?verbose=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 21\r\nDate: *\r\n\r\n"
              "User ID: 42 verbose=1");
    EXPECT_TRUE(server->stop().is_ok());
}

TEST(Http, EveryMethodRoutedInRegistrationOrder) {
    auto server = serve([](core::http_server& s) {
        auto echo = [](const char* tag) {
            return [tag](const http_request_context& ctx) {
                return text(std::string(tag) + " " + internal::http_method_to_string(ctx.request.method) + " id=" +
                            ctx.get_path_param("id").value_or("") + " body=" + ctx.request.get_body_string());
            };
        };
        s.get("/items/:id", echo("a"));
        s.get("/items/special", echo("never"));  // registered after the pattern that matches it
        s.post("/items/:id", echo("b"));
        s.put("/items/:id", echo("c"));
        s.del("/items/:id", echo("d"));
        s.patch("/items/:id", echo("e"));
        s.options("/items/:id", echo("f"));
        s.head("/only-head", echo("g"));
        s.get("/files/:name.txt", echo("h"));
    });
    core::http_client client;
    auto u = url(*server, "/items/7");
    EXPECT_EQ(client.get(url(*server, "/items/special")).value().get_body_string(), "a GET id=special body=");
    EXPECT_EQ(client.post(u, std::string("p")).value().get_body_string(), "b POST id=7 body=p");
    EXPECT_EQ(client.post(u, std::vector<uint8_t>{'v'}).value().get_body_string(), "b POST id=7 body=v");
    EXPECT_EQ(client.put(u, "q").value().get_body_string(), "c PUT id=7 body=q");
    EXPECT_EQ(client.del(u).value().get_body_string(), "d DELETE id=7 body=");
    EXPECT_EQ(client.patch(u, "r").value().get_body_string(), "e PATCH id=7 body=r");
    EXPECT_EQ(client.request("OPTIONS", u, {}, {}, nullptr, 0).value().get_body_string(), "f OPTIONS id=7 body=");
    EXPECT_EQ(client.get(url(*server, "/files/a.b.txt")).value().get_body_string(), "h GET id= body=");
    EXPECT_EQ(client.get(url(*server, "/items/a%20b")).value().get_body_string(), "a GET id=a b body=");
    // HEAD: the explicit HEAD route, or the GET route without its body.
    auto h = client.head(u);
    ASSERT_TRUE(h.is_ok());
    EXPECT_EQ(h.value().status_code, 200);
    EXPECT_TRUE(h.value().body.empty());
    EXPECT_EQ(h.value().get_header("content-length").value_or(""), "17");
    raw_conn c(server->port());
    c.send("HEAD /only-head HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(masked(c.read_response(true)),
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 16\r\nDate: *\r\n\r\n");
    // A known path with another method: 405 and Allow; an unknown path: 404.
    c.send("TRACE /items/7 HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(masked(c.read_response()),
              "HTTP/1.1 405 Method Not Allowed\r\nContent-Type: text/plain; charset=utf-8\r\nAllow: GET, POST, PUT, DELETE, "
              "PATCH, OPTIONS\r\nContent-Length: 57\r\nDate: *\r\n\r\n405 Method Not Allowed\nTRACE is not allowed for /items/7\n");
    EXPECT_EQ(client.get(url(*server, "/items")).value().status_code, 404);
    // A pattern that does not compile is refused.
    EXPECT_EQ(server->route("GET", "no-slash", [](const http_request_context&) { return text(""); }).error().code, -1);
}

TEST(Http, QueryFormAndCookies) {
    test::watched<std::map<std::string, std::string>> seen;
    auto server = serve([&](core::http_server& s) {
        s.get("/q", [&](const http_request_context& ctx) {
            seen.update([&](auto& m) { m = ctx.request.query_params; });
            return text(ctx.get_query_param("name").value_or("?"));
        });
        s.post("/form", [&](const http_request_context& ctx) {
            seen.update([&](auto& m) { m = ctx.request.form_data; });
            return text(ctx.request.form_data.count("b") ? ctx.request.form_data.at("b") : "?");
        });
        s.get("/cookies", [&](const http_request_context& ctx) {
            seen.update([&](auto& m) { m = ctx.request.cookies; });
            auto r = text("c");
            r.set_cookie("sid", "abc", "/", 3600, true, false, "Lax");
            r.set_cookie("theme", "dark", "/app", -1, false, true);
            return r;
        });
    });
    core::http_client client;
    EXPECT_EQ(client.get(url(*server, "/q?x=1"), {{"name", "a b&c"}}).value().get_body_string(), "a b&c");
    EXPECT_EQ(seen.get(), (std::map<std::string, std::string>{{"x", "1"}, {"name", "a b&c"}}));

    EXPECT_EQ(client.post(url(*server, "/form"), std::string("a=1&b=two+words%21"),
                          {{"Content-Type", "application/x-www-form-urlencoded"}})
                  .value()
                  .get_body_string(),
              "two words!");
    EXPECT_EQ(seen.get(), (std::map<std::string, std::string>{{"a", "1"}, {"b", "two words!"}}));

    const std::string resp = exchange(server->port(), "GET /cookies HTTP/1.1\r\nHost: x\r\nCookie: a=1; b=x%20y\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(resp,
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: sid=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax\r\n"
              "Set-Cookie: theme=dark; Path=/app; Secure\r\nConnection: close\r\nContent-Length: 1\r\nDate: *\r\n\r\nc");
    EXPECT_EQ(seen.get(), (std::map<std::string, std::string>{{"a", "1"}, {"b", "x y"}}));
    // Our client keeps every Set-Cookie, one per line.
    EXPECT_EQ(client.get(url(*server, "/cookies")).value().get_header("set-cookie").value_or(""),
              "sid=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax\ntheme=dark; Path=/app; Secure");
}

TEST(Http, MultipartWithTwoFiles) {
    test::watched<std::vector<internal::multipart_file>> files;
    test::watched<std::map<std::string, std::string>> form;
    auto server = serve([&](core::http_server& s) {
        s.post("/upload", [&](const http_request_context& ctx) {
            files.update([&](auto& v) {
                for (const auto& [name, f] : ctx.request.files) v.push_back(f);
            });
            form.update([&](auto& m) { m = ctx.request.form_data; });
            return text(std::to_string(ctx.request.files.size()) + " files");
        });
    });
    std::mt19937 rng(7);
    const test::bytes one = test::random_bytes(100000, rng), two = test::random_bytes(3, rng);
    const std::string boundary = "XyZ-boundary-123";
    std::string body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n";
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"first\"; filename=\"one.bin\"\r\n" +
            "Content-Type: application/octet-stream\r\n\r\n" + to_string(one) + "\r\n";
    body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"second\"; filename=\"two.txt\"\r\n" +
            "Content-Type: text/plain\r\n\r\n" + to_string(two) + "\r\n--" + boundary + "--\r\n";
    const std::string resp = exchange(server->port(), "POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                                      "Content-Type: multipart/form-data; boundary=" + boundary +
                                                          "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
    EXPECT_EQ(body_of(resp), "2 files");
    auto got = files.get();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].field_name, "first");
    EXPECT_EQ(got[0].filename, "one.bin");
    EXPECT_EQ(got[0].content_type, "application/octet-stream");
    EXPECT_EQ(got[0].content, one);
    EXPECT_EQ(got[1].field_name, "second");
    EXPECT_EQ(got[1].filename, "two.txt");
    EXPECT_EQ(got[1].content_type, "text/plain");
    EXPECT_EQ(got[1].content, two);
    EXPECT_EQ(form.get(), (std::map<std::string, std::string>{{"title", "hello"}}));
    // A malformed multipart body is a 400; the connection stays usable.
    raw_conn c(server->port());
    c.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 5\r\n\r\nxxxxx");
    EXPECT_EQ(c.read_response().substr(0, 25), "HTTP/1.1 400 Bad Request\r");
}

TEST(Http, ChunkedUploadOf8MiBAndChunkedResponse) {
    auto server = serve([](core::http_server& s) {
        s.post("/echo", [](const http_request_context& ctx) {
            http_response r;
            r.body = ctx.request.body;
            r.use_chunked_encoding = true;
            return r;
        });
    });
    std::mt19937 rng(11);
    const test::bytes data = test::random_bytes(8 * 1024 * 1024, rng);
    raw_conn c(server->port());
    ASSERT_TRUE(c.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
    // Chunks of uneven sizes, written from another thread while the response is read.
    std::thread writer([&] {
        std::size_t pos = 0, n = 1;
        while (pos < data.size()) {
            const std::size_t len = std::min(data.size() - pos, (n * 7919) % 300000 + 1);
            char size[32];
            std::snprintf(size, sizeof size, "%zx\r\n", len);
            std::string chunk = size + std::string(data.begin() + static_cast<long>(pos), data.begin() + static_cast<long>(pos + len)) + "\r\n";
            if (!c.send(chunk)) return;
            pos += len;
            ++n;
        }
        c.send("0\r\n\r\n");
    });
    const std::string resp = c.read_response();
    writer.join();
    ASSERT_EQ(resp.substr(0, 17), "HTTP/1.1 200 OK\r\n");
    EXPECT_NE(resp.find("\r\nTransfer-Encoding: chunked\r\n"), std::string::npos);
    EXPECT_TRUE(dechunk(body_of(resp)) == to_string(data)) << "8 MiB echoed byte for byte";
    // Our client decodes the chunked response.
    core::http_client client;
    auto r = client.post(url(*server, "/echo"), data);
    ASSERT_TRUE(r.is_ok());
    EXPECT_TRUE(r.value().body == data);
}

TEST(Http, NotFoundAndErrorHandlersAndJson) {
    auto server = serve([](core::http_server& s) {
        s.get("/boom", [](const http_request_context&) -> http_response { throw std::runtime_error("boom"); });
        s.set_error_handler(internal::http_error_code::internal_server_error, [](const internal::http_error& e) {
            return text("custom 500: " + e.detail + " [" + e.request_id + "]", e.status_code());
        });
    });
    core::http_client client;
    auto r = client.get(url(*server, "/boom"));
    EXPECT_EQ(r.value().status_code, 500);
    EXPECT_EQ(r.value().get_body_string(), "custom 500: the handler returned 1 [GET /boom]");
    // The server keeps serving after a throwing handler; the default 404 is text.
    EXPECT_EQ(exchange(server->port(), "GET /none HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
              "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 37\r\n"
              "Date: *\r\n\r\n404 Not Found\nno route for GET /none\n");

    // JSON errors, a default error handler, then a not-found handler.
    auto json = serve([](core::http_server& s) {
        s.set_json_error_responses(true);
        s.get("/x", [](const http_request_context&) { return text("x"); });
    });
    EXPECT_EQ(exchange(json->port(), "GET /none HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
              "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 80\r\nDate: *\r\n\r\n"
              "{\"error\":{\"status\":404,\"message\":\"Not Found\",\"detail\":\"no route for GET /none\"}}");
    json->set_default_error_handler([](const internal::http_error& e) { return text("default " + std::to_string(e.status_code()), e.status_code()); });
    EXPECT_EQ(client.get(url(*json, "/none")).value().get_body_string(), "default 404");
    json->set_not_found_handler([](const http_request_context& ctx) { return text("nothing at " + ctx.request.uri, 404); });
    auto nf = client.get(url(*json, "/none?a=1"));
    EXPECT_EQ(nf.value().status_code, 404);
    EXPECT_EQ(nf.value().get_body_string(), "nothing at /none?a=1");
    // The failure handler (set_error_handler with an http_handler) answers a throwing handler.
    json->get("/throws", [](const http_request_context&) -> http_response { throw 42; });
    json->set_error_handler([](const http_request_context& ctx) { return text("failed: " + ctx.request.uri, 503); });
    auto f = client.get(url(*json, "/throws"));
    EXPECT_EQ(f.value().status_code, 503);
    EXPECT_EQ(f.value().get_body_string(), "failed: /throws");
    // A custom reason phrase goes out as given.
    json->get("/teapot", [](const http_request_context&) {
        auto r = text("short and stout", 418);
        r.status_message = "I'm a teapot";
        return r;
    });
    EXPECT_EQ(exchange(json->port(), "GET /teapot HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").substr(0, 30),
              "HTTP/1.1 418 I'm a teapot\r\nCon");
}

TEST(Http, CompressionAboveThreshold) {
    const std::string big(5000, 'z'), small = "tiny";
    auto server = serve([&](core::http_server& s) {
        s.set_compression_enabled(true);
        s.set_compression_threshold(1000);
        s.get("/big", [&](const http_request_context&) { return text(big); });
        s.get("/small", [&](const http_request_context&) { return text(small); });
    });
    raw_conn c(server->port());
    c.send("GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip, deflate\r\n\r\n");
    std::string r = c.read_response();
    EXPECT_NE(r.find("\r\nContent-Encoding: gzip\r\n"), std::string::npos) << r.substr(0, 200);
    EXPECT_NE(r.find("\r\nVary: Accept-Encoding\r\n"), std::string::npos);
    EXPECT_LT(body_of(r).size(), 200u);
    EXPECT_EQ(body_of(r).substr(0, 2), "\x1f\x8b") << "gzip magic";
    c.send("GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: deflate\r\n\r\n");
    r = c.read_response();
    EXPECT_NE(r.find("\r\nContent-Encoding: deflate\r\n"), std::string::npos);
    c.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(body_of(c.read_response()), big) << "no Accept-Encoding: identity";
    c.send("GET /small HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
    r = c.read_response();
    EXPECT_EQ(r.find("Content-Encoding"), std::string::npos) << "below the threshold";
    EXPECT_EQ(body_of(r), small);
    // Our client asks for gzip and decodes it.
    core::http_client client;
    auto got = client.get(url(*server, "/big"));
    ASSERT_TRUE(got.is_ok());
    EXPECT_EQ(got.value().get_body_string(), big);
    EXPECT_FALSE(got.value().get_header("content-encoding").has_value());
    client.set_decompress(false);
    auto raw = client.get(url(*server, "/big"), {}, {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(raw.value().get_header("content-encoding").value_or(""), "gzip");
}

TEST(Http, RequestTimeoutCutsSlowHeadersAndAnswers408ForSlowBodies) {
    auto server = serve([](core::http_server& s) {
        s.set_request_timeout(std::chrono::milliseconds(300));
        s.post("/p", [](const http_request_context& ctx) { return text(ctx.request.get_body_string()); });
    });
    raw_conn slow_head(server->port());
    slow_head.send("GET / HTTP/1.1\r\nHost: x\r\nX-Never: ");
    std::string out;
    EXPECT_TRUE(slow_head.read_to_close(out)) << "a client that never finishes its headers is cut";
    raw_conn slow_body(server->port());
    slow_body.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    EXPECT_TRUE(slow_body.read_to_close(out));
    EXPECT_EQ(masked(out), "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
                           "Content-Length: 58\r\nDate: *\r\n\r\n408 Request Timeout\nthe body did not arrive within 300 ms\n");
    core::http_client client;
    EXPECT_EQ(client.post(url(*server, "/p"), std::string("fine")).value().get_body_string(), "fine");
}

TEST(Http, LimitsWhileOtherConnectionsKeepBeingServed) {
    auto server = serve([](core::http_server& s) {
        s.set_max_header_size(8192);
        s.set_max_body_size(1000);
        s.get("/", [](const http_request_context&) { return text("ok"); });
        s.post("/", [](const http_request_context& ctx) { return text(std::to_string(ctx.request.body.size())); });
    });
    raw_conn keep(server->port());
    auto served = [&] {
        keep.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        return body_of(keep.read_response()) == "ok";
    };
    ASSERT_TRUE(served());
    std::string out;
    raw_conn big_head(server->port());
    big_head.send("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
    EXPECT_TRUE(big_head.read_to_close(out));
    EXPECT_EQ(out.substr(0, 46), "HTTP/1.1 431 Request Header Fields Too Large\r\n");
    EXPECT_TRUE(served());
    raw_conn big_body(server->port());
    big_body.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
    EXPECT_TRUE(big_body.read_to_close(out));
    EXPECT_EQ(out.substr(0, 32), "HTTP/1.1 413 Payload Too Large\r\n");
    EXPECT_NE(out.find("\r\nConnection: close\r\n"), std::string::npos);
    raw_conn big_chunked(server->port());
    big_chunked.send("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string("7d0\r\n") + std::string(2000, 'b') + "\r\n");
    EXPECT_TRUE(big_chunked.read_to_close(out));
    EXPECT_EQ(out.substr(0, 32), "HTTP/1.1 413 Payload Too Large\r\n") << "a chunked body over the limit";
    EXPECT_TRUE(served());
    keep.send("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'c'));
    EXPECT_EQ(body_of(keep.read_response()), "1000");

    // Connections over the limit are answered 503.
    auto limited = serve([](core::http_server& s) {
        s.set_max_connections(1);
        s.get("/", [](const http_request_context&) { return text("ok"); });
    });
    raw_conn first(limited->port());
    first.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(body_of(first.read_response()), "ok");
    EXPECT_EQ(exchange(limited->port(), "GET / HTTP/1.1\r\nHost: x\r\n\r\n").substr(0, 41), "HTTP/1.1 503 Service Unavailable\r\nContent");
    EXPECT_EQ(limited->get_stats().connections_rejected, 1u);
}

TEST(Http, MalformedRequestsAnd400) {
    auto server = serve([](core::http_server& s) {
        s.get("/", [](const http_request_context&) { return text("ok"); });
        s.post("/", [](const http_request_context& ctx) { return text("body=" + ctx.request.get_body_string()); });
    });
    for (const char* bad : {"GARBAGE\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                            "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"}) {
        const std::string r = exchange(server->port(), bad);
        EXPECT_EQ(r.substr(0, 26), "HTTP/1.1 400 Bad Request\r\n") << bad;
    }
    // Content-Length with Transfer-Encoding: the chunked body is read, the length ignored, and
    // the connection closes after the answer, so a request smuggled behind is never served.
    const std::string r = exchange(server->port(),
                                   "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   "3\r\nabc\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(r, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 8\r\nDate: *\r\n\r\nbody=abc");
    EXPECT_EQ(core::http_client().get(url(*server, "/")).value().get_body_string(), "ok");
}

TEST(Http, ConnectionCloseAndKeepAlive) {
    auto server = serve([](core::http_server& s) {
        s.get("/n/:n", [](const http_request_context& ctx) { return text("n=" + ctx.get_path_param("n").value_or("")); });
    });
    for (int i = 0; i < 200; ++i) {
        const std::string n = std::to_string(i);
        ASSERT_EQ(exchange(server->port(), "GET /n/" + n + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
                  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: " + std::to_string(2 + n.size()) +
                      "\r\nDate: *\r\n\r\nn=" + n)
            << "request " << i;
    }
    raw_conn c(server->port());
    for (int i = 0; i < 1000; ++i) {
        const std::string n = std::to_string(i);
        ASSERT_TRUE(c.send("GET /n/" + n + " HTTP/1.1\r\nHost: x\r\n\r\n"));
        ASSERT_EQ(masked(c.read_response()), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " +
                                                 std::to_string(2 + n.size()) + "\r\nDate: *\r\n\r\nn=" + n)
            << "keep-alive request " << i;
    }
    // HTTP/1.0 closes unless asked to keep alive.
    EXPECT_EQ(exchange(server->port(), "GET /n/x HTTP/1.0\r\n\r\n").substr(0, 17), "HTTP/1.0 200 OK\r\n");
    EXPECT_EQ(server->get_stats().messages_in, 1201u);
}

TEST(Http, StopDrainsRequestsInProgressAndWaitForStopBlocks) {
    std::promise<void> entered, release;
    auto released = release.get_future().share();
    auto server = serve([&](core::http_server& s) {
        s.set_blocking_handlers(true);
        s.get("/slow", [&](const http_request_context&) {
            entered.set_value();
            released.wait();
            return text("finished");
        });
    });
    raw_conn c(server->port());
    c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
    entered.get_future().wait();
    std::promise<void> waited;
    std::thread waiter([&] {
        server->wait_for_stop();
        waited.set_value();
    });
    const unsigned short port = server->port();
    auto stopped = std::async(std::launch::async, [&] { return server->stop(); });
    EXPECT_EQ(stopped.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout) << "stop waits for the handler";
    release.set_value();
    EXPECT_TRUE(stopped.get().is_ok());
    waited.get_future().wait();
    waiter.join();
    std::string out;
    EXPECT_TRUE(c.read_to_close(out));
    EXPECT_EQ(masked(out), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 8\r\nDate: *\r\n\r\nfinished")
        << "the request in progress got its whole answer";
    EXPECT_FALSE(server->is_running());
    EXPECT_EQ(test::posix::connect_loopback(port), -1);
    // It starts again.
    ASSERT_TRUE(server->start(0).is_ok());
    EXPECT_TRUE(server->is_running());
}

TEST(Http, Http2CleartextAndOverTlsWithVerification) {
    auto handler = [](const http_request_context& ctx) {
        return text(internal::http_version_to_string(ctx.request.version) + " " + ctx.request.get_body_string());
    };
    auto h2c = serve([&](core::http_server& s) { s.post("/v", handler); });
    core::http_client prior;
    prior.set_http2_prior_knowledge(true);
    auto r = prior.post(url(*h2c, "/v"), std::string("x"));
    ASSERT_TRUE(r.is_ok()) << r.error().message;
    EXPECT_EQ(r.value().get_body_string(), "HTTP/2.0 x");
    EXPECT_EQ(r.value().version, internal::http_version::HTTP_2_0);

    auto tls = serve([&](core::http_server& s) {
        core::tls_server_settings t;
        t.cert_file = cert("server.pem");
        t.key_file = cert("server.key");
        s.set_tls(t);
        s.post("/v", handler);
    });
    core::http_client client;
    core::tls_client_settings trust;
    trust.use_system_roots = false;
    trust.ca_file = cert("ca.pem");
    ASSERT_TRUE(client.set_tls(trust).is_ok());
    r = client.post(url(*tls, "/v", "https", "localhost"), std::string("y"));
    ASSERT_TRUE(r.is_ok()) << r.error().message;
    EXPECT_EQ(r.value().get_body_string(), "HTTP/2.0 y") << "h2 through ALPN";
    // HTTP/1.1 over TLS when only http/1.1 is offered.
    core::tls_client_settings h1 = trust;
    h1.alpn = {"http/1.1"};
    core::http_client h1_client;
    ASSERT_TRUE(h1_client.set_tls(h1).is_ok());
    EXPECT_EQ(h1_client.post(url(*tls, "/v", "https", "localhost"), std::string("z")).value().get_body_string(), "HTTP/1.1 z");
    // Verification is on by default: a server certificate from an unknown CA is refused.
    auto untrusted = serve([&](core::http_server& s) {
        core::tls_server_settings t;
        t.cert_file = cert("untrusted.pem");
        t.key_file = cert("untrusted.key");
        s.set_tls(t);
        s.post("/v", handler);
    });
    auto refused = client.post(url(*untrusted, "/v", "https", "localhost"), std::string("n"));
    ASSERT_TRUE(refused.is_err());
    EXPECT_TRUE(refused.error().code == -606 || refused.error().code == -605) << refused.error().code << " " << refused.error().message;
    core::http_client defaults;  // system roots only
    EXPECT_TRUE(defaults.get(url(*tls, "/v", "https", "localhost")).is_err());
}

TEST(Http, ClientErrors) {
    core::http_client client(std::chrono::milliseconds(3000));
    auto bad = client.get("not a url");
    ASSERT_TRUE(bad.is_err());
    EXPECT_EQ(bad.error().code, -1);
    EXPECT_NE(bad.error().message.find("not a url"), std::string::npos) << bad.error().message;
    EXPECT_EQ(client.get("ftp://127.0.0.1/").error().code, -1);
    EXPECT_EQ(core::http_url::parse("http:///x").error().code, -1);
    auto u = core::http_url::parse("https://[::1]:8443/a/b?x=1&y=%20");
    ASSERT_TRUE(u.is_ok());
    EXPECT_EQ(u.value().host, "::1");
    EXPECT_EQ(u.value().port, 8443);
    EXPECT_EQ(u.value().path, "/a/b");
    EXPECT_EQ(u.value().query, (std::map<std::string, std::string>{{"x", "1"}, {"y", " "}}));
    EXPECT_EQ(core::http_url::parse("http://h").value().port, 80);
    test::posix::refusing_tcp_port closed;
    EXPECT_EQ(client.get("http://127.0.0.1:" + std::to_string(closed.port()) + "/").error().code, -601);
    EXPECT_EQ(client.get("http://no-such-host.invalid/").error().code, -607);
    // No complete response in time → -4: a POSIX listener that accepts and never answers.
    test::posix::fd_guard listener(::socket(AF_INET, SOCK_STREAM, 0));
    auto addr = test::posix::loopback_addr(0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener.get(), 4), 0);
    ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
    client.set_timeout(std::chrono::milliseconds(200));
    EXPECT_EQ(client.get_timeout(), std::chrono::milliseconds(200));
    auto silent = client.get("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/");
    EXPECT_EQ(silent.error().code, -4) << silent.error().message;
}

TEST(Http, AsyncClientAndRedirects) {
    std::promise<void> hold;
    auto held = hold.get_future().share();
    auto server = serve([&](core::http_server& s) {
        s.set_blocking_handlers(true);  // /hold waits
        s.get("/a", [](const http_request_context&) { return text("async"); });
        s.get("/hold", [&](const http_request_context&) {
            held.wait();
            return text("held");
        });
        s.get("/moved", [](const http_request_context&) {
            auto r = text("", 302);
            r.set_header("Location", "/a");
            return r;
        });
    });
    core::http_client client;
    std::promise<Result<http_response>> done;
    ASSERT_TRUE(client.get_async(url(*server, "/a"), [&](Result<http_response> r) { done.set_value(std::move(r)); }).is_ok());
    auto r = done.get_future().get();
    ASSERT_TRUE(r.is_ok());
    EXPECT_EQ(r.value().get_body_string(), "async");
    // Redirects are off by default, then followed when enabled.
    EXPECT_EQ(client.get(url(*server, "/moved")).value().status_code, 302);
    client.set_follow_redirects(true);
    EXPECT_EQ(client.get(url(*server, "/moved")).value().get_body_string(), "async");
    // Destroying the client cancels a request in flight: its callback gets -5 first.
    test::watched<int> code;
    {
        core::http_client doomed;
        ASSERT_TRUE(doomed.get_async(url(*server, "/hold"), [&](Result<http_response> res) {
                              code.update([&](int& c) { c = res.is_err() ? res.error().code : 1; });
                          }).is_ok());
    }
    EXPECT_EQ(code.get(), -5);
    hold.set_value();
}

// The kernel's reading of an HTTP head (bpf/http_head_scan.bpf.h), compiled natively: what it
// finds decides which reads and writes the kernel leaves out, so a wrong end must not pass.
#include <catch2/catch.hpp>

#include <linux/types.h>

#include <cstdint>
#include <cstring>
#include <string>

// What the BPF build provides: bpf_loop() runs the step until it returns non-zero.
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif
template <typename Step, typename Context> long bpf_loop(uint32_t steps, Step step, Context* context, uint64_t)
{
    uint32_t i = 0;
    while (i < steps && !step(i, context))
        ++i;
    return i;
}

#include "http_head_scan.bpf.h"

namespace
{

// The event's data[] as the kernel holds it: 8-byte aligned, room for the masked reads past it.
struct Captured {
    alignas(8) __u8 data[HTTP_CAPTURE_MAX + 16] = {};
    __u32 size = 0;

    explicit Captured(const std::string& bytes)
    {
        size = static_cast<__u32>(std::min<size_t>(bytes.size(), HTTP_CAPTURE_MAX));
        std::memcpy(data, bytes.data(), size);
    }
};

// head_body_end() for a message that head_starts() accepts; -1 when it does not start one.
int64_t body_end(const std::string& bytes, uint32_t captured = UINT32_MAX)
{
    Captured c(bytes);
    c.size = std::min(c.size, captured);
    bool response = false;
    if (c.size < 16 || !head_starts(c.data, &response))
        return -1;
    head_scan scan{};
    return static_cast<int64_t>(head_body_end(c.data, c.size, response, &scan));
}

const std::string response_head = "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\n"
                                  "Content-Length: 200000\r\nConnection: keep-alive\r\n\r\n";

} // namespace

TEST_CASE("the kernel finds a body's end from the head's Content-Length", "[http_head_scan]")
{
    CHECK(body_end(response_head) == int64_t(response_head.size() + 200000));
    CHECK(body_end(response_head + "first body bytes") == int64_t(response_head.size() + 200000));
    const std::string post = "POST /upload HTTP/1.1\r\nHost: h\r\ncontent-length:  \t1000000 \r\n\r\n";
    CHECK(body_end(post) == int64_t(post.size() + 1000000));
    const std::string put = "PUT /x HTTP/1.1\r\nCONTENT-LENGTH: 7\r\n\r\n";
    CHECK(body_end(put) == int64_t(put.size() + 7));
}

TEST_CASE("the kernel leaves alone what it cannot be sure of", "[http_head_scan]")
{
    auto with = [](const std::string& lines) { return "HTTP/1.1 200 OK\r\n" + lines + "\r\n"; };
    CHECK(body_end(with("Transfer-Encoding: chunked\r\nContent-Length: 10\r\n")) == 0);
    CHECK(body_end(with("Content-Length: 10\r\ntransfer-encoding: chunked\r\n")) == 0);
    CHECK(body_end(with("Content-Length: 10\r\nContent-Length: 10\r\n")) == 0);
    CHECK(body_end(with("Content-Length: 0\r\n")) == 0);
    CHECK(body_end(with("Content-Length: 1x\r\n")) == 0);
    CHECK(body_end(with("Content-Length: 1 2\r\n")) == 0);
    CHECK(body_end(with("Content-Length: 1000000000\r\n")) == 0); // past what a sequence gap may span
    CHECK(body_end(with("Content-Length:\r\n")) == 0);
    CHECK(body_end(with("X-Content-Length: 10\r\n")) == 0);
    CHECK(body_end(with("Server: x\r\n")) == 0);
    CHECK(body_end("HTTP/1.1 200 OK\nContent-Length: 10\n\n") == 0); // bare LF
    CHECK(body_end("HTTP/1.1 200 OK\r\nContent-Length: 10\n\r\n") == 0);
    for (const char* status : {"100 Continue", "101 Switching Protocols", "204 No Content", "304 Not Modified"})
        CHECK(body_end(std::string("HTTP/1.1 ") + status + "\r\nContent-Length: 10\r\n\r\n") == 0);
    CHECK(body_end("HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\n\r\n") > 0);
    // The answer to a HEAD, with the next response right after it: neither is trusted.
    CHECK(body_end(response_head + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello") == 0);
}

TEST_CASE("a head cut anywhere before its end gives no body end", "[http_head_scan]")
{
    const int64_t whole = int64_t(response_head.size() + 200000);
    for (uint32_t cut = 16; cut <= response_head.size(); ++cut) {
        INFO("captured " << cut);
        CHECK(body_end(response_head, cut) == (cut == response_head.size() ? whole : 0));
    }
    // A head longer than the capture: never whole in it.
    CHECK(body_end("POST / HTTP/1.1\r\nContent-Length: 5\r\nCookie: " + std::string(2000, 'c') + "\r\n\r\n") == 0);
}

TEST_CASE("what starts a head, what needs no scan, what may go on", "[http_head_scan]")
{
    bool response = false;
    CHECK(head_starts(Captured("HTTP/1.0 200 OK\r\n\r\n").data, &response));
    CHECK(response);
    response = false;
    CHECK(head_starts(Captured("OPTIONS * HTTP/1.1\r\n").data, &response));
    CHECK_FALSE(response);
    CHECK_FALSE(head_starts(Captured("PROPFIND /a HTTP/1.1").data, &response)); // past 7 letters
    CHECK_FALSE(head_starts(Captured("GE\x16T / HTTP/1.1").data, &response));
    CHECK_FALSE(head_starts(Captured("\x16\x03\x01\x02\x00").data, &response)); // TLS
    CHECK(bodiless_request(Captured("GET / HTTP/1.1").data));
    CHECK(bodiless_request(Captured("HEAD / HTTP/1.1").data));
    CHECK_FALSE(bodiless_request(Captured("POST / HTTP/1.1").data));
    CHECK(answered_without_body(Captured("HEAD / HTTP/1.1").data));
    CHECK(answered_without_body(Captured("CONNECT h:443 HTTP/1.1").data));
    CHECK_FALSE(answered_without_body(Captured("GET / HTTP/1.1").data));
    CHECK(ends_with_head_end(Captured(response_head).data, Captured(response_head).size));
    CHECK_FALSE(ends_with_head_end(Captured(response_head + "x").data, Captured(response_head + "x").size));
}

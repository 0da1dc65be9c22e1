#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "http_parser.h"

using namespace connscope;

namespace
{

using Dir = DataDirection;

struct Write {
    Dir direction;
    std::string bytes;
};

// Feeds whole writes, each fully captured, one microsecond apart; then closes.
std::vector<Transaction> run(HttpStream& stream, const std::vector<Write>& writes, bool close = true)
{
    std::vector<Transaction> done;
    uint64_t ts = 1000;
    for (const Write& w : writes) {
        stream.feed({w.direction, w.bytes.size(), w.bytes, {}, ts, ts + 10}, done);
        ts += 1000;
    }
    if (close)
        stream.close(done);
    return done;
}

// A write as the kernel captures it: its first `prefix` bytes and its last 16 after them.
DataChunk captured(Dir direction, std::string_view bytes, uint64_t ts, size_t prefix = 512)
{
    const size_t head = std::min(bytes.size(), prefix);
    const size_t tail = std::min<size_t>(bytes.size() - head, 16);
    return {direction, bytes.size(), bytes.substr(0, head), bytes.substr(bytes.size() - tail), ts, ts};
}

std::vector<Transaction> run(const std::vector<Write>& writes, bool close = true)
{
    HttpStream stream;
    return run(stream, writes, close);
}

const std::string get1 = "GET /index.html?x=1 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: t\r\n\r\n";
const std::string resp1 = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello";
const std::string post2 = "POST /form HTTP/1.1\r\nHost: example.test\r\nContent-Length: 7\r\n\r\na=1&b=2";
const std::string chunked2 = "HTTP/1.1 201 Created\r\nTransfer-Encoding: "
                             "chunked\r\n\r\n4;ext=1\r\nabcd\r\nA\r\n0123456789\r\n0\r\nX-Trailer: y\r\n\r\n";
const std::string head3 = "HEAD /big HTTP/1.1\r\nHost: example.test\r\n\r\n";
const std::string head_resp3 = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
const std::string get4 = "GET /gone HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n";
const std::string resp4 = "HTTP/1.1 304 Not Modified\r\nETag: \"a\"\r\n\r\n";

const std::vector<Write> conversation{
    {Dir::sent, get1},  {Dir::received, resp1},      {Dir::sent, post2}, {Dir::received, chunked2},
    {Dir::sent, head3}, {Dir::received, head_resp3}, {Dir::sent, get4},  {Dir::received, resp4}};

void check_conversation(const std::vector<Transaction>& t)
{
    REQUIRE(t.size() == 4);
    CHECK(t[0].method == "GET");
    CHECK(t[0].target == "/index.html?x=1");
    CHECK(t[0].host == "example.test");
    CHECK(t[0].version == "HTTP/1.1");
    CHECK(t[0].status == 200);
    CHECK(t[0].req_bytes == get1.size());
    CHECK(t[0].resp_bytes == resp1.size());
    CHECK(t[0].keep_alive);
    CHECK(t[1].method == "POST");
    CHECK(t[1].status == 201);
    CHECK(t[1].req_bytes == post2.size());
    CHECK(t[1].resp_bytes == chunked2.size());
    CHECK(t[2].method == "HEAD");
    CHECK(t[2].status == 200);
    CHECK(t[2].resp_bytes == head_resp3.size());
    CHECK(t[3].status == 304);
    CHECK_FALSE(t[3].keep_alive);
    for (const Transaction& tx : t) {
        CHECK(tx.end == TransactionEnd::complete);
        CHECK_FALSE(tx.truncated);
    }
}

} // namespace

TEST_CASE("keep-alive exchange: Content-Length, chunked, HEAD, 304", "[http]")
{
    HttpStream stream;
    const auto t = run(stream, conversation, false);
    check_conversation(t);
    CHECK(stream.protocol() == Protocol::http1);
    CHECK(stream.client());
}

TEST_CASE("every message cut at every position gives the same transactions", "[http]")
{
    for (size_t message = 0; message < conversation.size(); ++message) {
        const std::string& bytes = conversation[message].bytes;
        for (size_t cut = 1; cut < bytes.size(); ++cut) {
            std::vector<Write> writes;
            for (size_t i = 0; i < conversation.size(); ++i) {
                if (i != message) {
                    writes.push_back(conversation[i]);
                    continue;
                }
                writes.push_back({conversation[i].direction, bytes.substr(0, cut)});
                writes.push_back({conversation[i].direction, bytes.substr(cut)});
            }
            INFO("message " << message << " cut at " << cut);
            check_conversation(run(writes, false));
        }
    }
}

TEST_CASE("the whole stream cut into single bytes", "[http]")
{
    std::vector<Write> writes;
    for (const Write& w : conversation)
        for (char c : w.bytes)
            writes.push_back({w.direction, std::string(1, c)});
    check_conversation(run(writes, false));
}

TEST_CASE("pipelined requests are matched to responses in order", "[http]")
{
    const auto t = run({{Dir::received, get1 + head3 + post2}, {Dir::sent, resp1 + head_resp3 + chunked2}});
    REQUIRE(t.size() == 3);
    CHECK(t[0].method == "GET");
    CHECK(t[0].status == 200);
    CHECK(t[1].method == "HEAD");
    CHECK(t[1].resp_bytes == head_resp3.size());
    CHECK(t[2].method == "POST");
    CHECK(t[2].status == 201);
    CHECK(t[2].end == TransactionEnd::complete);
}

TEST_CASE("the side that receives requests is the server", "[http]")
{
    HttpStream stream;
    run(stream, {{Dir::received, get1}, {Dir::sent, resp1}});
    CHECK_FALSE(stream.client());
}

TEST_CASE("Expect: 100-continue: the interim response is counted, the final one is the status", "[http]")
{
    const std::string head =
        "PUT /u HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n";
    const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
    const std::string final_resp = "HTTP/1.1 204 No Content\r\n\r\n";
    const auto t =
        run({{Dir::sent, head}, {Dir::received, cont}, {Dir::sent, "abc"}, {Dir::received, final_resp}});
    REQUIRE(t.size() == 1);
    CHECK(t[0].status == 204);
    CHECK(t[0].req_bytes == head.size() + 3);
    CHECK(t[0].resp_bytes == cont.size() + final_resp.size());
    CHECK(t[0].response_start_ns == 2000); // the 100's first byte
    CHECK(t[0].request_sent_ns == 1010); // the head's write returned
}

TEST_CASE("HTTP/1.0 keep-alive rules", "[http]")
{
    SECTION("without Connection: keep-alive the body runs to the close")
    {
        const auto t = run({{Dir::sent, "GET / HTTP/1.0\r\n\r\n"},
                            {Dir::received, "HTTP/1.0 200 OK\r\n\r\nbody"},
                            {Dir::received, "more"}});
        REQUIRE(t.size() == 1);
        CHECK(t[0].status == 200);
        CHECK(t[0].resp_bytes == 27);
        CHECK_FALSE(t[0].keep_alive);
        CHECK_FALSE(t[0].truncated);
        CHECK(t[0].end == TransactionEnd::complete);
    }
    SECTION("with Connection: keep-alive and a length the connection stays open")
    {
        const auto t =
            run({{Dir::sent, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"},
                 {Dir::received, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"}},
                false);
        REQUIRE(t.size() == 1);
        CHECK(t[0].keep_alive);
    }
    SECTION("an HTTP/1.1 response to an HTTP/1.0 request without keep-alive")
    {
        const auto t = run({{Dir::sent, "GET / HTTP/1.0\r\n\r\n"}, {Dir::received, resp1}}, false);
        REQUIRE(t.size() == 1);
        CHECK_FALSE(t[0].keep_alive);
    }
    SECTION("an HTTP/1.0 response with a length to an HTTP/1.1 request")
    {
        const auto t = run({{Dir::sent, get1},
                            {Dir::received, "HTTP/1.0 200 OK\r\nServer: x\r\nContent-Length: 2\r\n\r\nok"}},
                           false);
        REQUIRE(t.size() == 1);
        CHECK_FALSE(t[0].keep_alive);
    }
    SECTION("Connection: close from the server")
    {
        const auto t =
            run({{Dir::sent, get1},
                 {Dir::received, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"}},
                false);
        REQUIRE(t.size() == 1);
        CHECK_FALSE(t[0].keep_alive);
    }
}

TEST_CASE("a close cuts a response short or leaves a request unanswered", "[http]")
{
    const auto t =
        run({{Dir::sent, get1 + get1}, {Dir::received, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"}});
    REQUIRE(t.size() == 2);
    CHECK(t[0].status == 200);
    CHECK(t[0].truncated);
    CHECK(t[0].end == TransactionEnd::connection_closed);
    CHECK(t[1].status == 0);
    CHECK_FALSE(t[1].truncated);
    CHECK(t[1].end == TransactionEnd::connection_closed);
}

TEST_CASE("watching stops on an open connection: what is in flight is recorded as it stands", "[http]")
{
    HttpStream stream;
    auto t = run(stream,
                 {{Dir::sent, get1}, {Dir::received, resp1}, {Dir::sent, get1 + get1},
                  {Dir::received, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"}},
                 false);
    stream.stop_watching(t);
    REQUIRE(t.size() == 3);
    CHECK(t[0].end == TransactionEnd::complete);
    CHECK(t[1].status == 200);
    CHECK(t[1].end == TransactionEnd::in_flight);
    CHECK_FALSE(t[1].truncated);
    CHECK(t[2].status == 0);
    CHECK(t[2].end == TransactionEnd::in_flight);
    stream.stop_watching(t);
    CHECK(t.size() == 3);
}

TEST_CASE("bodies beyond the captured prefix are counted, not seen", "[http]")
{
    HttpStream stream;
    std::vector<Transaction> done;
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n";
    stream.feed({Dir::sent, get1.size(), get1, {}, 1, 1}, done);
    stream.feed({Dir::received, 65536, head + std::string(100, 'x'), "yyyy", 2, 2}, done);
    CHECK(done.empty());
    stream.feed({Dir::received, 1000000 + head.size() - 65536, "zz", "", 3, 3}, done);
    REQUIRE(done.size() == 1);
    CHECK(done[0].resp_bytes == 1000000 + head.size());
    CHECK(done[0].response_end_ns == 3);
    stream.feed({Dir::sent, get1.size(), get1, {}, 4, 4}, done);
    stream.feed({Dir::received, resp1.size(), resp1, {}, 5, 5}, done);
    CHECK(done.size() == 2);
}

TEST_CASE("a sendfile body (nothing captured) completes a Content-Length response", "[http]")
{
    HttpStream stream;
    std::vector<Transaction> done;
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 4096\r\n\r\n";
    stream.feed({Dir::received, get1.size(), get1, {}, 1, 1}, done);
    stream.feed({Dir::sent, head.size(), head, {}, 2, 2}, done);
    stream.feed({Dir::sent, 4096, "", "", 3, 3}, done);
    REQUIRE(done.size() == 1);
    CHECK(done[0].resp_bytes == head.size() + 4096);
}

TEST_CASE("a chunked body whose chunk sizes were not captured ends at its terminator", "[http]")
{
    HttpStream stream;
    std::vector<Transaction> done;
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.feed({Dir::sent, get1.size(), get1, {}, 1, 1}, done);
    stream.feed({Dir::received, head.size() + 9000, head + "2000\r\nxxxx", "xxxx\r\n10\r\nabcdef", 2, 2},
                done);
    stream.feed({Dir::received, 3000, "abcdefgh", "xxxxxxx\r\n0\r\n\r\n", 3, 3}, done);
    REQUIRE(done.size() == 1);
    CHECK(done[0].resp_bytes == head.size() + 12000);
    CHECK(done[0].end == TransactionEnd::complete);
}

TEST_CASE("a chunked body with bytes lost and no tail stops parsing", "[http]")
{
    HttpStream stream;
    std::vector<Transaction> done;
    const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    stream.feed({Dir::sent, get1.size(), get1, {}, 1, 1}, done);
    stream.feed({Dir::received, head.size() + 9000, head + "10\r\n0123456789abcdef\r\n2000\r\nxx", "", 2, 2},
                done);
    CHECK(stream.stopped());
    stream.close(done);
    REQUIRE(done.size() == 1);
    CHECK(done[0].end == TransactionEnd::capture_lost);
    CHECK(done[0].status == 200);
}

TEST_CASE("a head cut before its first line ends stops parsing", "[http]")
{
    HttpStream stream;
    std::vector<Transaction> done;
    stream.feed({Dir::sent, 5000, "GET /" + std::string(100, 'p'), "aaaaaaaaaaaaaaaa", 1, 1}, done);
    CHECK(stream.stopped());
    CHECK(stream.protocol() == Protocol::http1);
    stream.close(done);
    CHECK(done.empty()); // no request line: nothing to record
}

TEST_CASE("a long head read with its body: the message runs until the other side's next one", "[http]")
{
    // The client reads the response head (a long Set-Cookie line, then Content-Length) and
    // body in one read: where the head ends is not in view, so neither is the body's length.
    const std::string response = "HTTP/1.1 200 OK\r\nSet-Cookie: " + std::string(2000, 's') +
                                 "\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'b');
    HttpStream stream;
    std::vector<Transaction> done;
    stream.feed({Dir::sent, get1.size(), get1, {}, 1, 1}, done);
    stream.feed(captured(Dir::received, response, 2), done);
    CHECK_FALSE(stream.stopped());
    CHECK(done.empty());
    stream.feed({Dir::sent, get1.size(), get1, {}, 3, 3}, done);
    REQUIRE(done.size() == 1);
    CHECK(done[0].status == 200);
    CHECK(done[0].resp_bytes == response.size());
    CHECK(done[0].response_end_ns == 2);
    stream.feed({Dir::received, resp1.size(), resp1, {}, 4, 4}, done);
    REQUIRE(done.size() == 2);
    CHECK(done[1].resp_bytes == resp1.size());
}

TEST_CASE("a long head written whole: its captured lines parsed, the rest counted", "[http]")
{
    // A browser's request with a long Cookie line, a response with long Set-Cookie lines and
    // Content-Length among the unseen lines: the response ends where the next request begins.
    const std::string request = "GET /account?x=1 HTTP/1.1\r\nHost: shop.test\r\nCookie: " + std::string(3000, 'c') +
                                "\r\nAccept: */*\r\n\r\n";
    const std::string response_head = "HTTP/1.1 200 OK\r\nSet-Cookie: " + std::string(2000, 's') +
                                      "\r\nContent-Length: 700\r\n\r\n";
    HttpStream stream;
    std::vector<Transaction> done;
    stream.feed(captured(Dir::sent, request, 100), done);
    CHECK_FALSE(stream.stopped());
    stream.feed(captured(Dir::received, response_head, 200), done);
    stream.feed({Dir::received, 700, std::string(700, 'b'), {}, 300, 305}, done);
    CHECK(done.empty()); // its length was not seen: it ends where the next request begins
    stream.feed({Dir::sent, get1.size(), get1, {}, 400, 405}, done);
    REQUIRE(done.size() == 1);
    CHECK(done[0].method == "GET");
    CHECK(done[0].target == "/account?x=1");
    CHECK(done[0].host == "shop.test");
    CHECK(done[0].status == 200);
    CHECK(done[0].req_bytes == request.size());
    CHECK(done[0].resp_bytes == response_head.size() + 700);
    CHECK(done[0].response_start_ns == 200);
    CHECK(done[0].response_end_ns == 305);
    CHECK(done[0].end == TransactionEnd::complete);
    stream.feed({Dir::received, resp1.size(), resp1, {}, 500, 505}, done);
    REQUIRE(done.size() == 2);
    CHECK(done[1].status == 200);
    CHECK(done[1].resp_bytes == resp1.size());
    // The last one, cut again, ends with the connection: complete, not truncated.
    stream.feed({Dir::sent, get1.size(), get1, {}, 600, 605}, done);
    stream.feed(captured(Dir::received, response_head, 700), done);
    stream.close(done);
    REQUIRE(done.size() == 3);
    CHECK(done[2].end == TransactionEnd::complete);
    CHECK_FALSE(done[2].truncated);
    CHECK(done[2].resp_bytes == response_head.size());
}

TEST_CASE("the conversation captured with short prefixes still gives its four transactions", "[http]")
{
    for (size_t prefix = 32; prefix <= 64; ++prefix) {
        INFO("prefix " << prefix);
        HttpStream stream;
        std::vector<Transaction> done;
        uint64_t ts = 1;
        for (const Write& w : conversation) {
            stream.feed(captured(w.direction, w.bytes, ts, prefix), done);
            ts += 10;
        }
        stream.close(done);
        REQUIRE(done.size() == 4);
        for (size_t i = 0; i < 4; ++i) {
            CHECK(done[i].req_bytes == conversation[2 * i].bytes.size());
            CHECK(done[i].resp_bytes == conversation[2 * i + 1].bytes.size());
            CHECK(done[i].end == TransactionEnd::complete);
        }
        CHECK(done[0].method == "GET");
        CHECK(done[1].method == "POST");
        CHECK(done[2].method == "HEAD");
        CHECK(done[0].status == 200);
        CHECK(done[1].status == 201);
        CHECK(done[2].status == 200);
        CHECK(done[3].status == 304);
    }
}

TEST_CASE("pipelined responses read together past the capture: what follows is lost, not merged", "[http]")
{
    HttpStream stream;
    std::vector<Transaction> done;
    stream.feed({Dir::sent, 3 * get1.size(), get1 + get1 + get1, {}, 1, 1}, done);
    const std::string long_resp = "HTTP/1.1 200 OK\r\nSet-Cookie: " + std::string(600, 's') +
                                  "\r\nContent-Length: 5\r\n\r\nhello";
    stream.feed(captured(Dir::received, resp1 + long_resp + resp1, 2), done);
    CHECK(stream.stopped());
    stream.close(done);
    REQUIRE(done.size() == 3);
    CHECK(done[0].end == TransactionEnd::complete);
    CHECK(done[1].end == TransactionEnd::capture_lost);
    CHECK(done[2].end == TransactionEnd::capture_lost);
}

TEST_CASE("a long head cut just before a chunked body that ends the write", "[http]")
{
    // The write ends in CRLF CRLF, as a head would: here it is the chunked body's end.
    const std::string response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nSet-Cookie: " +
                                 std::string(2000, 's') + "\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    HttpStream stream;
    std::vector<Transaction> done;
    stream.feed({Dir::sent, get1.size(), get1, {}, 1, 1}, done);
    stream.feed(captured(Dir::received, response, 2), done);
    stream.feed({Dir::sent, get1.size(), get1, {}, 3, 3}, done);
    stream.feed({Dir::received, resp1.size(), resp1, {}, 4, 4}, done);
    CHECK_FALSE(stream.stopped());
    REQUIRE(done.size() == 2);
    CHECK(done[0].resp_bytes == response.size());
    CHECK(done[1].status == 200);
    CHECK(done[1].resp_bytes == resp1.size());
}

TEST_CASE("protocols other than HTTP/1.x are labelled and not parsed", "[http]")
{
    auto protocol_of = [](std::vector<Write> writes) {
        HttpStream stream;
        run(stream, writes);
        return stream.protocol();
    };
    CHECK(protocol_of({{Dir::sent, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"}}) == Protocol::http2);
    CHECK(protocol_of({{Dir::sent, "PRI * HT"}, {Dir::sent, "TP/2.0\r\n\r\nSM\r\n\r\n"}}) == Protocol::http2);
    CHECK(protocol_of({{Dir::sent, std::string("\x16\x03\x01\x02\x00", 5)}}) == Protocol::tls);
    CHECK(protocol_of({{Dir::sent, "SSH-2.0-OpenSSH_9.2\r\n"}}) == Protocol::other);
    CHECK(protocol_of({{Dir::received, "220 smtp ready\r\n"}}) == Protocol::other);
    CHECK(protocol_of({{Dir::sent, "GE"}, {Dir::received, "x"}}) == Protocol::other);
    CHECK(protocol_of({}) == Protocol::unknown);
    CHECK(protocol_of({{Dir::sent, "G"}, {Dir::sent, "ET / HTTP/1.1\r\n\r\n"}}) == Protocol::http1);
}

TEST_CASE("an h2c upgrade turns the connection into HTTP/2", "[http]")
{
    HttpStream stream;
    const auto t = run(
        stream, {{Dir::sent, "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: "
                             "h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"},
                 {Dir::received, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: "
                                 "h2c\r\n\r\n\x00\x00\x12\x04"}});
    REQUIRE(t.size() == 1);
    CHECK(t[0].status == 101);
    CHECK(stream.protocol() == Protocol::http2);
}

TEST_CASE("malformed bytes mark the connection not HTTP and never crash", "[http]")
{
    auto protocol_of = [](std::vector<Write> writes) {
        HttpStream stream;
        run(stream, writes);
        return stream.protocol();
    };
    CHECK(protocol_of({{Dir::sent, "GET / HTTP/1.1\r\nno colon here\r\n\r\n"}}) == Protocol::other);
    CHECK(protocol_of({{Dir::sent, "GET / HTTP/9.9\r\n\r\n"}}) == Protocol::other);
    CHECK(protocol_of({{Dir::sent, "GET / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n"}}) == Protocol::other);
    CHECK(protocol_of({{Dir::sent, get1}, {Dir::received, "HTTP/1.1 abc OK\r\n\r\n"}}) == Protocol::other);
    CHECK(protocol_of({{Dir::sent, get1},
                       {Dir::received, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"}}) ==
          Protocol::other);
    CHECK(protocol_of({{Dir::sent, "GET / HTTP/1.1\r\n" + std::string(70000, 'a')}}) == Protocol::other);

    // Every prefix of the conversation with bytes flipped: only that nothing breaks.
    uint32_t seed = 12345;
    for (int round = 0; round < 2000; ++round) {
        std::vector<Write> writes = conversation;
        for (Write& w : writes)
            for (char& c : w.bytes) {
                seed = seed * 1103515245 + 12345;
                if ((seed >> 16) % 50 == 0)
                    c = char(seed >> 24);
            }
        HttpStream stream;
        const auto t = run(stream, writes);
        CHECK(t.size() <= 4);
        // The same bytes captured as the kernel would with a tiny --http-capture-bytes: a
        // prefix and a 16-byte tail of each write, so heads are cut and bodies skipped.
        HttpStream cut_stream;
        std::vector<Transaction> cut_done;
        uint64_t ts = 1;
        for (const Write& w : writes) {
            cut_stream.feed(captured(w.direction, w.bytes, ts, 24 + round % 40), cut_done);
            ts += 10;
        }
        cut_stream.close(cut_done);
        CHECK(cut_done.size() <= 4);
    }
}

TEST_CASE("paths lose their query unless asked to keep it", "[http]")
{
    CHECK(path_of("/a/b?x=1", false) == "/a/b");
    CHECK(path_of("/a/b?x=1", true) == "/a/b?x=1");
    CHECK(path_of("http://host:8080/p?q", false) == "/p");
    CHECK(path_of("http://host", false) == "/");
    CHECK(path_of("*", false) == "*");
}

#include <catch2/catch.hpp>

#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "conn_table.h"
#include "event_builder.h"
#include "http_events.h"
#include "http_table.h"

using namespace connscope;
using namespace connscope::test;

namespace
{

const Socket client{11, make_flow("127.0.0.1", 40000, "127.0.0.1", 80), make_owner(100, "curl")};

// One write or read of the client socket as http.bpf.c reports it: the syscall took 5 µs.
// seq_end continues each direction's byte stream from where the last event left it.
http_data_event data(uint64_t ts_ns, http_direction direction, const std::string& bytes, uint32_t skipped = 0)
{
    static uint32_t next_seq[3] = {0, 1000, 5000};
    http_data_event e{};
    e.hdr = make_header(static_cast<event_type>(EVENT_HTTP_DATA), client.cookie, ts_ns + 5 * us);
    e.flow = client.flow;
    e.owner = client.owner;
    e.enter_ns = ts_ns;
    e.bytes = bytes.size();
    e.sock_ino = 777;
    e.direction = direction;
    e.captured = static_cast<uint32_t>(std::min(bytes.size(), sizeof(e.data)));
    std::memcpy(e.data, bytes.data(), e.captured);
    next_seq[direction] += skipped + static_cast<uint32_t>(bytes.size());
    e.seq_end = next_seq[direction];
    return e;
}

const std::string request = "GET /a?q=1 HTTP/1.1\r\nHost: h\r\n\r\n";
const std::string response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

// The client socket's connection, seen opening with a 300 µs handshake.
ConnTable opened()
{
    ConnTable conns;
    conns.apply(client.state(t0, TcpState::close, TcpState::syn_sent));
    conns.apply(client.state(t0 + 300 * us, TcpState::syn_sent, TcpState::established));
    return conns;
}

std::vector<HttpRecord> http_records(const std::vector<Record>& records)
{
    std::vector<HttpRecord> out;
    for (const Record& r : records)
        if (const auto* h = std::get_if<HttpRecord>(&r))
            out.push_back(*h);
    return out;
}

} // namespace

TEST_CASE("transactions are tied to their connection: seq, handshake, ttfb, retransmits", "[http_table]")
{
    ConnTable conns = opened();
    HttpTable http(false, 0);

    http.apply(data(t0 + 1 * ms, HTTP_SENT, request));
    http.on_retransmit(client.retransmit(t0 + 2 * ms, TcpState::established, 2));
    http.apply(data(t0 + 3 * ms, HTTP_RECEIVED, response));
    http.apply(data(t0 + 10 * ms, HTTP_SENT, request));
    http.apply(data(t0 + 11 * ms, HTTP_RECEIVED, response));
    const auto records = http_records(http.take_finished(conns));
    REQUIRE(records.size() == 2);
    CHECK(records[0].seq == 1);
    CHECK(records[0].new_connection);
    CHECK(records[0].handshake_us == 300);
    CHECK(records[0].role == Role::client);
    CHECK(records[0].path == "/a");
    // From the request's write returning to the response's read returning; the duration
    // from the write's start.
    CHECK(records[0].ttfb_us == 3000 + 5 - (1000 + 5));
    CHECK(records[0].duration_us == 3000 + 5 - 1000);
    CHECK(records[0].retransmits == 2);
    CHECK(records[0].comm == "curl");
    CHECK(records[0].local.port == 40000);
    CHECK(records[1].seq == 2);
    CHECK_FALSE(records[1].new_connection);
    CHECK(records[1].handshake_us == 0);
    CHECK(records[1].retransmits == 0);
    CHECK(http.transactions() == 2);
    CHECK(http.status_classes().at("2xx") == 2);
}

TEST_CASE("records come out in the order their connections finished a transaction", "[http_table]")
{
    const Socket other{12, make_flow("127.0.0.1", 40001, "127.0.0.1", 80), make_owner(101, "curl")};
    auto on_other = [&other](http_data_event e) {
        e.hdr.cookie = other.cookie;
        e.flow = other.flow;
        return e;
    };
    ConnTable conns = opened();
    HttpTable http(false, 0);
    http.apply(data(t0 + 1 * ms, HTTP_SENT, request));
    http.apply(on_other(data(t0 + 2 * ms, HTTP_SENT, request)));
    http.apply(data(t0 + 3 * ms, HTTP_RECEIVED, response));
    http.apply(on_other(data(t0 + 4 * ms, HTTP_RECEIVED, response)));

    const auto records = http_records(http.take_finished(conns));
    REQUIRE(records.size() == 2);
    CHECK(records[0].cookie == client.cookie);
    CHECK(records[1].cookie == other.cookie);
    CHECK(http.take_finished(conns).empty());
}

TEST_CASE("a connection's end finishes what it had in flight and labels its conn record", "[http_table]")
{
    ConnTable conns = opened();
    HttpTable http(true, 0);
    http.apply(data(t0 + 1 * ms, HTTP_SENT, request));
    http.apply(data(t0 + 3 * ms, HTTP_RECEIVED, response));
    http.apply(data(t0 + 4 * ms, HTTP_SENT, request));
    conns.apply(client.reset(t0 + 5 * ms, RESET_RECEIVED, TcpState::established));
    conns.apply(client.state(t0 + 5 * ms, TcpState::established, TcpState::close));

    std::vector<Record> finished = conns.take_all_finished();
    REQUIRE(finished.size() == 1);
    auto& conn = std::get<ConnRecord>(finished[0]);
    const auto in_flight = http_records(http.close(conn));
    const auto done_before = http_records(http.take_finished(conns));
    CHECK(done_before.empty()); // close() took the completed one too
    REQUIRE(in_flight.size() == 2);
    CHECK(in_flight[0].status == 200);
    CHECK(in_flight[0].path == "/a?q=1");
    CHECK(in_flight[1].status == 0);
    CHECK(in_flight[1].seq == 2);
    CHECK(in_flight[1].end == TransactionEnd::connection_closed);
    CHECK(in_flight[1].close == CloseKind::reset_received);
    CHECK(conn.protocol == "http1");
    CHECK(conn.http_transactions == 2);
    CHECK(http.status_classes().at("none") == 1);
}

TEST_CASE("a connection that is not HTTP/1.x is labelled and its socket stops being captured", "[http_table]")
{
    ConnTable conns;
    HttpTable http(false, 0);
    conns.apply(client.state(t0, TcpState::close, TcpState::syn_sent));
    http.apply(data(t0 + 1 * ms, HTTP_SENT, std::string("\x16\x03\x01\x00\x05hello", 10)));
    CHECK(http.take_stopped_inodes() == std::vector<uint32_t>{777});
    CHECK(http.take_stopped_inodes().empty());
    http.apply(data(t0 + 2 * ms, HTTP_SENT, "more"));
    CHECK(http.take_stopped_inodes().empty());
    conns.apply(client.state(t0 + 5 * ms, TcpState::syn_sent, TcpState::close));
    std::vector<Record> finished = conns.take_all_finished();
    auto& conn = std::get<ConnRecord>(finished[0]);
    CHECK(http.close(conn).empty());
    CHECK(conn.protocol == "tls");
    CHECK(conn.http_transactions == 0);
}

TEST_CASE("HTTP data events decode from their variable-length records", "[http_table]")
{
    const http_data_event e = data(t0, HTTP_RECEIVED, response);
    const size_t size = offsetof(http_data_event, data) + e.captured;
    const auto* bytes = reinterpret_cast<const std::byte*>(&e);
    http_data_event decoded;
    REQUIRE(decode_http_event(std::span(bytes, size), decoded));
    CHECK(std::string(reinterpret_cast<const char*>(decoded.data), decoded.captured) == response);
    CHECK(decoded.bytes == e.bytes);
    CHECK_FALSE(decode_http_event(std::span(bytes, size - 1), decoded));
    CHECK_FALSE(decode_http_event(std::span(bytes, 10), decoded));
    http_data_event other = e;
    other.hdr.type = EVENT_STATE;
    CHECK_FALSE(decode_http_event(std::span(reinterpret_cast<const std::byte*>(&other), size), decoded));
}

TEST_CASE("a server's transaction waits for the next request, so late retransmits count in it",
          "[http_table]")
{
    const Socket server{12, make_flow("127.0.0.1", 80, "127.0.0.1", 40000), make_owner(200, "nginx")};
    auto event = [&](uint64_t ts, http_direction direction, const std::string& bytes) {
        http_data_event e = data(ts, direction, bytes);
        e.hdr.cookie = server.cookie;
        return e;
    };
    ConnTable conns;
    HttpTable http(false, 0);
    http.apply(event(t0 + 1 * ms, HTTP_RECEIVED, request));
    http.apply(event(t0 + 2 * ms, HTTP_SENT, response));
    CHECK(http.take_finished(conns).empty()); // held: its response may still be retransmitted
    http.on_retransmit(server.retransmit(t0 + 200 * ms, TcpState::established, 1));
    http.apply(event(t0 + 300 * ms, HTTP_RECEIVED, request));
    http.apply(event(t0 + 301 * ms, HTTP_SENT, response));
    auto records = http_records(http.take_finished(conns));
    REQUIRE(records.size() == 1);
    CHECK(records[0].role == Role::server);
    CHECK(records[0].retransmits == 1);
    records = http_records(http.take_all_finished(conns));
    REQUIRE(records.size() == 1);
    CHECK(records[0].seq == 2);
    CHECK(records[0].retransmits == 0);
}

TEST_CASE("data lost from the ring buffer is skipped as not captured", "[http_table]")
{
    ConnTable conns = opened();
    HttpTable http(false, 0);
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 3000\r\n\r\n";
    http.apply(data(t0 + 1 * ms, HTTP_SENT, request));
    http.apply(data(t0 + 2 * ms, HTTP_RECEIVED, head + std::string(1000, 'x')));
    // A read of 1000 bytes was lost; the last 1000 arrive.
    http.apply(data(t0 + 4 * ms, HTTP_RECEIVED, std::string(1000, 'x'), 1000));
    auto records = http_records(http.take_finished(conns));
    REQUIRE(records.size() == 1);
    CHECK(records[0].resp_bytes == head.size() + 3000);
    CHECK(records[0].end == TransactionEnd::complete);
    // The next request's head is lost: the framing is given up, not guessed.
    http.apply(data(t0 + 5 * ms, HTTP_SENT, request));
    http.apply(data(t0 + 6 * ms, HTTP_RECEIVED, response, 50));
    CHECK(http.take_finished(conns).empty());
    CHECK(http.take_stopped_inodes() == std::vector<uint32_t>{777});
}

TEST_CASE("a body cut short by the close counts what the kernel left out, from a no-data event",
          "[http_table]")
{
    ConnTable conns = opened();
    HttpTable http(false, 0);
    const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
    http.apply(data(t0 + 1 * ms, HTTP_SENT, request));
    http.apply(data(t0 + 2 * ms, HTTP_RECEIVED, head + std::string(8000, 'x')));
    // Reads wholly inside the body are counted in the kernel; before the close it sends what it
    // left out as an event with no data, from whatever process the state change ran in.
    http_data_event counted = data(t0 + 9 * ms, HTTP_RECEIVED, "", 42000);
    counted.owner = make_owner(0, "");
    http.apply(counted);
    // One that lags what user space has seen (its events went first) moves nothing back.
    http_data_event stale = counted;
    stale.seq_end -= 30000;
    http.apply(stale);
    http.apply(counted);
    conns.apply(client.state(t0 + 9 * ms, TcpState::established, TcpState::close));
    std::vector<Record> finished = conns.take_all_finished();
    REQUIRE(finished.size() == 1);
    const auto records = http_records(http.close(std::get<ConnRecord>(finished[0])));
    REQUIRE(records.size() == 1);
    CHECK(records[0].resp_bytes == head.size() + 8000 + 42000);
    CHECK(records[0].truncated);
    CHECK(records[0].comm == "curl");
    CHECK(records[0].pid == 100);
}

namespace
{

// The client connection's detector counts after a change at ts_ns.
TcpCounters counts(uint64_t ts_ns, uint32_t delayed_acks, uint32_t stalls, uint64_t stall_us, uint32_t idle_restarts)
{
    TcpCounters c;
    c.delayed_acks = delayed_acks;
    c.stalls = stalls;
    c.stall_us = stall_us;
    c.idle_restarts = idle_restarts;
    c.last_event_ns = ts_ns;
    return c;
}

} // namespace

TEST_CASE("delayed ACKs, stalls and idle restarts count in the transaction they hit, not a neighbour",
          "[http_table]")
{
    ConnTable conns = opened();
    HttpTable http(false, 0);

    // A stall before the first request was already counted when its first byte was seen.
    http.apply(data(t0 + 1 * ms, HTTP_SENT, request), counts(t0 + 500 * us, 1, 1, 7000, 0));
    http.on_tcp_counters(client.cookie, counts(t0 + 1 * ms + 2 * us, 1, 1, 7000, 1));
    http.on_tcp_counters(client.cookie, counts(t0 + 1 * ms + 40 * ms, 2, 1, 7000, 1));
    http.on_tcp_counters(client.cookie, counts(t0 + 1 * ms + 41 * ms, 2, 2, 47000, 1));
    http.apply(data(t0 + 50 * ms, HTTP_RECEIVED, response));
    // Between the first response's end and the second request: in neither.
    http.on_tcp_counters(client.cookie, counts(t0 + 60 * ms, 3, 3, 87000, 1));
    http.apply(data(t0 + 100 * ms, HTTP_SENT, request));
    http.apply(data(t0 + 101 * ms, HTTP_RECEIVED, response));
    const auto records = http_records(http.take_finished(conns));
    REQUIRE(records.size() == 2);
    CHECK(records[0].delayed_acks == 1);
    CHECK(records[0].stalls == 1);
    CHECK(records[0].stall_us == 40000);
    CHECK(records[0].idle_restart);
    CHECK(records[1].delayed_acks == 0);
    CHECK(records[1].stalls == 0);
    CHECK(records[1].stall_us == 0);
    CHECK_FALSE(records[1].idle_restart);
}

TEST_CASE("a server's transaction counts stalls until the next request begins", "[http_table]")
{
    ConnTable conns;
    HttpTable http(false, 0);
    http.apply(data(t0, HTTP_RECEIVED, request), counts(0, 0, 0, 0, 0));
    http.apply(data(t0 + 1 * ms, HTTP_SENT, response));
    http.on_tcp_counters(client.cookie, counts(t0 + 45 * ms, 1, 1, 40000, 0));
    // A request arriving as two writes held by Nagle stalls inside the transaction it starts.
    http.apply(data(t0 + 100 * ms, HTTP_RECEIVED, request.substr(0, 10)));
    http.on_tcp_counters(client.cookie, counts(t0 + 140 * ms, 2, 2, 80000, 0));
    http.apply(data(t0 + 140 * ms, HTTP_RECEIVED, request.substr(10)));
    http.apply(data(t0 + 141 * ms, HTTP_SENT, response));
    const auto records = http_records(http.take_all_finished(conns));
    REQUIRE(records.size() == 2);
    CHECK(records[0].role == Role::server);
    CHECK(records[0].stalls == 1);
    CHECK(records[0].stall_us == 40000);
    CHECK(records[1].stalls == 1);
    CHECK(records[1].stall_us == 40000);
}

TEST_CASE("time to first byte is averaged apart for new and reused connections", "[http_table]")
{
    ConnTable conns = opened();
    HttpTable http(false, 0);
    CHECK(http.ttfb_us_new_mean() == 0);
    CHECK(http.ttfb_us_reused_mean() == 0);
    http.apply(data(t0 + 1 * ms, HTTP_SENT, request));
    http.apply(data(t0 + 9 * ms, HTTP_RECEIVED, response));
    http.apply(data(t0 + 10 * ms, HTTP_SENT, request));
    http.apply(data(t0 + 12 * ms, HTTP_RECEIVED, response));
    http.apply(data(t0 + 20 * ms, HTTP_SENT, request));
    http.apply(data(t0 + 24 * ms, HTTP_RECEIVED, response));
    const auto records = http_records(http.take_finished(conns));
    REQUIRE(records.size() == 3);
    CHECK(records[0].new_connection);
    CHECK(http.ttfb_us_new_mean() == records[0].ttfb_us);
    CHECK(http.ttfb_us_reused_mean() == (records[1].ttfb_us + records[2].ttfb_us) / 2);
    CHECK(http.ttfb_us_new_mean() > http.ttfb_us_reused_mean());
}

TEST_CASE("a transaction takes cwnd and ssthresh from the event its request started in", "[http_table]")
{
    constexpr uint32_t infinite_ssthresh = 0x7fffffff;
    auto with_window = [](http_data_event e, uint32_t cwnd, uint32_t ssthresh) {
        e.snd_cwnd = cwnd;
        e.snd_ssthresh = ssthresh;
        return e;
    };
    const std::string head = request.substr(0, 10);
    const std::string rest = request.substr(10);
    ConnTable conns = opened();

    SECTION("client: the request's first write, not its later ones nor the response's reads")
    {
        HttpTable http(false, 0);
        http.apply(with_window(data(t0 + 1 * ms, HTTP_SENT, head), 10, infinite_ssthresh));
        http.apply(with_window(data(t0 + 2 * ms, HTTP_SENT, rest), 12, 9));
        http.apply(with_window(data(t0 + 3 * ms, HTTP_RECEIVED, response), 14, 8));
        http.apply(with_window(data(t0 + 10 * ms, HTTP_SENT, request), 40, 20));
        http.apply(with_window(data(t0 + 11 * ms, HTTP_RECEIVED, response), 50, 25));
        const auto records = http_records(http.take_finished(conns));
        REQUIRE(records.size() == 2);
        CHECK(records[0].cwnd == 10);
        CHECK_FALSE(records[0].ssthresh);
        CHECK(records[1].cwnd == 40);
        CHECK(records[1].ssthresh == 20u);
    }
    SECTION("server: the request's first read, not the response's writes")
    {
        const Socket server{12, make_flow("127.0.0.1", 80, "127.0.0.1", 40000), make_owner(200, "nginx")};
        auto event = [&](uint64_t ts, http_direction direction, const std::string& bytes, uint32_t cwnd,
                         uint32_t ssthresh) {
            http_data_event e = with_window(data(ts, direction, bytes), cwnd, ssthresh);
            e.hdr.cookie = server.cookie;
            return e;
        };
        HttpTable http(false, 0);
        http.apply(event(t0 + 1 * ms, HTTP_RECEIVED, head, 10, infinite_ssthresh));
        http.apply(event(t0 + 2 * ms, HTTP_RECEIVED, rest, 11, 6));
        http.apply(event(t0 + 3 * ms, HTTP_SENT, response, 12, 6));
        const auto records = http_records(http.take_all_finished(conns));
        REQUIRE(records.size() == 1);
        CHECK(records[0].role == Role::server);
        CHECK(records[0].cwnd == 10);
        CHECK_FALSE(records[0].ssthresh);
    }
}

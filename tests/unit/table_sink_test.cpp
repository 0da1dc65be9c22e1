#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <cctype>

#include "table_sink.h"

using namespace connscope;
using Catch::Contains;

namespace
{

ConnRecord sample_conn()
{
    ConnRecord r;
    r.ts_ns = 1'700'000'000'123'456'789;
    r.cookie = 7;
    r.pid = 4242;
    r.comm = "curl";
    r.family = AF_INET;
    r.role = Role::client;
    r.local = {"10.0.0.1", 40000};
    r.remote = {"10.0.0.2", 80};
    r.start_ts_ns = 1'700'000'000'000'000'000;
    r.duration_us = 123'456;
    r.handshake_us = 1500;
    r.rtt_us = 1700;
    r.bytes_sent = 1000;
    r.bytes_received = 5000;
    r.close = CloseKind::local_fin;
    r.close_state = "FIN_WAIT2";
    r.time_wait = true;
    return r;
}

SummaryRecord sample_summary(uint64_t events_lost)
{
    SummaryRecord s;
    s.ts_ns = 1'700'000'010'000'000'000;
    s.elapsed_us = 10'000'000;
    s.totals = Totals{3, 4, 5, 1, 2, 1, events_lost, {{"ECONNREFUSED", 2}}};
    s.connections_open = 1;
    s.connections_closed = 6;
    return s;
}

// The last line of a sink's output: the record's own line, after any header.
std::string last_line(const std::string& text)
{
    REQUIRE_FALSE(text.empty());
    REQUIRE(text.back() == '\n');
    const size_t start = text.rfind('\n', text.size() - 2);
    return text.substr(start == std::string::npos ? 0 : start + 1);
}

std::string lowercase(std::string text)
{
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

} // namespace

TEST_CASE("TableSink: a conn line shows process, endpoints and how it closed", "[table_sink]")
{
    TableSink sink;
    const std::string line = last_line(sink.record(sample_conn()));

    CHECK_THAT(line, Contains("curl[4242]"));
    CHECK_THAT(line, Contains("10.0.0.1:40000"));
    CHECK_THAT(line, Contains("10.0.0.2:80"));
    CHECK_THAT(line, Contains("client"));
    CHECK_THAT(line, Contains("we closed"));
    CHECK_THAT(line, Contains("TIME_WAIT"));
    CHECK(line.find("10.0.0.1:40000") < line.find("10.0.0.2:80")); // local, then remote
    CHECK(std::count(line.begin(), line.end(), '\n') == 1);
}

TEST_CASE("TableSink: IPv6 endpoints are bracketed", "[table_sink]")
{
    TableSink sink;
    ConnRecord r = sample_conn();
    r.family = AF_INET6;
    r.local = {"2001:db8::1", 40000};
    r.remote = {"2001:db8::2", 443};
    const std::string line = last_line(sink.record(r));

    CHECK_THAT(line, Contains("[2001:db8::1]:40000"));
    CHECK_THAT(line, Contains("[2001:db8::2]:443"));
}

TEST_CASE("TableSink: each close kind has its own text", "[table_sink]")
{
    const std::vector<std::pair<CloseKind, std::string>> kinds{
        {CloseKind::local_fin, "we closed"},
        {CloseKind::peer_fin, "peer closed"},
        {CloseKind::reset_sent, "RST sent"},
        {CloseKind::reset_received, "RST received"},
        {CloseKind::never_established, "never established"},
        {CloseKind::aborted, "aborted"},
    };
    for (const auto& [kind, text] : kinds) {
        TableSink sink;
        ConnRecord r = sample_conn();
        r.close = kind;
        r.time_wait = false;
        r.error = kind == CloseKind::never_established ? "ECONNREFUSED" : "";
        const std::string line = last_line(sink.record(r));
        INFO(line);
        CHECK_THAT(line, Contains(text));
        CHECK_THAT(line, !Contains("TIME_WAIT"));
        CHECK((line.find("ECONNREFUSED") != std::string::npos) == (kind == CloseKind::never_established));
    }
}

TEST_CASE("TableSink: an unknown process is a dash, not comm[0]", "[table_sink]")
{
    TableSink sink;
    ConnRecord r = sample_conn();
    r.pid = 0;
    r.comm.clear();
    const std::string line = last_line(sink.record(r));

    CHECK_THAT(line, !Contains("[0]"));
    CHECK_THAT(line, Contains(" - "));
}

TEST_CASE("TableSink: a connect error line", "[table_sink]")
{
    TableSink sink;
    ConnectErrorRecord e;
    e.ts_ns = 1'700'000'000'000'000'000;
    e.pid = 4242;
    e.comm = "curl";
    e.local = {"10.0.0.1", 0};
    e.remote = {"192.0.2.9", 8080};
    e.error = "ECONNREFUSED";
    e.async = true;
    const std::string line = last_line(sink.record(e));

    CHECK_THAT(line, Contains("curl[4242]"));
    CHECK_THAT(line, Contains("192.0.2.9:8080"));
    CHECK_THAT(line, Contains("ECONNREFUSED"));
    CHECK_THAT(line, Contains("EINPROGRESS"));
}

TEST_CASE("TableSink: a header comes before the first record after start and after a summary", "[table_sink]")
{
    TableSink sink;
    const std::string start = sink.start(StartRecord{0, "0.1.0", {}, 1});
    CHECK_THAT(start, Contains("0.1.0"));
    CHECK_THAT(start, !Contains("--http-sample"));
    CHECK_THAT(TableSink().start(StartRecord{0, "0.1.0", {}, 8}), Contains("HTTP on one connection in 8 (--http-sample)"));

    const std::string first = sink.record(sample_conn());
    CHECK(std::count(first.begin(), first.end(), '\n') == 2);
    CHECK_THAT(first, Contains("PROCESS"));
    const std::string second = sink.record(sample_conn());
    CHECK(std::count(second.begin(), second.end(), '\n') == 1);

    (void)sink.summary(sample_summary(0));
    CHECK_THAT(sink.record(sample_conn()), Contains("PROCESS"));
}

TEST_CASE("TableSink: a summary mentions lost events only when there were some", "[table_sink]")
{
    TableSink sink;
    const std::string clean = sink.summary(sample_summary(0));
    const std::string lossy = sink.summary(sample_summary(98765));

    CHECK_THAT(lowercase(clean), !Contains("lost"));
    CHECK_THAT(lowercase(lossy), Contains("lost"));
    CHECK_THAT(lossy, Contains("98765"));
    CHECK_THAT(clean, Contains("ECONNREFUSED=2"));
    CHECK_THAT(clean, Contains("summary"));
    CHECK(clean.back() == '\n');
}

TEST_CASE("TableSink: an interval block says interval", "[table_sink]")
{
    TableSink sink;
    SummaryRecord s = sample_summary(0);
    s.final = false;
    const std::string text = sink.summary(s);

    CHECK_THAT(text, Contains("interval"));
    CHECK_THAT(text, !Contains("summary"));
}

TEST_CASE("TableSink: port headroom with a bar per destination, TIME_WAIT and warnings", "[table_sink][ports]")
{
    TableSink sink;
    PortDestination full;
    full.local_address = "10.0.0.1";
    full.remote_address = "10.0.0.2";
    full.remote_port = 80;
    full.in_use = 30;
    full.available = 10;
    full.utilization = 0.75;
    full.exhaustion_in_s = 42;
    PortDestination shared = full;
    shared.remote_port = 443;
    shared.utilization = 0.1;
    shared.exhaustion_in_s.reset();
    shared.shared_pool = true;
    PortsRecord ports;
    ports.netns = 1234;
    ports.range_low = 40000;
    ports.range_high = 40039;
    ports.pool = 40;
    ports.destinations = {full, shared};
    const std::string text = sink.record(ports);
    CHECK_THAT(text, Contains("range 40000-40039, 40 usable"));
    CHECK_THAT(text, Contains("10.0.0.2:80") && Contains("[###############-----]  75%") && Contains("full in 42s"));
    CHECK_THAT(text, Contains("10.0.0.2:443") && Contains("[##------------------]  10%") &&
                         Contains("not filling") && Contains("SHARED POOL"));

    TimeWaitRecord timewait;
    timewait.total = 3;
    timewait.client_side = 3;
    timewait.by_destination = {{"10.0.0.2", 80, 3}};
    CHECK_THAT(sink.record(timewait), Contains("TIME_WAIT in netns 0: 3 (3 client side, 0 server side)") &&
                                          Contains("10.0.0.2:80"));

    PortWarningRecord warning{0, 1234, "10.0.0.1", "10.0.0.2", 80, 32, 8, 0.8, 0.8, false};
    CHECK_THAT(sink.record(warning), Contains("source ports to 10.0.0.2:80 from 10.0.0.1 80% used (32 used, 8 free)"));
}

TEST_CASE("table: one line per HTTP transaction, with what the connection did to it", "[table_sink][http]")
{
    TableSink sink;
    sink.start(StartRecord{});
    HttpRecord r;
    r.ts_ns = 1'700'000'000'123'456'789;
    r.pid = 4242;
    r.comm = "curl";
    r.local = {"10.0.0.1", 40000};
    r.remote = {"10.0.0.2", 80};
    r.method = "GET";
    r.path = "/index.html";
    r.host = "example.test";
    r.status = 200;
    r.seq = 1;
    r.new_connection = true;
    r.handshake_us = 1500;
    r.ttfb_us = 42'000;
    r.retransmits = 2;
    const std::string line = last_line(sink.record(r));
    CHECK(std::count(line.begin(), line.end(), '\n') == 1);
    CHECK_THAT(line, Contains("200 GET example.test/index.html #1"));
    CHECK_THAT(line, Contains("ttfb 42ms"));
    CHECK_THAT(line, Contains("new conn, handshake 1500us, 2 retransmits"));

    r.new_connection = false;
    r.retransmits = 0;
    r.status = 0;
    r.end = TransactionEnd::connection_closed;
    r.close = CloseKind::reset_received;
    CHECK_THAT(last_line(sink.record(r)), Contains("reused, ended: RST received"));

    r.end = TransactionEnd::in_flight;
    r.stalls = 1;
    r.stall_us = 41'000;
    r.idle_restart = true;
    CHECK_THAT(last_line(sink.record(r)), Contains("reused, 1 stall 41ms, slow start after idle, in flight at exit"));
}

TEST_CASE("TableSink: a line for each TCP detector record", "[table_sink]")
{
    TableSink sink;
    sink.start(StartRecord{});
    auto identified = [](auto r) {
        r.pid = 4242;
        r.comm = "curl";
        r.family = AF_INET;
        r.local = {"10.0.0.1", 40000};
        r.remote = {"10.0.0.2", 80};
        return r;
    };
    StallRecord stall = identified(StallRecord{});
    stall.stall_us = 40'000;
    CHECK_THAT(sink.record(stall), Contains("Nagle × delayed-ACK stall") && Contains("sending side"));
    RetransmitRecord retransmit = identified(RetransmitRecord{});
    retransmit.state = "ESTABLISHED";
    retransmit.segs = 3;
    CHECK_THAT(sink.record(retransmit), Contains("retransmit in ESTABLISHED, 3 segment(s)"));
    HandshakeRecord handshake = identified(HandshakeRecord{});
    handshake.syn_retransmits = 1;
    CHECK_THAT(sink.record(handshake), Contains("slow handshake") && Contains("1 SYN retransmits"));
    IdleCloseRaceRecord race = identified(IdleCloseRaceRecord{});
    race.peer_fin_first = true;
    CHECK_THAT(sink.record(race), Contains("reset by peer") && Contains("the peer had closed"));
    CloseWaitRecord wait = identified(CloseWaitRecord{});
    const std::string line = sink.record(wait);
    CHECK_THAT(line, Contains("CLOSE_WAIT for") && Contains("curl"));
    CHECK(std::count(line.begin(), line.end(), '\n') == 1);
}

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
    const std::string start = sink.start(StartRecord{0, "0.1.0", {}});
    CHECK_THAT(start, Contains("0.1.0"));

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

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "detectors/listen_table.h"
#include "netstat_parse.h"

using namespace connscope;

namespace
{

listen_record listener(uint16_t port, uint32_t drops, uint32_t queue)
{
    listen_record l{};
    l.family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", l.addr);
    l.netns = 4026531840;
    l.port = port;
    l.drops = drops;
    l.accept_queue = queue;
    l.accept_queue_max = 4;
    return l;
}

} // namespace

TEST_CASE("ListenTable: drops since the start, per listener", "[listen_table]")
{
    ListenTable table;
    const std::vector<listen_record> at_start{listener(80, 7, 0), listener(443, 0, 0)};
    table.baseline(at_start);

    // 80 dropped 3 more; 443 nothing and nothing queued; 8080 opened since and dropped 2.
    const std::vector<listen_record> now{listener(80, 10, 5), listener(443, 0, 0), listener(8080, 2, 0)};
    const auto records = table.report(now, 1'000);
    REQUIRE(records.size() == 2);
    const auto& first = std::get<ListenRecord>(records[0]);
    CHECK(first.local.address == "127.0.0.1");
    CHECK(first.local.port == 80);
    CHECK(first.drops == 3);
    CHECK(first.accept_queue == 5);
    CHECK(first.accept_queue_max == 4);
    CHECK(first.ts_ns == 1'000);
    CHECK(std::get<ListenRecord>(records[1]).drops == 2);
}

TEST_CASE("ListenTable: a listener with nothing to say is left out", "[listen_table]")
{
    ListenTable table;
    const std::vector<listen_record> at_start{listener(80, 7, 0)};
    table.baseline(at_start);
    CHECK(table.report(at_start, 1).empty());
    // A new listener at the same port with a smaller counter: no negative drops.
    const std::vector<listen_record> reopened{listener(80, 2, 0)};
    CHECK(table.report(reopened, 1).empty());
    // Handshakes waiting for their final ACK are worth a record.
    std::vector<listen_record> half_open{listener(80, 7, 0)};
    half_open[0].syn_queue = 3;
    const auto records = table.report(half_open, 1);
    REQUIRE(records.size() == 1);
    CHECK(std::get<ListenRecord>(records[0]).syn_queue == 3);
}

TEST_CASE("the listen counters are read from /proc/net/netstat's TcpExt lines", "[listen]")
{
    const std::string netstat =
        "TcpExt: SyncookiesSent ListenOverflows ListenDrops TCPHPHits\n"
        "TcpExt: 0 12 15 7\n"
        "IpExt: InNoRoutes InTruncatedPkts\n"
        "IpExt: 0 0\n";
    const auto counters = parse_listen_counters(netstat);
    REQUIRE(counters);
    CHECK(counters->overflows == 12);
    CHECK(counters->drops == 15);
    CHECK_FALSE(parse_listen_counters("TcpExt: ListenOverflows\nTcpExt: 3\n"));
    CHECK_FALSE(parse_listen_counters("TcpExt: ListenOverflows ListenDrops\nTcpExt: 3 x\n"));
    CHECK_FALSE(parse_listen_counters(""));
}

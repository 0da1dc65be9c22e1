#include <catch2/catch.hpp>

#include "event_builder.h"
#include "port_headroom.h"
#include "timewait_report.h"

using namespace connscope;
using namespace connscope::test;

namespace
{

constexpr uint32_t netns = host_netns;
constexpr uint64_t unix_t0 = 1'700'000'000'000'000'000;

DiagSocket diag(TcpState state, const std::string& local, uint16_t lport, const std::string& remote,
                uint16_t rport)
{
    const flow f = make_flow(local, lport, remote, rport);
    DiagSocket s;
    s.family = f.family;
    s.state = static_cast<uint8_t>(state);
    std::memcpy(s.local_address, f.saddr, 16);
    std::memcpy(s.remote_address, f.daddr, 16);
    s.local_port = lport;
    s.remote_port = rport;
    return s;
}

// Range 100-109 with 105 reserved and a listener on 108: a pool of 8 ports. Toward
// 127.0.0.1:80, ports 100-103 are in TIME_WAIT and 104 and 106 open.
NetnsSnapshot snapshot(int tw_reuse = 2)
{
    NetnsSnapshot s;
    s.netns = netns;
    s.settings.low = 100;
    s.settings.high = 109;
    s.settings.reserved = {105};
    s.settings.tw_reuse = tw_reuse;
    s.sockets.push_back(diag(TcpState::listen, "0.0.0.0", 108, "0.0.0.0", 0));
    for (uint16_t port : {100, 101, 102, 103})
        s.sockets.push_back(diag(TcpState::time_wait, "127.0.0.1", port, "127.0.0.1", 80));
    for (uint16_t port : {104, 106})
        s.sockets.push_back(diag(TcpState::established, "127.0.0.1", port, "127.0.0.1", 80));
    return s;
}

Socket client(uint16_t lport, uint16_t rport = 80)
{
    return Socket{lport, make_flow("127.0.0.1", lport, "127.0.0.1", rport), {}};
}

state_event connect_start(uint16_t rport, bool bound)
{
    state_event e = without_local_port(client(0, rport).state(t0, TcpState::close, TcpState::syn_sent));
    if (bound)
        e.flags |= STATE_FLAG_PORT_BOUND;
    return e;
}

} // namespace

TEST_CASE("headroom: ports in use against the range less reserved and listening ports", "[ports]")
{
    PortHeadroom headroom(0.8, 10);
    CHECK(headroom.resync(snapshot(), unix_t0).empty());
    const PortsRecord r = headroom.report(netns, unix_t0, 1.0);
    CHECK((r.range_low == 100 && r.range_high == 109 && r.reserved == 1 && r.listening == 1 && r.pool == 8));
    REQUIRE(r.destinations.size() == 1);
    const PortDestination& d = r.destinations[0];
    CHECK((d.local_address == "127.0.0.1" && d.remote_address == "127.0.0.1" && d.remote_port == 80));
    CHECK((d.in_use == 6 && d.time_wait == 4 && d.available == 2));
    CHECK(d.utilization == Approx(0.75));
    // tcp_tw_reuse=2 (loopback): the TIME_WAIT ports may be taken again.
    CHECK(d.reusable == 4);
    CHECK(d.utilization_after_reuse == Approx(0.25));
    CHECK_FALSE(d.shared_pool);
    CHECK(headroom.connect_utilization(netns, "127.0.0.1", 80) == Approx(0.75));
    CHECK(headroom.bind_utilization(netns) == Approx(0.75));
    CHECK_FALSE(headroom.connect_utilization(netns + 1, "127.0.0.1", 80).has_value());
}

TEST_CASE("headroom: tcp_tw_reuse=0 reuses nothing", "[ports]")
{
    PortHeadroom headroom(0.8, 10);
    headroom.resync(snapshot(0), unix_t0);
    const PortDestination d = headroom.report(netns, unix_t0, 1.0).destinations.at(0);
    CHECK((d.reusable == 0 && d.utilization_after_reuse == Approx(0.75)));
}

TEST_CASE("headroom: live ports, one warning per crossing, rates and exhaustion", "[ports]")
{
    PortHeadroom headroom(0.8, 10);
    headroom.resync(snapshot(), unix_t0);
    CHECK(headroom.on_state(connect_start(80, false), unix_t0).empty());
    CHECK(headroom.on_state(connect_start(80, false), unix_t0).empty());

    // 7 of 8: crosses 80 %.
    const auto warnings =
        headroom.on_state(client(107).state(t0, TcpState::syn_sent, TcpState::established), unix_t0 + 5);
    REQUIRE(warnings.size() == 1);
    const auto& w = std::get<PortWarningRecord>(warnings[0]);
    CHECK((w.ts_ns == unix_t0 + 5 && w.remote_port == 80 && w.in_use == 7 && w.available == 1));
    CHECK(w.utilization == Approx(0.875));
    // Still above: no second warning.
    CHECK(
        headroom.on_state(client(109).state(t0, TcpState::syn_sent, TcpState::established), unix_t0).empty());
    // Closing first keeps the port (TIME_WAIT); a close after the peer's FIN frees it.
    headroom.on_state(client(109).state(t0, TcpState::fin_wait2, TcpState::close), unix_t0);
    headroom.on_state(client(107).state(t0, TcpState::last_ack, TcpState::close), unix_t0);
    // Ports outside the pool (reserved, listening, out of range) are not counted.
    for (uint16_t port : {105, 108, 99, 110})
        headroom.on_state(client(port).state(t0, TcpState::syn_sent, TcpState::established), unix_t0);

    const PortDestination d = headroom.report(netns, unix_t0, 2.0).destinations.at(0);
    CHECK((d.in_use == 7 && d.time_wait == 5));
    CHECK(d.opens_per_s == Approx(1.0));
    // 6 → 7 ports in 2 s: the last one in 2 s.
    REQUIRE(d.exhaustion_in_s.has_value());
    CHECK(*d.exhaustion_in_s == Approx(2.0));
    // Nothing changed since: not filling.
    CHECK_FALSE(headroom.report(netns, unix_t0, 2.0).destinations.at(0).exhaustion_in_s.has_value());

    // Below the threshold at a read re-arms the warning; crossing again warns again.
    CHECK(headroom.resync(snapshot(), unix_t0).empty());
    CHECK(
        headroom.on_state(client(107).state(t0, TcpState::syn_sent, TcpState::established), unix_t0).size() ==
        1);
}

TEST_CASE("headroom: a socket bound before connect() shares one pool with every destination", "[ports]")
{
    PortHeadroom headroom(0.8, 10);
    headroom.resync(snapshot(), unix_t0);
    headroom.on_state(connect_start(443, true), unix_t0);
    const auto warnings =
        headroom.on_state(client(107, 443).state(t0, TcpState::syn_sent, TcpState::established), unix_t0);
    REQUIRE(warnings.size() == 1);
    CHECK(std::get<PortWarningRecord>(warnings[0]).shared_pool);

    const PortsRecord r = headroom.report(netns, unix_t0, 1.0);
    REQUIRE(r.destinations.size() == 2);
    const PortDestination& shared = r.destinations[0];
    CHECK((shared.remote_port == 443 && shared.shared_pool && shared.bound_before_connect == 1));
    // One port of its own, seven taken in the namespace.
    CHECK((shared.in_use == 7 && shared.utilization == Approx(0.875) && shared.reusable == 0));
    CHECK((r.destinations[1].remote_port == 80 && !r.destinations[1].shared_pool &&
           r.destinations[1].in_use == 6));
}

TEST_CASE("headroom: past --max-peers the destinations are summed", "[ports]")
{
    PortHeadroom headroom(0.8, 1);
    NetnsSnapshot s = snapshot();
    s.sockets.push_back(diag(TcpState::established, "127.0.0.1", 107, "127.0.0.1", 81));
    s.sockets.push_back(diag(TcpState::time_wait, "127.0.0.1", 109, "127.0.0.2", 81));
    headroom.resync(s, unix_t0);
    const PortsRecord r = headroom.report(netns, unix_t0, 1.0);
    REQUIRE(r.destinations.size() == 2);
    CHECK(r.destinations[0].remote_port == 80);
    const PortDestination& rest = r.destinations[1];
    CHECK(
        (rest.local_address == "*" && rest.remote_address == "*" && rest.in_use == 2 && rest.time_wait == 1));
    CHECK(rest.utilization == Approx(0.125));
}

TEST_CASE("timewait: totals, sides and the top destinations", "[ports]")
{
    NetnsSnapshot s = snapshot();
    s.sockets.push_back(diag(TcpState::listen, "127.0.0.1", 8080, "0.0.0.0", 0));
    // The server closed first: its TIME_WAIT socket has the listener's port.
    s.sockets.push_back(diag(TcpState::time_wait, "127.0.0.1", 8080, "127.0.0.3", 100));
    // A listener gone: the non-ephemeral port tells the server's side.
    s.sockets.push_back(diag(TcpState::time_wait, "127.0.0.1", 9090, "127.0.0.3", 101));
    const TimeWaitRecord r = timewait_record(s, unix_t0, {3, 1}, 2.0, 1);
    CHECK((r.total == 6 && r.client_side == 4 && r.server_side == 2));
    CHECK((r.entered_client == 3 && r.entered_server == 1 && r.entering_per_s == Approx(2.0)));
    REQUIRE(r.by_destination.size() == 2);
    CHECK((r.by_destination[0].address == "127.0.0.1" && r.by_destination[0].port == 80 &&
           r.by_destination[0].count == 4 && r.by_destination[0].holder == TimeWaitHolder::client));
    CHECK((r.by_destination[1].address == "*" && r.by_destination[1].count == 2 &&
           r.by_destination[1].holder == TimeWaitHolder::server));
    REQUIRE(r.by_local.size() == 1);
    CHECK((r.by_local[0].address == "127.0.0.1" && r.by_local[0].count == 6 && !r.by_local[0].holder));

    // Server-held TIME_WAIT is grouped by the client's address only: its ports are ephemeral.
    const TimeWaitRecord all = timewait_record(s, unix_t0, {}, 2.0, 10);
    REQUIRE(all.by_destination.size() == 2);
    CHECK((all.by_destination[1].address == "127.0.0.3" && all.by_destination[1].port == 0 &&
           all.by_destination[1].count == 2 && all.by_destination[1].holder == TimeWaitHolder::server));
}

#include <catch2/catch.hpp>

#include "detectors/idle_close_race.h"
#include "event_builder.h"

using namespace connscope;
using namespace connscope::test;

namespace
{

const Socket client{7, make_flow("10.0.0.1", 40000, "10.0.0.2", 80), {}};

reset_event received(uint64_t bytes_received, uint32_t since_send_us, bool fin_received)
{
    reset_event e = client.reset(t0, RESET_RECEIVED, fin_received ? TcpState::close_wait : TcpState::established);
    e.bytes_received = bytes_received;
    e.since_send_us = since_send_us;
    e.srtt_us = 100;
    e.fin_received = fin_received;
    return e;
}

} // namespace

TEST_CASE("idle_close_race: a reset right after a send on a connection the peer closed", "[idle_close_race]")
{
    const auto race = idle_close_race(received(201, 0, true));
    REQUIRE(race);
    CHECK(race->peer_fin_first);
    CHECK(race->since_send_us == 0);
    // Data came before, no FIN: the peer's socket was gone.
    const auto gone = idle_close_race(received(200, 4'000, false));
    REQUIRE(gone);
    CHECK_FALSE(gone->peer_fin_first);
}

TEST_CASE("idle_close_race: near misses", "[idle_close_race]")
{
    // A fresh connection reset before any answer: refused or aborted, not reused.
    CHECK_FALSE(idle_close_race(received(0, 0, false)));
    // The reset came long after our last send: the peer aborted an idle connection.
    CHECK_FALSE(idle_close_race(received(200, 2 * 100 + 15'001, true)));
    // A reset this side sent.
    reset_event sent = received(201, 0, true);
    sent.direction = RESET_SENT;
    CHECK_FALSE(idle_close_race(sent));
}

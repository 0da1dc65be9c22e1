#include <catch2/catch.hpp>

#include "detectors/stall_detector.h"
#include "event_builder.h"

using namespace connscope;
using namespace connscope::test;

namespace
{

const Socket server{41, make_flow("10.0.0.2", 80, "10.0.0.1", 40000), {}};
const Socket client{42, make_flow("10.0.0.1", 40000, "10.0.0.2", 80), {}};

} // namespace

TEST_CASE("StallDetector: the peer's data right after our delayed ACK is a receiver stall", "[stall]")
{
    StallDetector detector;
    detector.on_delayed_ack(server.delayed_ack(t0 + 40 * ms, t0, 50));
    const auto stall = detector.on_data_after_delayed_ack(server.data_after(t0 + 40 * ms + 120 * us, t0 + 40 * ms));
    REQUIRE(stall);
    CHECK(stall->kind == StallKind::nagle_delayed_ack);
    CHECK(stall->side == StallSide::receiver);
    CHECK(stall->stall_us == 40'000);
    CHECK(stall->ts_ns == t0 + 40 * ms + 120 * us);
    CHECK_FALSE(stall->nodelay);
}

TEST_CASE("StallDetector: near misses on the receiving side are no stalls", "[stall]")
{
    StallDetector detector;
    SECTION("a delayed ACK that nothing followed")
    {
        detector.on_delayed_ack(server.delayed_ack(t0 + 40 * ms, t0, 50));
        detector.forget(server.cookie);
        CHECK_FALSE(detector.on_data_after_delayed_ack(server.data_after(t0 + 41 * ms, t0 + 40 * ms)));
    }
    SECTION("data long after the delayed ACK: the peer had nothing held")
    {
        detector.on_delayed_ack(server.delayed_ack(t0 + 40 * ms, t0, 50));
        // 2·min_rtt + 5 ms is the bound: 5.1 ms is past it.
        CHECK_FALSE(detector.on_data_after_delayed_ack(server.data_after(t0 + 45 * ms + 101 * us, t0 + 40 * ms)));
    }
    SECTION("data after a different, later delayed ACK than the one remembered")
    {
        detector.on_delayed_ack(server.delayed_ack(t0 + 40 * ms, t0, 50));
        CHECK_FALSE(detector.on_data_after_delayed_ack(server.data_after(t0 + 90 * ms, t0 + 89 * ms)));
    }
    SECTION("another socket's delayed ACK")
    {
        detector.on_delayed_ack(client.delayed_ack(t0 + 40 * ms, t0, 50));
        CHECK_FALSE(detector.on_data_after_delayed_ack(server.data_after(t0 + 40 * ms + 10 * us, t0 + 40 * ms)));
    }
    SECTION("no data before the delayed ACK is known")
    {
        detector.on_delayed_ack(server.delayed_ack(t0 + 40 * ms, 0, 50));
        CHECK_FALSE(detector.on_data_after_delayed_ack(server.data_after(t0 + 40 * ms + 10 * us, t0 + 40 * ms)));
    }
}

TEST_CASE("StallDetector: the window after a delayed ACK grows with the round trip", "[stall]")
{
    StallDetector detector;
    // min_rtt 30 ms: the held data may come 2·30 + 5 = 65 ms after our ACK.
    detector.on_delayed_ack(server.delayed_ack(t0 + 200 * ms, t0, 30'000));
    CHECK(detector.on_data_after_delayed_ack(server.data_after(t0 + 264 * ms, t0 + 200 * ms)));
}

TEST_CASE("StallDetector: a small send held until a late ACK is a sender stall", "[stall]")
{
    const StallDetector detector;
    SECTION("Nagle on")
    {
        const auto stall = detector.on_held_send_released(client.released(t0 + 41 * ms, t0, 50, false));
        REQUIRE(stall);
        CHECK(stall->kind == StallKind::nagle_delayed_ack);
        CHECK(stall->side == StallSide::sender);
        CHECK(stall->stall_us == 41'000);
        CHECK(stall->nodelay == false);
    }
    SECTION("TCP_NODELAY on: the congestion window held it")
    {
        const auto stall = detector.on_held_send_released(client.released(t0 + 41 * ms, t0, 50, true));
        REQUIRE(stall);
        CHECK(stall->kind == StallKind::delayed_ack);
        CHECK(stall->nodelay == true);
    }
}

TEST_CASE("StallDetector: a held send released by a prompt ACK is no stall", "[stall]")
{
    const StallDetector detector;
    CHECK_FALSE(detector.on_held_send_released(client.released(t0 + 80 * us, t0, 50, false)));
    // On a long path the ACK takes a round trip: min_rtt + 10 ms is still on time.
    CHECK_FALSE(detector.on_held_send_released(client.released(t0 + 60 * ms, t0, 50'000, false)));
    // ... and a delayed ACK on top of it is late.
    CHECK(detector.on_held_send_released(client.released(t0 + 90 * ms, t0, 50'000, false)));
    CHECK_FALSE(detector.on_held_send_released(client.released(t0, t0 + 1 * ms, 50, false)));
}

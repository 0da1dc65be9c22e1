#include <catch2/catch.hpp>

#include "reader_yield.h"

using namespace connscope;

namespace
{

constexpr uint64_t ms = 1'000'000;

} // namespace

TEST_CASE("the reader yields while it keeps up", "[reader_yield]")
{
    ReaderYield yield;
    CHECK(yield.yielding());
    CHECK(yield.update(0.0, 0, 0));
    CHECK(yield.update(0.1, 120 * ms, 10 * ms)); // a sixteenth wakes it; a poll is 100 ms
}

TEST_CASE("the reader stops yielding when the ring fills or its loop stalls", "[reader_yield]")
{
    SECTION("an eighth of the ring unread")
    {
        ReaderYield yield;
        CHECK_FALSE(yield.update(1.0 / 8, 0, 0));
    }
    SECTION("no turn of its loop for a quarter of a second")
    {
        ReaderYield yield;
        CHECK_FALSE(yield.update(0.0, 250 * ms, 0));
    }
}

TEST_CASE("the reader yields again only after a second nearly caught up", "[reader_yield]")
{
    ReaderYield yield;
    REQUIRE_FALSE(yield.update(0.5, 0, 0));
    CHECK_FALSE(yield.update(0.01, 0, 100 * ms)); // under a sixty-fourth: the second starts
    CHECK_FALSE(yield.update(0.01, 0, 600 * ms));
    CHECK_FALSE(yield.update(0.05, 0, 900 * ms)); // between the marks: it starts over
    CHECK_FALSE(yield.update(0.01, 0, 1000 * ms));
    CHECK_FALSE(yield.update(0.01, 0, 1900 * ms));
    CHECK(yield.update(0.01, 0, 2000 * ms));
    CHECK(yield.yielding());
}

#include <catch2/catch.hpp>

#include "error.h"
#include "port_settings.h"

using namespace connscope;

TEST_CASE("port settings: the sysctl texts", "[ports]")
{
    PortSettings settings;
    parse_port_range("40000\t40039\n", settings);
    CHECK(settings.low == 40000);
    CHECK(settings.high == 40039);
    CHECK(parse_port_list("\n").empty());
    CHECK(parse_port_list("8080,40000-40002\n") == std::set<uint16_t>{8080, 40000, 40001, 40002});
    CHECK_THROWS_AS(parse_port_range("40000", settings), UserError);
    CHECK_THROWS_AS(parse_port_range("5 4", settings), UserError);
    CHECK_THROWS_AS(parse_port_range("1 70000", settings), UserError);
    CHECK_THROWS_AS(parse_port_list("8080,x"), UserError);
}

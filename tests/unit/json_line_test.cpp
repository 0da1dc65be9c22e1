#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "json_line.h"

using namespace connscope;

TEST_CASE("JsonLine writes one valid JSON object per line, whatever the text", "[json_line]")
{
    const std::string awkward = std::string("a\"b\\c\n\t\x01/", 9);
    const std::string invalid_utf8 = "caf\xc3 \xff";
    const std::string line = JsonLine()
                                 .text("plain", "GET")
                                 .text("awkward", awkward)
                                 .text("bytes", invalid_utf8)
                                 .text_or_null("none", "")
                                 .number("n", 18446744073709551615ull)
                                 .number_or_null("some", 7)
                                 .number_or_null("unset", std::nullopt)
                                 .boolean("yes", true)
                                 .finish();
    REQUIRE(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);
    const auto parsed = nlohmann::json::parse(line);
    CHECK(parsed["plain"] == "GET");
    CHECK(parsed["awkward"] == awkward);
    CHECK(parsed["bytes"].get<std::string>().find("caf") == 0);
    CHECK(parsed["none"].is_null());
    CHECK(parsed["n"].get<uint64_t>() == 18446744073709551615ull);
    CHECK(parsed["some"] == 7);
    CHECK(parsed["unset"].is_null());
    CHECK(parsed["yes"] == true);
    CHECK(JsonLine().finish() == "{}\n");
}

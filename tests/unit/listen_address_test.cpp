#include <catch2/catch.hpp>

#include "cli.h"
#include "listen_address.h"

using namespace connscope;

namespace
{

std::string parsed(const std::string& text)
{
    const auto address = parse_listen_address(text);
    return address ? address->host + " " + std::to_string(address->port) : "invalid";
}

} // namespace

TEST_CASE("parse_listen_address: a port alone listens on 127.0.0.1", "[listen_address]")
{
    CHECK(parsed("9917") == "127.0.0.1 9917");
    CHECK(parsed(":9917") == "127.0.0.1 9917");
    CHECK(parsed("0.0.0.0:9917") == "0.0.0.0 9917");
    CHECK(parsed("localhost:1") == "localhost 1");
    CHECK(parsed("[::1]:65535") == "::1 65535");
}

TEST_CASE("parse_listen_address: rejects what is not HOST:PORT", "[listen_address]")
{
    for (const char* bad : {"", ":", "0", "65536", "x", "host:", "host:port", "::1:9917", "[::1:9917", "[]:9917",
                            "9917 ", "-1"})
        CHECK(parsed(bad) == "invalid");
}

TEST_CASE("parse_cli: --metrics-addr, --max-peers, --max-processes", "[cli][listen_address]")
{
    const ParsedCli with = parse_cli({"run", "--metrics-addr", ":9100", "--max-peers", "7", "--max-processes", "3"});
    REQUIRE(std::holds_alternative<RunCommand>(with));
    const RunOptions& options = std::get<RunCommand>(with).options;
    REQUIRE(options.metrics_address);
    CHECK(options.metrics_address->host == "127.0.0.1");
    CHECK(options.metrics_address->port == 9100);
    CHECK(options.label_limits.max_peers == 7);
    CHECK(options.label_limits.max_processes == 3);

    const ParsedCli without = parse_cli({});
    REQUIRE(std::holds_alternative<RunCommand>(without));
    CHECK_FALSE(std::get<RunCommand>(without).options.metrics_address);

    for (const std::vector<std::string> bad : {std::vector<std::string>{"--metrics-addr", "nonsense"},
                                               {"--max-peers", "0"}, {"--max-processes", "x"}}) {
        const ParsedCli parsed = parse_cli(bad);
        REQUIRE(std::holds_alternative<CliExit>(parsed));
        CHECK(std::get<CliExit>(parsed).code == 2);
    }
}

TEST_CASE("parse_cli: dashboards and metrics-doc", "[cli]")
{
    const ParsedCli dashboards = parse_cli({"dashboards", "--out", "/tmp/d"});
    REQUIRE(std::holds_alternative<DashboardsCommand>(dashboards));
    CHECK(std::get<DashboardsCommand>(dashboards).out_dir == "/tmp/d");
    const ParsedCli default_dir = parse_cli({"dashboards"});
    REQUIRE(std::holds_alternative<DashboardsCommand>(default_dir));
    CHECK(std::get<DashboardsCommand>(default_dir).out_dir == "dashboards");
    const ParsedCli doc = parse_cli({"metrics-doc"});
    REQUIRE(std::holds_alternative<MetricsDocCommand>(doc));
    CHECK(std::get<MetricsDocCommand>(doc).out_file.empty());
}

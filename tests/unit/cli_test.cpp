#include <catch2/catch.hpp>

#include <algorithm>

#include "cli.h"
#include "version.h"

using namespace connscope;

namespace
{

RunOptions run_options(const std::vector<std::string>& args)
{
    const ParsedCli parsed = parse_cli(args);
    if (const auto* exit = std::get_if<CliExit>(&parsed))
        FAIL("parse_cli exited with " << exit->code << ": " << exit->text);
    REQUIRE(std::holds_alternative<RunCommand>(parsed));
    return std::get<RunCommand>(parsed).options;
}

CheckOptions check_options(const std::vector<std::string>& args)
{
    const ParsedCli parsed = parse_cli(args);
    if (const auto* exit = std::get_if<CliExit>(&parsed))
        FAIL("parse_cli exited with " << exit->code << ": " << exit->text);
    REQUIRE(std::holds_alternative<CheckCommand>(parsed));
    return std::get<CheckCommand>(parsed).options;
}

CliExit cli_exit(const std::vector<std::string>& args)
{
    const ParsedCli parsed = parse_cli(args);
    REQUIRE(std::holds_alternative<CliExit>(parsed));
    return std::get<CliExit>(parsed);
}

} // namespace

TEST_CASE("parse_cli: no arguments run with the defaults", "[cli]")
{
    const RunOptions options = run_options({});

    CHECK(options.format == Format::automatic);
    CHECK_FALSE(options.duration_s.has_value());
    CHECK_FALSE(options.interval_s.has_value());
    CHECK(options.output.empty());
    CHECK(options.netns_path.empty());
    CHECK(options.pid == 0);
    CHECK(options.port == 0);
    CHECK(options.probes.mechanism == Mechanism::automatic);
}

TEST_CASE("parse_cli: `run` alone is the default command", "[cli]")
{
    const RunOptions options = run_options({"run"});

    CHECK(options.format == Format::automatic);
    CHECK_FALSE(options.duration_s.has_value());
}

TEST_CASE("parse_cli: run options after `run`", "[cli]")
{
    const RunOptions options = run_options({"run", "--format", "json", "--duration", "2", "--interval", "1",
                                            "--port", "80", "--pid", "5", "--mechanism", "raw_tp"});

    CHECK(options.format == Format::json);
    REQUIRE(options.duration_s.has_value());
    CHECK(*options.duration_s == 2.0);
    REQUIRE(options.interval_s.has_value());
    CHECK(*options.interval_s == 1.0);
    CHECK(options.port == 80);
    CHECK(options.pid == 5);
    CHECK(options.probes.mechanism == Mechanism::raw_tp);
}

TEST_CASE("parse_cli: run options before `run`", "[cli]")
{
    const RunOptions options = run_options(
        {"--format", "table", "--duration", "0.5", "--port", "443", "--mechanism", "tp_btf", "run"});

    CHECK(options.format == Format::table);
    REQUIRE(options.duration_s.has_value());
    CHECK(*options.duration_s == 0.5);
    CHECK(options.port == 443);
    CHECK(options.probes.mechanism == Mechanism::tp_btf);
}

TEST_CASE("parse_cli: run options without `run`", "[cli]")
{
    const RunOptions options =
        run_options({"--format=json", "--output", "/tmp/records.ndjson", "--pid", "4194304"});

    CHECK(options.format == Format::json);
    CHECK(options.output == "/tmp/records.ndjson");
    CHECK(options.pid == 4194304);
}

TEST_CASE("parse_cli: --netns takes an existing path", "[cli]")
{
    const RunOptions options = run_options({"run", "--netns", "/proc/self/ns/net"});

    CHECK(options.netns_path == "/proc/self/ns/net");
}

TEST_CASE("parse_cli: check --json", "[cli]")
{
    CHECK(check_options({"check", "--json"}).json);
    CHECK_FALSE(check_options({"check"}).json);
    CHECK(check_options({"check"}).probes.mechanism == Mechanism::automatic);
}

TEST_CASE("parse_cli: check --mechanism", "[cli]")
{
    CHECK(check_options({"check", "--mechanism", "tp_btf"}).probes.mechanism == Mechanism::tp_btf);
    CHECK(check_options({"check", "--mechanism", "raw_tp"}).probes.mechanism == Mechanism::raw_tp);
    CHECK(check_options({"check", "--mechanism", "auto"}).probes.mechanism == Mechanism::automatic);
}

TEST_CASE("parse_cli: a usage error is exit code 2 and one line naming connscope", "[cli]")
{
    const std::vector<std::vector<std::string>> bad{
        {"--bogus"},
        {"run", "--bogus"},
        {"--format", "xml"},
        {"run", "--format", "xml"},
        {"--duration", "-1"},
        {"--duration", "0"},
        {"--duration", "abc"},
        {"--interval", "abc"},
        {"--port", "0"},
        {"--port", "70000"},
        {"--pid", "0"},
        {"--mechanism", "foo"},
        {"check", "--mechanism", "foo"},
        {"--netns", "/nonexistent"},
        {"--format"},
        {"frobnicate"},
    };
    for (const auto& args : bad) {
        std::string joined;
        for (const auto& arg : args)
            joined += arg + " ";
        INFO("connscope " << joined);
        const CliExit exit = cli_exit(args);
        INFO("text: " << exit.text);
        CHECK(exit.code == 2);
        CHECK(exit.text.rfind("connscope: ", 0) == 0);
        CHECK(std::count(exit.text.begin(), exit.text.end(), '\n') == 1);
        CHECK(exit.text.back() == '\n');
    }
}

TEST_CASE("parse_cli: a usage error names the option and the value that was wrong", "[cli]")
{
    const std::vector<std::pair<std::vector<std::string>, std::vector<std::string>>> cases{
        {{"--format", "xml"}, {"--format", "xml"}},
        {{"--duration", "-1"}, {"--duration", "-1", "positive"}},
        {{"--duration", "abc"}, {"--duration", "abc"}},
        {{"--port", "70000"}, {"--port", "70000"}},
        {{"--pid", "0"}, {"--pid", "0"}},
        {{"--mechanism", "foo"}, {"--mechanism", "foo"}},
        {{"--netns", "/nonexistent"}, {"--netns", "/nonexistent"}},
        {{"--bogus"}, {"--bogus"}},
    };
    for (const auto& [args, expected] : cases) {
        const std::string text = cli_exit(args).text;
        INFO(text);
        for (const std::string& part : expected)
            CHECK_THAT(text, Catch::Contains(part));
    }
}

TEST_CASE("parse_cli: a duration too long for the nanosecond clock is rejected", "[cli][!mayfail]")
{
    // run_command() turns these into uint64_t nanoseconds; inf and 1e300 overflow (undefined
    // behaviour). Fails today: both are accepted.
    for (const char* seconds : {"inf", "1e300"}) {
        INFO("--duration " << seconds);
        const ParsedCli parsed = parse_cli({"--duration", seconds});
        REQUIRE(std::holds_alternative<CliExit>(parsed));
        CHECK(std::get<CliExit>(parsed).code == 2);
    }
}

TEST_CASE("parse_cli: --help is exit code 0 with the options", "[cli]")
{
    const CliExit exit = cli_exit({"--help"});

    CHECK(exit.code == 0);
    CHECK_THAT(exit.text, Catch::Contains("--format"));
    CHECK_THAT(exit.text, Catch::Contains("--duration"));
    CHECK_THAT(exit.text, Catch::Contains("check"));
}

TEST_CASE("parse_cli: --version is exit code 0 with the version", "[cli]")
{
    const CliExit exit = cli_exit({"--version"});

    CHECK(exit.code == 0);
    CHECK_THAT(exit.text, Catch::Contains(version));
    CHECK(std::string(version).find('.') != std::string::npos);
}

TEST_CASE("parse_cli: the TCP detector options", "[cli]")
{
    const RunOptions defaults = run_options({});
    CHECK_FALSE(defaults.verbose_events);
    CHECK(defaults.slow_handshake_ms == 200);

    const RunOptions set = run_options({"--verbose-events", "--slow-handshake-ms", "0"});
    CHECK(set.verbose_events);
    CHECK(set.slow_handshake_ms == 0);

    const ParsedCli bad = parse_cli({"--slow-handshake-ms", "-5"});
    REQUIRE(std::holds_alternative<CliExit>(bad));
    CHECK(std::get<CliExit>(bad).code == 2);
}

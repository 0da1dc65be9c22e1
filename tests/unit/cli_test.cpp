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
    CHECK_FALSE(options.probes.http_syscall_hooks);
    CHECK(options.cpu_yield);
    CHECK_FALSE(run_options({"--no-cpu-yield"}).cpu_yield);
}

TEST_CASE("parse_cli: --http-syscall-hooks, for run and check", "[cli]")
{
    CHECK(run_options({"--http-syscall-hooks"}).probes.http_syscall_hooks);
    CHECK(run_options({"run", "--http-syscall-hooks"}).probes.http_syscall_hooks);
    CHECK(check_options({"check", "--http-syscall-hooks"}).probes.http_syscall_hooks);
    CHECK_FALSE(check_options({"check"}).probes.http_syscall_hooks);
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
        {{"--duration", "-1"}, {"--duration", "-1", "seconds from 0.001"}},
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

TEST_CASE("parse_cli: durations the nanosecond clock cannot hold are rejected", "[cli]")
{
    // run_command() turns these into uint64_t nanoseconds; an interval below a millisecond
    // would round to no interval at all.
    for (const char* seconds : {"inf", "nan", "1e300", "0.0000001"}) {
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

TEST_CASE("parse_cli: --max-peers and --port-warn", "[cli][ports]")
{
    const RunOptions defaults = run_options({});
    CHECK((defaults.label_limits.max_peers == 20 && defaults.port_warn_percent == 80));
    const RunOptions set = run_options({"run", "--max-peers", "3", "--port-warn", "95.5"});
    CHECK((set.label_limits.max_peers == 3 && set.port_warn_percent == 95.5));
    for (const auto& bad : std::vector<std::vector<std::string>>{
             {"--max-peers", "0"}, {"--port-warn", "0"}, {"--port-warn", "101"}, {"--port-warn", "x"}}) {
        INFO(bad[0] << " " << bad[1]);
        const CliExit exit = cli_exit(bad);
        CHECK(exit.code == 2);
        CHECK_THAT(exit.text, Catch::Contains(bad[0]));
    }
}

TEST_CASE("parse_cli: HTTP capture settings", "[cli][http]")
{
    const RunOptions defaults = run_options({});
    CHECK(defaults.http.enabled);
    CHECK(defaults.http.capture_bytes == 512);
    CHECK_FALSE(defaults.http.keep_query);

    const RunOptions set = run_options({"--no-http", "--http-capture-bytes", "1024", "--http-query"});
    CHECK_FALSE(set.http.enabled);
    CHECK(set.http.capture_bytes == 1024);
    CHECK(set.http.keep_query);

    for (const char* bad : {"63", "1025", "lots"}) {
        const ParsedCli parsed = parse_cli({"--http-capture-bytes", bad});
        REQUIRE(std::holds_alternative<CliExit>(parsed));
        CHECK(std::get<CliExit>(parsed).code == 2);
    }
}

TEST_CASE("parse_cli: --http-sample", "[cli][http]")
{
    CHECK(run_options({}).http.sample_every == 1);
    CHECK(run_options({"--http-sample", "10"}).http.sample_every == 10);
    for (const char* bad : {"0", "1000001", "-3", "half"}) {
        INFO(bad);
        const ParsedCli parsed = parse_cli({"--http-sample", bad});
        REQUIRE(std::holds_alternative<CliExit>(parsed));
        CHECK(std::get<CliExit>(parsed).code == 2);
    }
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

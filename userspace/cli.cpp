#include "cli.h"

#include <CLI/CLI.hpp>

#include <map>

#include "version.h"

namespace connscope {
namespace {

const std::map<std::string, Mechanism> mechanisms{
    {"auto", Mechanism::automatic}, {"tp_btf", Mechanism::tp_btf}, {"raw_tp", Mechanism::raw_tp}};
const std::map<std::string, Format> formats{{"json", Format::json}, {"table", Format::table}};

// "--format: xml is not one of: json, table"
template <typename Value>
CLI::Validator one_of(const std::map<std::string, Value>& choices)
{
    std::string names;
    for (const auto& [name, value] : choices)
        names += (names.empty() ? "" : ", ") + name;
    return CLI::Validator(
        [&choices, names](std::string& input) -> std::string {
            return choices.contains(input) ? "" : input + " is not one of: " + names;
        },
        "{" + names + "}");
}

// Between a millisecond and ten years: the run loop counts in nanoseconds.
const CLI::Validator seconds_range(
    [](std::string& input) -> std::string {
        double value = 0;
        const bool ok = CLI::detail::lexical_cast(input, value) && value >= 0.001 && value <= 315'360'000;
        return ok ? "" : input + " is not a number of seconds from 0.001 to 315360000";
    },
    "SECONDS");

const CLI::Validator listen_address(
    [](std::string& input) -> std::string {
        return parse_listen_address(input) ? "" : input + " is not PORT, :PORT, HOST:PORT or [IPV6]:PORT";
    },
    "HOST:PORT");

void add_probe_settings(CLI::App& app, ProbeSettings& settings, std::string& mechanism)
{
    app.add_option("--mechanism", mechanism,
                   "Attach kind for the tracepoints: auto (tp_btf, else raw_tp), tp_btf or raw_tp")
        ->check(one_of(mechanisms));
    app.add_flag("--http-syscall-hooks", settings.http_syscall_hooks,
                 "Capture HTTP data at the syscall tracepoints, which run for every syscall, even where "
                 "the socket tracepoints (only socket I/O) exist");
    app.add_option("--ring-buffer-kib", settings.ring_buffer_kib,
                   "Size of the kernel→user event ring buffer in KiB (a power of two)")
        ->check(CLI::Range(64u, 1u << 20));
    app.add_option("--max-connections", settings.max_connections,
                   "Connections the kernel tracks at once (LRU)")
        ->check(CLI::Range(1024u, 1u << 24));
}

}  // namespace

ParsedCli parse_cli(const std::vector<std::string>& args)
{
    CLI::App app{"connscope: watch TCP connections live with eBPF, and what slows them down",
                 "connscope"};
    app.set_version_flag("--version", std::string(version));
    app.require_subcommand(0, 1);

    RunOptions run;
    std::string format = "auto";
    std::string mechanism = "auto";
    app.add_option("--format", format, "json (NDJSON) or table; default: table on a terminal, json otherwise")
        ->check(one_of(formats));
    app.add_option("--output", run.output, "Write records to FILE instead of stdout");
    app.add_option("--duration", run.duration_s, "Stop after SECONDS")->check(seconds_range);
    app.add_option("--interval", run.interval_s, "Print a summary every SECONDS")->check(seconds_range);
    app.add_option("--netns", run.netns_path,
                   "Only sockets in this network namespace (/run/netns/NAME, /proc/PID/ns/net)")
        ->check(CLI::ExistingPath);
    app.add_option("--pid", run.pid, "Only connections of this process (connect() or accept())")
        ->check(CLI::Range(1u, 4194304u));
    app.add_option("--port", run.port, "Only connections with this local or remote port")
        ->check(CLI::Range(1, 65535));
    app.add_option("--port-warn", run.port_warn_percent,
                   "Source-port utilization (percent) whose crossing makes a port_warning")
        ->check(CLI::Range(1.0, 100.0));
    app.add_flag("--verbose-events", run.verbose_events,
                 "Also write a record per event that is otherwise only counted (retransmits)");
    app.add_option("--slow-handshake-ms", run.slow_handshake_ms,
                   "A handshake record for every handshake at least this slow; 0: none")
        ->check(CLI::Range(0u, 3'600'000u));
    add_probe_settings(app, run.probes, mechanism);
    std::string metrics_address;
    app.add_option("--metrics-addr", metrics_address,
                   "Serve Prometheus metrics at http://HOST:PORT/metrics (PORT alone: on 127.0.0.1)")
        ->check(listen_address);
    app.add_option("--max-peers", run.label_limits.max_peers,
                   "Peers listed in ports and timewait records and given metric series of their own; "
                   "the rest are summed (\"other\")")
        ->check(CLI::Range(1u, 10000u));
    app.add_option("--max-processes", run.label_limits.max_processes,
                   "Process names with metric series of their own; the rest are counted as \"other\"")
        ->check(CLI::Range(1u, 10000u));
    bool no_cpu_yield = false;
    app.add_flag("--no-cpu-yield", no_cpu_yield,
                 "Read events at normal CPU priority; by default the reader yields to every other task "
                 "(SCHED_IDLE) while it keeps up");
    bool no_http = false;
    app.add_flag("--no-http", no_http, "Do not capture HTTP/1.x transactions");
    app.add_option("--http-capture-bytes", run.http.capture_bytes,
                   "Bytes copied from the start of each socket read/write to parse HTTP heads")
        ->check(CLI::Range(64u, 1024u));
    app.add_flag("--http-query", run.http.keep_query, "Keep the query string in http records' path");
    app.add_option("--http-sample", run.http.sample_every,
                   "Capture HTTP on one connection in N (both ends of a connection alike); 1: every connection")
        ->check(CLI::Range(1u, 1000000u));

    CLI::App* run_cmd = app.add_subcommand("run", "Attach, stream records, summarise at exit (the default)");
    run_cmd->fallthrough();

    CheckOptions check;
    CLI::App* check_cmd = app.add_subcommand("check", "Say what this kernel offers and which hook serves each signal");
    check_cmd->add_flag("--json", check.json, "One JSON object instead of text");
    std::string check_mechanism = "auto";
    add_probe_settings(*check_cmd, check.probes, check_mechanism);

    DashboardsCommand dashboards{"dashboards"};
    CLI::App* dashboards_cmd =
        app.add_subcommand("dashboards", "Write the Grafana dashboards (JSON models for import) to a directory");
    dashboards_cmd->add_option("--out", dashboards.out_dir, "Directory to write them to (default: dashboards)");

    MetricsDocCommand metrics_doc;
    CLI::App* metrics_doc_cmd =
        app.add_subcommand("metrics-doc", "Write the metrics reference (docs/metrics.md) in markdown");
    metrics_doc_cmd->add_option("--out", metrics_doc.out_file, "File to write it to (default: stdout)");

    try {
        std::vector<std::string> reversed(args.rbegin(), args.rend());
        app.parse(reversed);
    } catch (const CLI::CallForHelp&) {
        return CliExit{0, app.help()};
    } catch (const CLI::CallForAllHelp&) {
        return CliExit{0, app.help("", CLI::AppFormatMode::All)};
    } catch (const CLI::CallForVersion&) {
        return CliExit{0, std::string(version) + "\n"};
    } catch (const CLI::ParseError& e) {
        return CliExit{2, "connscope: " + std::string(e.what()) + " (see connscope --help)\n"};
    }
    if (check_cmd->parsed()) {
        check.probes.mechanism = mechanisms.at(check_mechanism);
        return CheckCommand{check};
    }
    if (dashboards_cmd->parsed())
        return dashboards;
    if (metrics_doc_cmd->parsed())
        return metrics_doc;
    if (!metrics_address.empty())
        run.metrics_address = parse_listen_address(metrics_address);
    run.format = format == "auto" ? Format::automatic : formats.at(format);
    run.probes.mechanism = mechanisms.at(mechanism);
    run.http.enabled = !no_http;
    run.cpu_yield = !no_cpu_yield;
    return RunCommand{run};
}

}  // namespace connscope

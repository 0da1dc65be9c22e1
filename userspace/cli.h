// Command line → options. Pure: parse_cli() never exits the process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "listen_address.h"
#include "metrics_table.h"

namespace connscope {

enum class Format { automatic, json, table };
enum class Mechanism { automatic, tp_btf, raw_tp };

struct ProbeSettings {
    Mechanism mechanism = Mechanism::automatic;
    bool http_syscall_hooks = false;  // HTTP data from the syscall tracepoints even where socket ones exist
    uint32_t ring_buffer_kib = 8192;
    uint32_t max_connections = 65536;
};

struct HttpOptions {
    bool enabled = true;
    uint32_t capture_bytes = 512;
    uint32_t sample_every = 1;  // capture one connection in this many
    bool keep_query = false;
};

struct RunOptions {
    Format format = Format::automatic;
    std::string output;  // empty: stdout
    std::optional<double> duration_s;
    std::optional<double> interval_s;
    std::string netns_path;
    uint32_t pid = 0;
    uint16_t port = 0;
    double port_warn_percent = 80;    // port utilization that makes a port_warning
    bool verbose_events = false;
    uint32_t slow_handshake_ms = 200;
    ProbeSettings probes;
    std::optional<ListenAddress> metrics_address;
    LabelLimits label_limits;
    HttpOptions http;
    bool cpu_yield = true;  // the event reader at SCHED_IDLE while it keeps up
};

struct CheckOptions {
    bool json = false;
    ProbeSettings probes;
};

struct RunCommand {
    RunOptions options;
};
struct CheckCommand {
    CheckOptions options;
};
struct DashboardsCommand {
    std::string out_dir;
};
struct MetricsDocCommand {
    std::string out_file;  // empty: stdout
};
// Help, version or a usage error: what to print, where, and the exit code.
struct CliExit {
    int code = 0;
    std::string text;
};

using ParsedCli = std::variant<RunCommand, CheckCommand, DashboardsCommand, MetricsDocCommand, CliExit>;

ParsedCli parse_cli(const std::vector<std::string>& args);

}  // namespace connscope

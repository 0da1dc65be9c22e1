// Command line → options. Pure: parse_cli() never exits the process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace connscope {

enum class Format { automatic, json, table };
enum class Mechanism { automatic, tp_btf, raw_tp };

struct ProbeSettings {
    Mechanism mechanism = Mechanism::automatic;
    uint32_t ring_buffer_kib = 8192;
    uint32_t max_connections = 65536;
};

struct RunOptions {
    Format format = Format::automatic;
    std::string output;  // empty: stdout
    std::optional<double> duration_s;
    std::optional<double> interval_s;
    std::string netns_path;
    uint32_t pid = 0;
    uint16_t port = 0;
    bool verbose_events = false;
    uint32_t slow_handshake_ms = 200;
    ProbeSettings probes;
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
// Help, version or a usage error: what to print, where, and the exit code.
struct CliExit {
    int code = 0;
    std::string text;
};

using ParsedCli = std::variant<RunCommand, CheckCommand, CliExit>;

ParsedCli parse_cli(const std::vector<std::string>& args);

}  // namespace connscope

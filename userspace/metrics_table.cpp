#include "metrics_table.h"

#include <array>
#include <stdexcept>

namespace connscope {
namespace {

// Handshakes on a LAN take tens of microseconds; a lost SYN adds 1 s, then 3 s, 7 s, ...
const std::vector<double> handshake_buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,     10};

const std::vector<MetricSpec> metrics{
    {MetricId::build_info, "connscope_build_info", "connscope instances by version", MetricType::gauge, {"version"},
     "Always 1; the version label says which connscope is running", "the binary", {},
     Dashboard::overview, false},
    {MetricId::connections, "connscope_connections_total", "Connections opened", MetricType::counter, {"direction"},
     "TCP connections opened: active (this host connected) or passive (this host accepted)",
     "kernel totals (equal TcpActiveOpens and TcpPassiveOpens)", {}, Dashboard::handshakes, true},
    {MetricId::connections_open, "connscope_connections_open", "Open connections", MetricType::gauge, {},
     "Connections seen opening and not closed yet", "connection table", {}, Dashboard::handshakes, true},
    {MetricId::connections_closed, "connscope_connections_closed_total", "Connections closed by how they ended", MetricType::counter,
     {"peer", "process", "close"}, "Connections closed, by how they ended (the conn record's close field)",
     "conn records", {}, Dashboard::handshakes, false},
    {MetricId::time_wait_closes, "connscope_time_wait_closes_total", "Closes leaving TIME_WAIT here", MetricType::counter, {"peer", "process"},
     "Connections closed whose 4-tuple this host holds in TIME_WAIT (this side closed first)",
     "conn records with time_wait", {}, Dashboard::time_wait, false},
    {MetricId::handshake_seconds, "connscope_handshake_seconds", "Handshake time", MetricType::histogram,
     {"peer", "process", "role"},
     "TCP handshake time: client SYN to ESTABLISHED, server SYN-ACK round trip (SYN retransmits included)",
     "conn records with a handshake observed", handshake_buckets, Dashboard::handshakes, true},
    {MetricId::retransmits, "connscope_retransmits_total", "Retransmitted segments", MetricType::counter, {"kind"},
     "Segments retransmitted: syn (SYNs and SYN-ACKs) or other (data and FIN); together TcpRetransSegs",
     "kernel totals", {}, Dashboard::stalls, true},
    {MetricId::resets, "connscope_resets_total", "Resets", MetricType::counter, {"direction"},
     "TCP resets sent (equals TcpOutRsts) or received", "kernel totals", {}, Dashboard::stalls, true},
    {MetricId::connect_errors, "connscope_connect_errors_total", "connect() errors", MetricType::counter, {"errno"},
     "Failed connect() calls, by the errno they failed with", "kernel totals", {}, Dashboard::handshakes,
     true},
    {MetricId::events_lost, "connscope_events_lost_total", "Events lost (ring buffer full)", MetricType::counter, {},
     "Events dropped because the ring buffer was full (totals stay exact; raise --ring-buffer-kib)",
     "kernel totals", {}, Dashboard::overview, true},
    {MetricId::time_wait_sockets, "connscope_time_wait_sockets", "TIME_WAIT sockets", MetricType::gauge,
     {"netns", "side"},
     "Sockets in TIME_WAIT now, by the side holding them (the side that closed first); sockets already in TIME_WAIT "
     "when connscope started count too",
     "the kernel's socket table, read every 5 s and at every --interval (timewait records)", {}, Dashboard::time_wait, false},
    {MetricId::port_utilization, "connscope_port_utilization_ratio", "Source-port utilization", MetricType::gauge,
     {"netns", "peer"},
     "Share (0 to 1) of the source ports a connect() to the peer can use that are taken, TIME_WAIT included; "
     "for peers folded into other, the highest",
     "the socket table and live state changes, every 5 s and at every --interval (ports records)", {}, Dashboard::time_wait, true},
    {MetricId::port_warnings, "connscope_port_warnings_total", "Port warnings", MetricType::counter,
     {"netns", "peer"}, "Times a destination's source-port utilization reached --port-warn", "port_warning records",
     {}, Dashboard::time_wait, false},
};

const std::array<LabelSpec, 10> labels{{
    {"version", "connscope's version"},
    {"direction", "`active`/`passive` for connections, `sent`/`received` for resets"},
    {"peer",
     "the remote end: `address:port` when this host is the client, `address` when it is the server "
     "(the client's port is ephemeral); IPv6 as `[address]:port`. At most `--max-peers` values, "
     "then `other` (see Cardinality)"},
    {"process",
     "the command name (comm) of the process that connected or accepted. At most `--max-processes` "
     "values, then `other` (see Cardinality)"},
    {"role", "`client` (this host connected) or `server` (this host accepted)"},
    {"close", "`local_fin`, `peer_fin`, `reset_sent`, `reset_received`, `never_established`, `aborted`"},
    {"kind", "`syn` or `other`"},
    {"errno", "`ECONNREFUSED`, `ETIMEDOUT`, `EADDRNOTAVAIL`, ..."},
    {"netns", "the network namespace's inode number (the records' `netns`): one value per namespace connscope reads"},
    {"side",
     "`client` (the side that opened the connection holds the TIME_WAIT: it closed first) or `server` (the "
     "accepting side holds it)"},
}};

}  // namespace

std::span<const MetricSpec> metric_table() { return metrics; }
std::span<const LabelSpec> label_table() { return labels; }

std::string_view metric_type_name(MetricType type)
{
    switch (type) {
    case MetricType::counter:
        return "counter";
    case MetricType::gauge:
        return "gauge";
    case MetricType::histogram:
        return "histogram";
    }
    return "untyped";
}

const MetricSpec& metric_spec(MetricId id)
{
    const MetricSpec& spec = metrics.at(static_cast<size_t>(id));
    if (spec.id != id)
        throw std::logic_error("metric_table() is not in MetricId order at " + std::string(spec.name));
    return spec;
}

}  // namespace connscope

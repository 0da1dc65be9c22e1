#include "metrics_table.h"

#include <array>
#include <stdexcept>

namespace connscope {
namespace {

// Handshakes on a LAN take tens of microseconds; a lost SYN adds 1 s, then 3 s, 7 s, ...
const std::vector<double> handshake_buckets{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,     10};
// HTTP on a LAN: a cached answer in under a millisecond, an application's in tens to hundreds.
const std::vector<double> http_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,    0.25,  0.5,    1,     2.5,   5,     10};
// A delayed ACK holds a connection 40 ms (Linux's minimum) up to 200 ms (its maximum, and others').
const std::vector<double> stall_buckets{0.01, 0.025, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 1};

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
     "Segments retransmitted by kind: syn (SYNs and SYN-ACKs), fast, slow_start, timeout, loss_probe, other "
     "(the rest); together TcpRetransSegs",
     "kernel totals", {}, Dashboard::stalls, true},
    {MetricId::resets, "connscope_resets_total", "Resets", MetricType::counter, {"direction"},
     "TCP resets sent (equals TcpOutRsts) or received", "kernel totals", {}, Dashboard::stalls, true},
    {MetricId::connect_errors, "connscope_connect_errors_total", "connect() errors", MetricType::counter, {"errno"},
     "Failed connect() calls, by the errno they failed with", "kernel totals", {}, Dashboard::handshakes,
     true},
    {MetricId::events_lost, "connscope_events_lost_total", "Events lost (ring buffer full)", MetricType::counter, {},
     "Events dropped because the ring buffer was full (totals stay exact; raise --ring-buffer-kib)",
     "kernel totals", {}, Dashboard::overview, true},
    {MetricId::http_body_io_counted, "connscope_http_body_io_counted_total", "HTTP body reads and writes counted in the kernel",
     MetricType::counter, {},
     "Reads and writes wholly inside an HTTP body of known length, counted in the kernel instead of sent as events",
     "kernel totals", {}, Dashboard::http, false},
    {MetricId::time_wait_sockets, "connscope_time_wait_sockets", "TIME_WAIT sockets", MetricType::gauge,
     {"netns", "holder"},
     "Sockets in TIME_WAIT now, by the side holding them (the side that closed first); sockets already in TIME_WAIT "
     "when connscope started count too",
     "the kernel's socket table, read every 5 s and at every --interval (timewait records)", {}, Dashboard::time_wait, false},
    {MetricId::time_wait_destination_sockets, "connscope_time_wait_destination_sockets",
     "TIME_WAIT sockets toward each destination", MetricType::gauge, {"netns", "peer"},
     "Sockets in TIME_WAIT now that this host opened (it closed first), by destination address:port; "
     "server-held ones are in connscope_time_wait_sockets{holder=\"server\"}",
     "the kernel's socket table, read every 5 s and at every --interval (timewait records' by_destination)", {},
     Dashboard::time_wait, false},
    {MetricId::port_utilization, "connscope_port_utilization_ratio", "Source-port utilization", MetricType::gauge,
     {"netns", "peer"},
     "Share (0 to 1) of the source ports a connect() to the peer can use that are taken, TIME_WAIT included; "
     "for peers folded into other, the highest",
     "the socket table and live state changes, every 5 s and at every --interval (ports records)", {}, Dashboard::time_wait, true},
    {MetricId::port_warnings, "connscope_port_warnings_total", "Port warnings", MetricType::counter,
     {"netns", "peer"}, "Times a destination's source-port utilization reached --port-warn", "port_warning records",
     {}, Dashboard::time_wait, false},
    {MetricId::http_requests, "connscope_http_requests_total", "HTTP requests", MetricType::counter,
     {"peer", "process", "role", "method", "status_class"},
     "HTTP/1.x transactions (request and response) seen on this host's connections",
     "http records", {}, Dashboard::http, true},
    {MetricId::http_ttfb_seconds, "connscope_http_ttfb_seconds", "HTTP time to first byte", MetricType::histogram,
     {"peer", "process", "role", "connection"},
     "Request head sent (or read, on a server) to the response's first byte, on new and reused connections",
     "http records with a response (ttfb_us)", http_buckets, Dashboard::http, false},
    {MetricId::http_duration_seconds, "connscope_http_duration_seconds", "HTTP transaction time", MetricType::histogram,
     {"peer", "process", "role"}, "Request's first byte to the response's last byte",
     "http records with a response (duration_us)", http_buckets, Dashboard::http, false},
    {MetricId::http_sample, "connscope_http_sample", "HTTP connections sampled (one in N)", MetricType::gauge, {},
     "HTTP capture covers one connection in this many (--http-sample; 1: all, 0: no capture): the "
     "connscope_http_* series count those connections only",
     "the command line (the start record's http_sample)", {}, Dashboard::http, false},
    {MetricId::delayed_acks, "connscope_delayed_acks_total", "Delayed ACKs", MetricType::counter, {},
     "ACKs sent by the delayed-ACK timer (equals TcpExtDelayedACKs, short of it by TcpExtDelayedACKLocked at most)",
     "kernel totals", {}, Dashboard::stalls, false},
    {MetricId::stalls, "connscope_delayed_ack_stalls_total", "Delayed-ACK stalls", MetricType::counter,
     {"process", "kind", "side"},
     "Delayed ACKs that held a connection up: sender (this side held data) or receiver (this side delayed the ACK)",
     "stall records", {}, Dashboard::stalls, false},
    {MetricId::stall_seconds, "connscope_stall_seconds", "Stall time", MetricType::histogram, {"kind"},
     "How long each delayed-ACK stall held the connection up", "stall records (stall_us)", stall_buckets,
     Dashboard::stalls, false},
    {MetricId::findings, "connscope_findings_total", "TCP findings", MetricType::counter, {"kind"},
     "Pathologies found: slow_handshake, stall, idle_close_race, close_wait (once per connection, when a close_wait "
     "record reports it: with --interval, or at exit)",
     "handshake, stall, idle_close_race and close_wait records", {}, Dashboard::stalls, true},
    {MetricId::close_wait_connections, "connscope_close_wait_connections", "Connections in CLOSE_WAIT",
     MetricType::gauge, {}, "Connections the peer closed and the local application has not (yet)",
     "connection table", {}, Dashboard::stalls, false},
    {MetricId::listen_drops, "connscope_listen_drops_total", "Listen drops", MetricType::counter, {"netns", "port"},
     "Connections a listening socket dropped since connscope started (a full accept queue, mostly); together "
     "TcpExtListenDrops",
     "listen records (drops), at every --interval and at exit", {}, Dashboard::handshakes, false},
    {MetricId::accept_queue, "connscope_accept_queue", "Accept queue", MetricType::gauge, {"netns", "port"},
     "Connections established and waiting for the listening application to accept them",
     "listen records (accept_queue), at every --interval and at exit", {}, Dashboard::handshakes, false},
    {MetricId::syn_queue, "connscope_syn_queue", "SYN queue", MetricType::gauge, {"netns", "port"},
     "Handshakes waiting for their final ACK; past the listen backlog, SYNs are dropped unless syncookies "
     "answer them",
     "listen records (syn_queue), at every --interval and at exit", {}, Dashboard::handshakes, false},
};

const std::array<LabelSpec, 15> labels{{
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
    {"kind",
     "retransmits: `syn`, `fast`, `slow_start`, `timeout`, `loss_probe`, `other` (as the `summary` fields); "
     "stalls: `nagle_delayed_ack`, `delayed_ack`; findings: `slow_handshake`, `stall`, `idle_close_race`, "
     "`close_wait`"},
    {"errno", "`ECONNREFUSED`, `ETIMEDOUT`, `EADDRNOTAVAIL`, ..."},
    {"netns", "the network namespace's inode number (the records' `netns`): one value per namespace connscope reads"},
    {"holder",
     "`client` (the side that opened the connection holds the TIME_WAIT: it closed first) or `server` (the "
     "accepting side holds it)"},
    {"method", "the request method: `GET`, `HEAD`, `POST`, `PUT`, `DELETE`, `PATCH`, `OPTIONS`, `CONNECT`, "
               "`TRACE`; `other` for any other, `none` for a response to no request seen"},
    {"status_class", "`1xx` ... `5xx`; `none` when no final response came"},
    {"connection",
     "`new`: the transaction opened its connection (a handshake and a cold congestion window before it); "
     "`reused`: a later one on a kept-alive connection; `unknown`: the first one seen on a connection opened "
     "before connscope started"},
    {"side", "`sender` (this side held data) or `receiver` (this side delayed the ACK)"},
    {"port",
     "a listening port (IPv4 and IPv6 listeners on it summed). At most `--max-peers` values, then `other` "
     "(see Cardinality)"},
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

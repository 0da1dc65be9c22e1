// Every Prometheus metric connscope exports, declared once. The /metrics exposition, the
// metrics reference (docs/metrics.md) and the Grafana dashboards are all generated from this
// table: a new signal is one more row here (and the code that feeds it in metrics_registry.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace connscope {

enum class MetricType { counter, gauge, histogram };

// The generated dashboards, in the order they are written.
enum class Dashboard { overview, handshakes, stalls, time_wait, http };

// Index into metric_table(); the registry is fed through these.
enum class MetricId {
    build_info,
    connections,
    connections_open,
    connections_closed,
    time_wait_closes,
    handshake_seconds,
    retransmits,
    resets,
    connect_errors,
    events_lost,
    http_body_io_counted,
    time_wait_sockets,
    time_wait_destination_sockets,
    port_utilization,
    port_warnings,
    http_requests,
    http_ttfb_seconds,
    http_duration_seconds,
    http_sample,
    delayed_acks,
    stalls,
    stall_seconds,
    findings,
    close_wait_connections,
    listen_drops,
    accept_queue,
    syn_queue,
};

struct MetricSpec {
    MetricId id;
    std::string_view name;  // connscope_..., with _total for counters
    std::string_view title;  // of its dashboard panel
    MetricType type;
    std::vector<std::string_view> labels;  // peer and process are bounded (--max-peers, --max-processes)
    std::string_view help;
    std::string_view source;  // where the value comes from, for the docs
    std::vector<double> buckets;  // histograms only: upper bounds, in the metric's unit
    Dashboard dashboard;
    bool on_overview = false;  // also drawn on the overview dashboard
};

struct LabelSpec {
    std::string_view name;
    std::string_view meaning;
};

std::span<const MetricSpec> metric_table();
std::span<const LabelSpec> label_table();
const MetricSpec& metric_spec(MetricId id);
// "counter", "gauge", "histogram": as the exposition's TYPE lines name them.
std::string_view metric_type_name(MetricType type);

// How many peers and processes get series of their own (--max-peers, --max-processes).
struct LabelLimits {
    uint32_t max_peers = 20;
    uint32_t max_processes = 20;
};

// Label values of a peer or process that did not get a series of its own.
inline constexpr std::string_view folded_label_value = "other";

}  // namespace connscope

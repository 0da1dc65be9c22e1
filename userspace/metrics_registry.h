// Records and kernel totals → metric values → Prometheus text exposition (format 0.0.4).
// Pure apart from a mutex: the run loop updates it, the HTTP thread renders it.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "metrics_table.h"
#include "records.h"

namespace connscope {

// Gives at most `limit` distinct values series of their own; the rest are counted as "other".
// A value keeps its series while it is active: a counter must never move to another label
// value, or Prometheus would read a reset on one and a jump on the other. A kept value idle
// for idle_ns makes room for a newcomer (its series are then dropped), so over time the kept
// values are the recently active ones, not merely the first seen.
class BoundedLabel {
public:
    BoundedLabel(size_t limit, uint64_t idle_ns) : limit_(limit), idle_ns_(idle_ns) {}

    struct Admission {
        std::string value;    // the value itself, or "other"
        std::string evicted;  // a kept value that gave its place up, if any
    };
    Admission admit(const std::string& value, uint64_t now_ns);

private:
    size_t limit_;
    uint64_t idle_ns_;
    std::unordered_map<std::string, uint64_t> last_active_ns_;
};

// How long a peer or process must be idle before its series make room for a new one: longer
// than the rate() windows dashboards use, so its rates have fallen to zero when it goes.
inline constexpr uint64_t label_idle_ns = 15 * 60 * 1'000'000'000ull;

// The peer label of a connection: address:port of the server it reached, or the address of
// the client it accepted (whose port is ephemeral).
std::string peer_label(Role role, const Endpoint& remote);
std::string peer_label(const ConnRecord& record);
// The peer label of a destination this host connects to: address:port, IPv6 as [address]:port.
std::string peer_label(const std::string& address, uint16_t port);

// The method label: one of the standard methods, "none" for a response to no request seen,
// "other" for anything else (a method is any token: unbounded).
std::string_view method_label(const std::string& method);

class MetricsRegistry {
public:
    MetricsRegistry(const LabelLimits& limits, const std::string& version);

    void observe(const Record& record);
    void observe_start(const StartRecord& start);
    // Before each listen report's records: a listener the report leaves out has an empty queue.
    void start_listen_report();
    void set_totals(const Totals& totals, uint64_t connections_open, uint64_t close_wait_connections);
    std::string exposition() const;

private:
    struct Series {
        double value = 0;                    // counter, gauge
        std::vector<uint64_t> bucket_counts; // histogram, not cumulative
        uint64_t count = 0;
        double sum = 0;
    };
    using LabelValues = std::vector<std::string>;

    Series& series(MetricId id, LabelValues label_values);
    void add(MetricId id, LabelValues label_values, double amount);
    void set(MetricId id, LabelValues label_values, double value);
    void observe_histogram(MetricId id, LabelValues label_values, double value);
    void observe_conn(const ConnRecord& record);
    void observe_timewait(const TimeWaitRecord& record);
    void observe_ports(const PortsRecord& record);
    void observe_port_warning(const PortWarningRecord& record);
    std::string destination_peer(const std::string& address, uint16_t port, uint64_t now_ns);
    void observe_http(const HttpRecord& record);
    void observe_listen(const ListenRecord& record);
    void observe_finding(const Record& record);
    std::string admitted(BoundedLabel& bound, std::string_view label, const std::string& value, uint64_t now_ns);

    mutable std::mutex mutex_;
    std::vector<std::map<LabelValues, Series>> series_;  // indexed by MetricId
    BoundedLabel peers_;
    BoundedLabel processes_;
    BoundedLabel ports_;
    // Every listener's last listen record and port label: a port's series sum its listeners
    // (IPv4 and IPv6 on one port; every listener folded into other).
    struct Listener {
        ListenRecord last;
        std::string port;
    };
    std::map<std::tuple<uint32_t, std::string, uint16_t>, Listener> listeners_;  // netns, address, port
    std::unordered_set<uint64_t> close_wait_cookies_;  // counted as findings; forgotten at their conn record
};

}  // namespace connscope

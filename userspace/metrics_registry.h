// Records and kernel totals → metric values → Prometheus text exposition (format 0.0.4).
// Pure apart from a mutex: the run loop updates it, the HTTP thread renders it.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "metrics_table.h"
#include "records.h"

namespace connscope {

// Keeps the first `limit` distinct values it sees; every later value becomes "other". First
// come, not most active: a counter's series must never move to another label value, or
// Prometheus would see a reset on one and a jump on the other.
class BoundedLabel {
public:
    explicit BoundedLabel(size_t limit) : limit_(limit) {}
    std::string admit(const std::string& value);

private:
    size_t limit_;
    std::unordered_set<std::string> kept_;
};

// The peer label of a connection: address:port of the server it reached, or the address of
// the client it accepted (whose port is ephemeral).
std::string peer_label(const ConnRecord& record);

class MetricsRegistry {
public:
    MetricsRegistry(const LabelLimits& limits, const std::string& version);

    void observe(const Record& record);
    void set_totals(const Totals& totals, uint64_t connections_open);
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

    mutable std::mutex mutex_;
    std::vector<std::map<LabelValues, Series>> series_;  // indexed by MetricId
    BoundedLabel peers_;
    BoundedLabel processes_;
};

}  // namespace connscope

// TIME_WAIT and port headroom of the namespaces connscope watches: reads each namespace's
// socket table and port settings (sock_diag, /proc/sys), keeps it current with live events,
// and makes the timewait, ports and port_warning records.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "events.h"
#include "port_headroom.h"
#include "records.h"
#include "timewait_report.h"

namespace connscope {

struct PortMonitorSettings {
    std::string netns_path;  // empty: connscope's own namespace and every one seen in events
    double warn_threshold = 0.8;
    size_t max_peers = 10;
    int64_t realtime_offset_ns = 0;  // monotonic → unix time
};

class PortMonitor {
public:
    PortMonitor(const PortMonitorSettings& settings, uint64_t now_ns);

    // Live: port warnings the event caused. A namespace first seen here is read at once.
    std::vector<Record> on_event(const Event& event);
    // Counts a connection entering TIME_WAIT; gives an exhaustion error its pool's utilization.
    void annotate(Record& record);
    // A fresh read of every namespace when the last is a few seconds old, whatever
    // --interval says: the live view cannot see a TIME_WAIT expire. Port warnings it causes.
    std::vector<Record> refresh(uint64_t now_ns);
    // The timewait and ports records of the last such read, once, for the metrics: they are
    // not written out (the output has them at every --interval) and start no new rate window.
    std::vector<Record> take_refreshed() { return std::exchange(refreshed_, {}); }
    // A fresh read of every namespace: its port warnings, timewait and ports records.
    std::vector<Record> report(uint64_t now_ns);

private:
    std::optional<NetnsSnapshot> read(uint32_t netns);
    std::vector<Record> read_new_namespace(uint32_t netns, uint64_t now_ns);
    // Reads every namespace (forgetting those gone) and calls use(netns, snapshot) for each.
    template <typename Use>
    void read_all(Use use);
    uint64_t unix_ns(uint64_t monotonic_ns) const { return monotonic_ns + settings_.realtime_offset_ns; }

    PortMonitorSettings settings_;
    PortHeadroom headroom_;
    std::map<uint32_t, std::string> paths_;  // the namespaces read, and how to open each
    std::set<uint32_t> unreachable_;         // seen in events, looked for and not found
    std::map<uint32_t, TimeWaitEntries> entered_;
    std::vector<Record> refreshed_;
    uint64_t last_report_ns_;
    uint64_t last_read_ns_;
    uint64_t last_scan_ns_ = 0;
};

}  // namespace connscope

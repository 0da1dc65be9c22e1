// The listening sockets' side of every report: per-listener drops and queues (the socket
// iterator) and the namespace's overflow and drop counters (/proc/net/netstat), both since
// connscope started.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "detectors/listen_table.h"
#include "netstat_read.h"
#include "probes.h"
#include "records.h"

namespace connscope {

class ListenReporter {
public:
    // Takes the baselines: drops from before the start are not reported.
    ListenReporter(const ConnProbes& probes, std::string netns_path);

    // The listeners now; nothing, after one warning, when they cannot be read (another
    // namespace's listeners need CAP_SYS_ADMIN, which a hardened service may not hold).
    std::vector<listen_record> read();
    std::vector<Record> report(const std::vector<listen_record>& listening, uint64_t ts_ns) const;
    // The summary's listen_overflows and listen_drops.
    void fill(SummaryRecord& summary) const;

private:
    const ConnProbes& probes_;
    std::string netns_path_;
    bool readable_ = true;
    ListenTable table_;
    std::optional<ListenCounters> counters_at_start_;
};

}  // namespace connscope

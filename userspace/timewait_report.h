// TIME_WAIT now (the kernel's socket table) and entering it (conn records) → timewait record. Pure.
#pragma once

#include <cstdint>

#include "port_headroom.h"
#include "records.h"

namespace connscope {

// Connections that entered TIME_WAIT since the last record, by the side that closed first.
struct TimeWaitEntries {
    uint64_t client = 0;
    uint64_t server = 0;
};

TimeWaitRecord timewait_record(const NetnsSnapshot& snapshot, uint64_t ts_ns, const TimeWaitEntries& entered,
                               double elapsed_s, size_t max_peers);

}  // namespace connscope

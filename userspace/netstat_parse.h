// The kernel's own listen counters, as /proc/net/netstat prints them for one network
// namespace. Pure: parsing only (netstat_read.h reads the file).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace connscope {

struct ListenCounters {
    uint64_t overflows = 0;  // TcpExtListenOverflows: a full accept queue met a SYN or a final ACK
    uint64_t drops = 0;      // TcpExtListenDrops: every listen drop, overflows included
};

// "TcpExt: <names>\nTcpExt: <values>\n..." → the two counters; nullopt when either is missing.
std::optional<ListenCounters> parse_listen_counters(std::string_view netstat);

}  // namespace connscope

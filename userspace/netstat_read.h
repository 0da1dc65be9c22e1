// Reads the listen counters of a network namespace from /proc/net/netstat.
#pragma once

#include <optional>
#include <string>

#include "netstat_parse.h"

namespace connscope {

// In the namespace at netns_path (connscope's own when empty); nullopt when it cannot be read
// (entering another namespace needs CAP_SYS_ADMIN).
std::optional<ListenCounters> read_listen_counters(const std::string& netns_path);

}  // namespace connscope

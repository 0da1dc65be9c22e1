// The per-syscall tracepoints are attached through tracefs. Hosts booted by systemd have it
// mounted; where nothing did, connscope mounts it for as long as it runs (RAII).
#pragma once

#include <string>

namespace connscope {

// Where tracefs shows its events (libbpf looks in the same two places), or empty.
std::string tracefs_events();

class TracefsMount {
public:
    TracefsMount();
    ~TracefsMount();
    TracefsMount(const TracefsMount&) = delete;
    TracefsMount& operator=(const TracefsMount&) = delete;

private:
    bool mounted_ = false;  // by us: taken down at exit
};

}  // namespace connscope

#include "tracefs_mount.h"

#include <sys/mount.h>
#include <unistd.h>

namespace connscope {
namespace {

constexpr const char* tracefs_dir = "/sys/kernel/tracing";

}  // namespace

std::string tracefs_events()
{
    for (const char* dir : {"/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events"})
        if (access(dir, F_OK) == 0)
            return dir;
    return {};
}

// A failure leaves the per-syscall tracepoints missing: the raw syscall tracepoints serve.
TracefsMount::TracefsMount()
{
    if (!tracefs_events().empty())
        return;
    mounted_ = mount("tracefs", tracefs_dir, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) == 0;
}

TracefsMount::~TracefsMount()
{
    if (mounted_)
        umount2(tracefs_dir, MNT_DETACH);
}

}  // namespace connscope

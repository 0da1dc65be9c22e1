#include "preflight.h"

#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.h"

namespace connscope {
namespace {
constexpr long nsfs_magic = 0x6e736673;
}

void require_root()
{
    if (geteuid() != 0)
        throw UserError("connscope loads BPF programs and must run as root: try sudo");
}

void require_runnable(const Features& features)
{
    if (!features.bpf_permitted)
        throw UserError("not permitted to load BPF programs: connscope needs CAP_BPF and CAP_PERFMON "
                        "(or CAP_SYS_ADMIN)");
    if (!features.btf)
        throw UserError("this kernel has no BTF (/sys/kernel/btf/vmlinux, CONFIG_DEBUG_INFO_BTF=y); "
                        "connscope needs it to read kernel structures");
    if (!features.ringbuf)
        throw UserError("this kernel has no BPF ring buffer (Linux 5.8 or later is needed)");
}

uint32_t netns_inode(const std::string& path)
{
    if (path.empty())
        return 0;
    struct statfs fs {};
    struct stat st {};
    if (statfs(path.c_str(), &fs) != 0 || stat(path.c_str(), &st) != 0)
        throw UserError("cannot read network namespace " + path + ": " + strerror(errno));
    if (fs.f_type != nsfs_magic)
        throw UserError(path + " is not a network namespace (expected /run/netns/NAME or /proc/PID/ns/net)");
    return static_cast<uint32_t>(st.st_ino);
}

}  // namespace connscope

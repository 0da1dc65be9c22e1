#include "netns_handle.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "error.h"
#include "preflight.h"

namespace connscope {
namespace {

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { if (fd_ >= 0) close(fd_); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

uint32_t inode_of(const std::string& path)
{
    struct stat st {};
    return stat(path.c_str(), &st) == 0 ? static_cast<uint32_t>(st.st_ino) : 0;
}

}  // namespace

NetnsHandle::NetnsHandle(const std::string& path) : inode_(netns_inode(path))
{
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0)
        throw UserError("cannot open network namespace " + path + ": " + strerror(errno));
}

NetnsHandle::~NetnsHandle() { close(fd_); }

void NetnsHandle::run_inside(const std::function<void()>& work) const
{
    const Fd home(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (home.get() < 0)
        throw UserError("cannot open this thread's network namespace: " + std::string(strerror(errno)));
    if (setns(fd_, CLONE_NEWNET) != 0)
        throw UserError("cannot enter network namespace " + std::to_string(inode_) + ": " + strerror(errno));
    std::exception_ptr failure;
    try {
        work();
    } catch (...) {
        failure = std::current_exception();
    }
    // Staying in the wrong namespace would make every later read wrong: better to stop.
    if (setns(home.get(), CLONE_NEWNET) != 0)
        throw UserError("cannot return to connscope's own network namespace: " + std::string(strerror(errno)));
    if (failure)
        std::rethrow_exception(failure);
}

std::map<uint32_t, std::string> visible_netns_paths()
{
    std::map<uint32_t, std::string> paths;
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ignored))
        if (const uint32_t inode = inode_of(entry.path()))
            paths.emplace(inode, entry.path());
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ignored)) {
        const std::string name = entry.path().filename();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos)
            continue;
        const std::string path = entry.path() / "ns/net";
        if (const uint32_t inode = inode_of(path))
            paths.emplace(inode, path);
    }
    return paths;
}

}  // namespace connscope

// Network namespaces by inode number: finding a path that opens one, and running code
// inside it on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace connscope {

// An open network namespace (RAII). Holding it keeps the namespace alive, so it is opened
// for one read and closed again.
class NetnsHandle {
public:
    // Throws UserError when path is not a network namespace.
    explicit NetnsHandle(const std::string& path);
    ~NetnsHandle();
    NetnsHandle(const NetnsHandle&) = delete;
    NetnsHandle& operator=(const NetnsHandle&) = delete;

    uint32_t inode() const { return inode_; }
    // Runs work with the calling thread switched into the namespace, then switches back.
    // Sockets and /proc/sys/net files opened by work belong to this namespace.
    void run_inside(const std::function<void()>& work) const;

private:
    int fd_ = -1;
    uint32_t inode_ = 0;
};

// inode → a path that opens it: /run/netns/NAME first, then /proc/PID/ns/net.
std::map<uint32_t, std::string> visible_netns_paths();

}  // namespace connscope

// The HTTP capture programs in the kernel (RAII). They share the connection probes' ring
// buffer and maps, and their attach kind and socket keys, so one reader sees both in order.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "cli.h"
#include "kernel_features.h"
#include "probes.h"

struct http_bpf;

namespace connscope
{

class HttpProbes
{
  public:
    HttpProbes(const ConnProbes& conn, const Features& features, const HttpOptions& options,
               const Filters& filters);
    ~HttpProbes();
    HttpProbes(const HttpProbes&) = delete;
    HttpProbes& operator=(const HttpProbes&) = delete;

    void attach();
    void detach();
    // Stops capturing these sockets (by inode): user space has seen all it can use of them.
    void stop_capture(std::span<const uint32_t> inodes);

  private:
    struct SkeletonDeleter {
        void operator()(http_bpf* skel) const;
    };
    std::unique_ptr<http_bpf, SkeletonDeleter> skel_;
};

} // namespace connscope

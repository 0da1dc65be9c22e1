// The connection probes in the kernel: open, configure, load, attach, read totals (RAII).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "attach_plan.h"
#include "cli.h"
#include "kernel_features.h"
#include "records.h"

struct listen_record;

struct conn_bpf;

namespace connscope {

struct Filters {
    uint32_t netns = 0;
    uint32_t pid = 0;
    uint16_t port = 0;
};

class ConnProbes {
public:
    // Loads the programs of the first attach kind that this kernel accepts; throws UserError.
    ConnProbes(const ProbeSettings& settings, const Features& features, const Filters& filters);
    ~ConnProbes();
    ConnProbes(const ConnProbes&) = delete;
    ConnProbes& operator=(const ConnProbes&) = delete;

    void attach();
    void detach();
    AttachKind kind() const { return kind_; }
    const std::vector<SignalMechanism>& signals() const { return signals_; }
    int events_fd() const;
    // A map of the loaded object by name, or -1: other probe families share these.
    int map_fd(const char* name) const;
    uint64_t key_salt() const;
    // Events pending before the kernel wakes the reader (the HTTP probes use the same).
    uint32_t wakeup_bytes() const;
    Totals read_totals() const;
    // Every listening socket the filters keep, read through the socket iterator. The iterator
    // walks the network namespace it is opened in: netns_path's, or empty for connscope's own.
    std::vector<listen_record> read_listeners(const std::string& netns_path) const;

private:
    struct SkeletonDeleter {
        void operator()(conn_bpf* skel) const;
    };
    std::unique_ptr<conn_bpf, SkeletonDeleter> skel_;
    AttachKind kind_ = AttachKind::tp_btf;
    std::vector<SignalMechanism> signals_;
};

// Which attach kinds to try, in order, for these settings on this kernel.
std::vector<AttachKind> attach_kinds_to_try(Mechanism requested, const Features& features);

}  // namespace connscope

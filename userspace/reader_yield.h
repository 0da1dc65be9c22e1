// When the thread that reads the event ring should yield the CPU to every other task
// (SCHED_IDLE): while it keeps up. Taking a CPU from the processes it watches, in bursts of a
// batch, doubled their 99th-percentile latency below saturation; yielding always lost most
// events at saturation. So it yields until it falls behind, and catches up as any other task.
#pragma once

#include <cstdint>
#include <optional>

namespace connscope {

class ReaderYield {
public:
    // fill: the share of the ring holding unread events; since_loop_ns: time since the reader
    // last went round its loop. Returns whether the reader should yield from now on.
    bool update(double fill, uint64_t since_loop_ns, uint64_t now_ns);
    bool yielding() const { return yielding_; }

private:
    bool yielding_ = true;
    std::optional<uint64_t> caught_up_since_ns_; // while not yielding: since when the ring stayed nearly empty
};

}  // namespace connscope

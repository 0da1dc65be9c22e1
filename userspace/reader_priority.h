// Runs the thread that reads the event ring as SCHED_IDLE while it keeps up (reader_yield.h),
// and as any other task while it is behind. A thread at SCHED_IDLE on busy CPUs may not run
// at all, so it cannot notice that itself: a watcher thread at normal priority looks at the
// ring's positions and at the reader's loop every few milliseconds and sets its policy.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "reader_yield.h"

namespace connscope {

// Whether a thread of this process may go back from SCHED_IDLE to normal, after raising
// RLIMIT_NICE where it can.
bool reader_may_yield();

class ReaderPriority {
public:
    // Watches for the calling thread, which reads the ring behind ring_fd. Only where
    // reader_may_yield(): leaving SCHED_IDLE again needs CAP_SYS_NICE, or RLIMIT_NICE at 20,
    // which it raises with CAP_SYS_RESOURCE.
    explicit ReaderPriority(int ring_fd);
    // Stops watching and leaves the reader at normal priority (for the final drain).
    ~ReaderPriority();
    ReaderPriority(const ReaderPriority&) = delete;
    ReaderPriority& operator=(const ReaderPriority&) = delete;

    bool active() const { return watcher_.joinable(); }
    // The reader went round its loop: it is running.
    void loop_done(uint64_t now_ns) { loop_ns_.store(now_ns, std::memory_order_relaxed); }

private:
    void watch();
    double fill() const;
    void set_yielding(bool yielding);

    pid_t reader_tid_;
    size_t page_size_ = 0;
    uint64_t ring_size_ = 0;
    const uint64_t* positions_ = nullptr; // the consumer's page, then the producer's
    ReaderYield yield_;
    bool yielding_ = false;
    std::atomic<uint64_t> loop_ns_{0};
    std::mutex mutex_;
    std::condition_variable stop_cv_;
    bool stop_ = false;
    std::thread watcher_;
};

}  // namespace connscope

// Runs the thread that reads the event ring as SCHED_IDLE while it keeps up (reader_yield.h),
// and as any other task while it is behind. A thread at SCHED_IDLE on busy CPUs may not run
// at all, so it cannot notice that itself: a watcher thread at normal priority looks at the
// ring's positions and at the reader's loop and sets its policy. While the reader yields, the
// watcher sleeps until the kernel wakes the ring's readers (a sixteenth of it unread), at most
// every few milliseconds, and looks at the loop every 100 ms: on an idle host it wakes no more
// often than the reader's own polls.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
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
    enum class Woken { by_ring, by_time, to_stop };

    void watch();
    // Waits for the ring's wakeup, the time of the next look (sooner while the reader does not
    // yield), or the stop.
    Woken wait();
    double fill() const;
    void set_yielding(bool yielding);

    pid_t reader_tid_;
    size_t page_size_ = 0;
    uint64_t ring_size_ = 0;
    const uint64_t* positions_ = nullptr; // the consumer's page, then the producer's
    ReaderYield yield_;
    bool yielding_ = false;
    std::atomic<uint64_t> loop_ns_{0};
    int stop_fd_ = -1; // an eventfd: written to stop the watcher
    int epoll_fd_ = -1; // the ring, edge-triggered, and stop_fd_
    std::thread watcher_;
};

}  // namespace connscope

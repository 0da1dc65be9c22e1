#include "reader_priority.h"

#include <bpf/bpf.h>
#include <poll.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace connscope {
namespace {

// While the reader yields: the longest wait for the ring's wakeup, so a reader stalled with
// the ring under a sixteenth (no wakeup comes) is seen within the loop's limit; and the
// shortest time between two looks, since the kernel wakes readers again at every event while
// the ring stays above a sixteenth.
constexpr int yielding_wait_ms = 100;
constexpr int yielding_pause_ms = 5;
// While it does not: how often to look whether it has caught up, woken by the ring or not.
constexpr int catching_up_ms = 50;
// RLIMIT_NICE's unit: 20 allows nice 0.
constexpr rlim_t nice_zero_limit = 20;

uint64_t monotonic_ns()
{
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return uint64_t(ts.tv_sec) * 1'000'000'000 + uint64_t(ts.tv_nsec);
}

// Lets a thread go back from SCHED_IDLE to nice 0 without CAP_SYS_NICE (needs CAP_SYS_RESOURCE).
void raise_nice_limit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NICE, &limit) || limit.rlim_cur >= nice_zero_limit)
        return;
    limit.rlim_cur = nice_zero_limit;
    limit.rlim_max = std::max(limit.rlim_max, nice_zero_limit);
    setrlimit(RLIMIT_NICE, &limit);
}

}  // namespace

// Tried on a thread of its own, which ends either way.
bool reader_may_yield()
{
    raise_nice_limit();
    bool may = false;
    std::thread([&may] {
        const sched_param param{};
        may = sched_setscheduler(0, SCHED_IDLE, &param) == 0 && sched_setscheduler(0, SCHED_OTHER, &param) == 0;
    }).join();
    return may;
}

ReaderPriority::ReaderPriority(int ring_fd) : reader_tid_(gettid()), page_size_(size_t(sysconf(_SC_PAGESIZE)))
{
    bpf_map_info info{};
    uint32_t info_len = sizeof(info);
    if (bpf_obj_get_info_by_fd(ring_fd, &info, &info_len))
        return;
    // The consumer's and the producer's positions, each on a page of its own, read only.
    void* pages = mmap(nullptr, 2 * page_size_, PROT_READ, MAP_SHARED, ring_fd, 0);
    if (pages == MAP_FAILED)
        return;
    positions_ = static_cast<const uint64_t*>(pages);
    ring_size_ = info.max_entries;
    stop_fd_ = eventfd(0, EFD_CLOEXEC);
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    // Edge-triggered: the ring polls readable whenever it holds anything, and it does most of
    // the time under load. Only the kernel's wakeups are wanted.
    epoll_event ring{.events = EPOLLIN | EPOLLET, .data = {.fd = ring_fd}};
    epoll_event stop{.events = EPOLLIN, .data = {.fd = stop_fd_}};
    if (stop_fd_ < 0 || epoll_fd_ < 0 || epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, ring_fd, &ring) ||
        epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &stop))
        return;
    loop_done(monotonic_ns());
    // Started before the reader yields: a thread takes its creator's policy.
    watcher_ = std::thread([this] { watch(); });
}

ReaderPriority::~ReaderPriority()
{
    if (watcher_.joinable()) {
        const uint64_t one = 1;
        [[maybe_unused]] const ssize_t written = write(stop_fd_, &one, sizeof(one));
        watcher_.join();
    }
    for (int fd : {epoll_fd_, stop_fd_})
        if (fd >= 0)
            close(fd);
    if (positions_)
        munmap(const_cast<uint64_t*>(positions_), 2 * page_size_);
}

double ReaderPriority::fill() const
{
    const uint64_t consumer = __atomic_load_n(&positions_[0], __ATOMIC_ACQUIRE);
    const uint64_t producer = __atomic_load_n(&positions_[page_size_ / sizeof(uint64_t)], __ATOMIC_ACQUIRE);
    return producer > consumer ? double(producer - consumer) / double(ring_size_) : 0;
}

ReaderPriority::Woken ReaderPriority::wait()
{
    epoll_event events[2];
    const int n = epoll_wait(epoll_fd_, events, 2, yielding_ ? yielding_wait_ms : catching_up_ms);
    if (n < 0 && errno != EINTR)
        return Woken::to_stop;  // not retried: it would fail again at once
    Woken woken = Woken::by_time;
    for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == stop_fd_)
            return Woken::to_stop;
        woken = Woken::by_ring;
    }
    return woken;
}

void ReaderPriority::watch()
{
    for (Woken woken; (woken = wait()) != Woken::to_stop;) {
        const uint64_t now = monotonic_ns();
        const uint64_t loop = loop_ns_.load(std::memory_order_relaxed);
        set_yielding(yield_.update(fill(), now > loop ? now - loop : 0, now));
        pollfd stop{.fd = stop_fd_, .events = POLLIN, .revents = 0};
        if (woken == Woken::by_ring && poll(&stop, 1, yielding_ ? yielding_pause_ms : catching_up_ms) > 0)
            break;
    }
    // Unwatched, the reader must not be left to starve.
    set_yielding(false);
}

void ReaderPriority::set_yielding(bool yielding)
{
    const sched_param param{};
    if (yielding != yielding_ && sched_setscheduler(reader_tid_, yielding ? SCHED_IDLE : SCHED_OTHER, &param) == 0)
        yielding_ = yielding;
}

}  // namespace connscope

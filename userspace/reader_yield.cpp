#include "reader_yield.h"

namespace connscope {
namespace {

// Behind: an eighth of the ring unread (the kernel wakes the reader at a sixteenth), or no
// turn of the loop (100 ms polls) for a quarter of a second.
constexpr double behind_fill = 1.0 / 8;
constexpr uint64_t behind_loop_ns = 250'000'000;
// Caught up: under a sixty-fourth for a second, so a steady load does not flip it back and forth.
constexpr double caught_up_fill = 1.0 / 64;
constexpr uint64_t caught_up_ns = 1'000'000'000;

}  // namespace

bool ReaderYield::update(double fill, uint64_t since_loop_ns, uint64_t now_ns)
{
    if (fill >= behind_fill || since_loop_ns >= behind_loop_ns) {
        yielding_ = false;
        caught_up_since_ns_.reset();
    } else if (!yielding_ && fill < caught_up_fill) {
        if (!caught_up_since_ns_)
            caught_up_since_ns_ = now_ns;
        else if (now_ns - *caught_up_since_ns_ >= caught_up_ns)
            yielding_ = true;
    } else if (!yielding_) {
        caught_up_since_ns_.reset();
    }
    return yielding_;
}

}  // namespace connscope

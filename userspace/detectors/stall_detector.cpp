#include "detectors/stall_detector.h"

namespace connscope {
namespace {

constexpr uint64_t ns_per_us = 1000;

uint64_t us_to_ns(uint32_t us) { return uint64_t(us) * ns_per_us; }

}  // namespace

void StallDetector::on_delayed_ack(const delayed_ack_event& e) { delayed_acks_[e.hdr.cookie] = e; }

std::optional<Stall> StallDetector::on_data_after_delayed_ack(const data_after_delayed_ack_event& e)
{
    auto it = delayed_acks_.find(e.hdr.cookie);
    if (it == delayed_acks_.end() || it->second.hdr.ts_ns != e.delayed_ack_ns)
        return std::nullopt;
    const delayed_ack_event ack = it->second;
    delayed_acks_.erase(it);
    if (e.hdr.ts_ns < ack.hdr.ts_ns || e.hdr.ts_ns - ack.hdr.ts_ns > 2 * us_to_ns(ack.min_rtt_us) + reply_slack_ns)
        return std::nullopt;
    if (!ack.last_data_ns || ack.last_data_ns > ack.hdr.ts_ns)
        return std::nullopt;
    return Stall{e.hdr.ts_ns, StallKind::nagle_delayed_ack, StallSide::receiver,
                 (ack.hdr.ts_ns - ack.last_data_ns) / ns_per_us, std::nullopt};
}

std::optional<Stall> StallDetector::on_held_send_released(const held_send_released_event& e) const
{
    if (e.hdr.ts_ns < e.held_ns || e.hdr.ts_ns - e.held_ns <= us_to_ns(e.min_rtt_us) + late_ack_ns)
        return std::nullopt;
    return Stall{e.hdr.ts_ns, e.nodelay ? StallKind::delayed_ack : StallKind::nagle_delayed_ack,
                 StallSide::sender, (e.hdr.ts_ns - e.held_ns) / ns_per_us, e.nodelay != 0};
}

}  // namespace connscope

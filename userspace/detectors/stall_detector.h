// Delayed-ACK stalls, from the kernel's observations (tcp_detect_event.h). Pure: fed events,
// returns the stalls they reveal.
//
// Receiving side: our delayed-ACK timer sent an ACK, and the peer's next data arrived within
// a round trip of it (2·min_rtt + 5 ms): the peer was holding that data until our ACK came
// (Nagle). The stall is how long our ACK was held: from the last data before it to the timer.
// A delayed ACK followed by nothing, or by data only later, held nothing back.
//
// Sending side: sendmsg() left a small segment unsent behind unacknowledged data, and it went
// out only when an ACK acknowledged everything in flight, more than min_rtt + 10 ms later: a
// prompt ACK comes within a round trip, and the shortest delayed ACK (Linux) takes 40 ms, so
// the peer delayed that ACK. Kind nagle_delayed_ack with Nagle on; delayed_ack with
// TCP_NODELAY on (the congestion window held it).
//
// The minimum RTT is used, not the smoothed one: RTT samples taken from delayed ACKs inflate
// srtt towards the very delay being detected.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "events.h"
#include "detectors/tcp_counters.h"

namespace connscope {

struct Stall {
    uint64_t ts_ns = 0;  // monotonic, when the stall ended
    StallKind kind = StallKind::nagle_delayed_ack;
    StallSide side = StallSide::sender;
    uint64_t stall_us = 0;
    std::optional<bool> nodelay;
};

class StallDetector {
public:
    // How long after our delayed ACK, beyond 2·min_rtt, the peer's held data may come.
    static constexpr uint64_t reply_slack_ns = 5'000'000;
    // How much later than min_rtt the ACK releasing a held send must come to count as delayed.
    static constexpr uint64_t late_ack_ns = 10'000'000;

    void on_delayed_ack(const delayed_ack_event& e);
    std::optional<Stall> on_data_after_delayed_ack(const data_after_delayed_ack_event& e);
    std::optional<Stall> on_held_send_released(const held_send_released_event& e) const;
    void forget(uint64_t cookie) { delayed_acks_.erase(cookie); }

private:
    std::unordered_map<uint64_t, delayed_ack_event> delayed_acks_;  // the latest, by socket key
};

}  // namespace connscope

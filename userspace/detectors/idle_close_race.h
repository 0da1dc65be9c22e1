// The idle-close race: the peer closed a keep-alive connection that looked idle just as this
// side reused it. This side's request then meets a socket that is gone or closing, and the
// answer is a reset ("connection reset by peer") within a round trip of the send. Pure.
#pragma once

#include <cstdint>
#include <optional>

#include "events.h"

namespace connscope {

struct IdleCloseRace {
    uint64_t since_send_us = 0;
    bool peer_fin_first = false;  // the peer's FIN had arrived: it closed before our send
};

// What a round trip may take beyond 2·srtt; the send time has jiffy resolution (up to 10 ms).
constexpr uint64_t idle_close_race_slack_us = 15'000;

// A received reset is the race when the connection had carried data from the peer (or its
// FIN) and this side sent within a round trip before the reset came.
std::optional<IdleCloseRace> idle_close_race(const reset_event& e);

}  // namespace connscope

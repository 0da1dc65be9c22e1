// Every event type the decoders accept (events.h, http_events.h), checked at compile time to be
// distinct: all families share one ring buffer, and a type is all that tells their records apart.
#pragma once

#include <linux/types.h>

#include <algorithm>
#include <array>

extern "C" {
#include "event_types.h"
}

namespace connscope {

inline constexpr std::array event_types{
    EVENT_STATE,       EVENT_RETRANSMIT,  EVENT_RESET,
    EVENT_ACCEPT,      EVENT_CONNECT_ERROR, EVENT_DELAYED_ACK,
    EVENT_DATA_AFTER_DELAYED_ACK, EVENT_HELD_SEND_RELEASED, EVENT_IDLE_RESTART,
    EVENT_HTTP_DATA,
};

constexpr bool all_distinct(std::array<event_type, event_types.size()> types)
{
    std::sort(types.begin(), types.end());
    return std::adjacent_find(types.begin(), types.end()) == types.end();
}
static_assert(all_distinct(event_types), "two event families share a type id (bpf/event_types.h)");

}  // namespace connscope

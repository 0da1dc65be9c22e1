// bytes → typed event: the kernel's records, checked for size and type.
#pragma once

#include <linux/types.h>

#include <cstddef>
#include <optional>
#include <span>
#include <variant>

extern "C" {
#include "conn_event.h"
#include "tcp_detect_event.h"
#include "listen_event.h"
}

namespace connscope {

using Event = std::variant<state_event, retransmit_event, reset_event, accept_event, connect_error_event,
                           delayed_ack_event, data_after_delayed_ack_event, held_send_released_event,
                           idle_restart_event>;

// Returns nothing for a record that is too short or of an unknown type.
std::optional<Event> decode_event(std::span<const std::byte> bytes);

}  // namespace connscope

#include "detectors/idle_close_race.h"

namespace connscope {

std::optional<IdleCloseRace> idle_close_race(const reset_event& e)
{
    if (e.direction != RESET_RECEIVED || e.hdr.cookie == 0)
        return std::nullopt;
    const bool reused = e.fin_received || e.bytes_received > 0;
    if (!reused || e.since_send_us > 2 * uint64_t(e.srtt_us) + idle_close_race_slack_us)
        return std::nullopt;
    return IdleCloseRace{e.since_send_us, e.fin_received != 0};
}

}  // namespace connscope

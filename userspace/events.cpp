#include "events.h"

#include <cstring>

#include "event_type_list.h"  // the compile-time check that no two families share a type

namespace connscope {
namespace {

template <typename Record>
std::optional<Event> copy_record(std::span<const std::byte> bytes)
{
    if (bytes.size() < sizeof(Record))
        return std::nullopt;
    Record record;
    std::memcpy(&record, bytes.data(), sizeof(Record));
    return Event{record};
}

}  // namespace

std::optional<Event> decode_event(std::span<const std::byte> bytes)
{
    if (bytes.size() < sizeof(event_header))
        return std::nullopt;
    event_header header;
    std::memcpy(&header, bytes.data(), sizeof(header));
    switch (header.type) {
    case EVENT_STATE:
        return copy_record<state_event>(bytes);
    case EVENT_RETRANSMIT:
        return copy_record<retransmit_event>(bytes);
    case EVENT_RESET:
        return copy_record<reset_event>(bytes);
    case EVENT_ACCEPT:
        return copy_record<accept_event>(bytes);
    case EVENT_CONNECT_ERROR:
        return copy_record<connect_error_event>(bytes);
    case EVENT_DELAYED_ACK:
        return copy_record<delayed_ack_event>(bytes);
    case EVENT_DATA_AFTER_DELAYED_ACK:
        return copy_record<data_after_delayed_ack_event>(bytes);
    case EVENT_HELD_SEND_RELEASED:
        return copy_record<held_send_released_event>(bytes);
    case EVENT_IDLE_RESTART:
        return copy_record<idle_restart_event>(bytes);
    default:
        return std::nullopt;
    }
}

}  // namespace connscope

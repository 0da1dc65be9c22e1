#include "http_events.h"

#include <cstring>

namespace connscope
{

std::optional<http_data_event> decode_http_event(std::span<const std::byte> bytes)
{
    constexpr size_t fixed = offsetof(http_data_event, data);
    if (bytes.size() < fixed)
        return std::nullopt;
    http_data_event e; // data[] past `captured` is left as it is: nothing reads it
    std::memcpy(&e, bytes.data(), fixed);
    if (e.hdr.type != EVENT_HTTP_DATA || e.captured > sizeof(e.data) || bytes.size() < fixed + e.captured ||
        e.tail_len > sizeof(e.tail))
        return std::nullopt;
    std::memcpy(e.data, bytes.data() + fixed, e.captured);
    return e;
}

} // namespace connscope

#include "http_events.h"

#include <cstring>

namespace connscope
{

bool decode_http_event(std::span<const std::byte> bytes, http_data_event& out)
{
    constexpr size_t fixed = offsetof(http_data_event, data);
    if (bytes.size() < fixed)
        return false;
    std::memcpy(&out, bytes.data(), fixed);
    if (out.hdr.type != EVENT_HTTP_DATA || out.captured > sizeof(out.data) ||
        bytes.size() < fixed + out.captured || out.tail_len > sizeof(out.tail))
        return false;
    std::memcpy(out.data, bytes.data() + fixed, out.captured);
    return true;
}

} // namespace connscope

// bytes → typed HTTP data event: the kernel's variable-length record, checked for size.
#pragma once

#include <linux/types.h>

#include <cstddef>
#include <optional>
#include <span>

extern "C" {
#include "http_event.h"
}

namespace connscope
{

// Nothing for another event type or a record shorter than it says; data past `captured` is undefined.
std::optional<http_data_event> decode_http_event(std::span<const std::byte> bytes);

} // namespace connscope

// bytes → typed HTTP data event: the kernel's variable-length record, checked for size.
#pragma once

#include <linux/types.h>

#include <cstddef>
#include <span>

extern "C" {
#include "http_event.h"
}

namespace connscope
{

// Into out (reused: at HTTP rates a fresh 1 KiB event per record costs); false for another event
// type or a record shorter than it says. out's data past `captured` is left as it was.
bool decode_http_event(std::span<const std::byte> bytes, http_data_event& out);

} // namespace connscope

// Kernel symbol addresses from /proc/kallsyms, for hooks that recognise a kernel function by
// address (a timer's callback) where no BPF helper can name a static function.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string_view>

namespace connscope {

// The address of the first symbol called name in kallsyms text; nothing when it is absent
// or hidden (kptr_restrict shows zeros).
std::optional<uint64_t> find_kernel_symbol(std::istream& kallsyms, std::string_view name);

// The same, read from /proc/kallsyms.
std::optional<uint64_t> kernel_symbol(std::string_view name);

}  // namespace connscope

#include "kernel_symbols.h"

#include <fstream>
#include <sstream>
#include <string>

namespace connscope {

std::optional<uint64_t> find_kernel_symbol(std::istream& kallsyms, std::string_view name)
{
    std::string line;
    while (std::getline(kallsyms, line)) {
        std::istringstream fields(line);
        std::string address, type, symbol;
        if (!(fields >> address >> type >> symbol) || symbol != name)
            continue;
        try {
            const uint64_t value = std::stoull(address, nullptr, 16);
            return value ? std::optional<uint64_t>(value) : std::nullopt;
        } catch (const std::exception&) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

std::optional<uint64_t> kernel_symbol(std::string_view name)
{
    std::ifstream kallsyms("/proc/kallsyms");
    return find_kernel_symbol(kallsyms, name);
}

}  // namespace connscope

#include "port_settings.h"

#include <sstream>

#include "error.h"

namespace connscope {
namespace {

uint16_t port_number(const std::string& text)
{
    size_t used = 0;
    unsigned long value = 0;
    try {
        value = std::stoul(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != text.size() || value > 65535)
        throw UserError("not a port number: \"" + text + "\"");
    return static_cast<uint16_t>(value);
}

std::string trimmed(std::string text)
{
    text.erase(text.find_last_not_of(" \t\n") + 1);
    return text.erase(0, std::min(text.size(), text.find_first_not_of(" \t\n")));
}

}  // namespace

void parse_port_range(const std::string& text, PortSettings& settings)
{
    std::istringstream in(text);
    std::string low;
    std::string high;
    std::string extra;
    if (!(in >> low >> high) || (in >> extra))
        throw UserError("ip_local_port_range: expected two numbers, got \"" + trimmed(text) + "\"");
    settings.low = port_number(low);
    settings.high = port_number(high);
    if (settings.low > settings.high)
        throw UserError("ip_local_port_range: the range is empty");
}

std::set<uint16_t> parse_port_list(const std::string& text)
{
    std::set<uint16_t> ports;
    std::istringstream in(trimmed(text));
    std::string item;
    while (std::getline(in, item, ',')) {
        const size_t dash = item.find('-');
        const uint16_t first = port_number(item.substr(0, dash));
        const uint16_t last = dash == std::string::npos ? first : port_number(item.substr(dash + 1));
        for (uint32_t port = first; port <= last; ++port)
            ports.insert(static_cast<uint16_t>(port));
    }
    return ports;
}

}  // namespace connscope

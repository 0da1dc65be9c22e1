#include "listen_address.h"

#include <charconv>

namespace connscope {
namespace {

constexpr const char* default_host = "127.0.0.1";

std::optional<uint16_t> port_number(std::string_view text)
{
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535)
        return std::nullopt;
    return uint16_t(value);
}

}  // namespace

std::optional<ListenAddress> parse_listen_address(const std::string& text)
{
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) {
        const auto port = port_number(text);
        return port ? std::optional(ListenAddress{default_host, *port}) : std::nullopt;
    }
    std::string host = text.substr(0, colon);
    const auto port = port_number(std::string_view(text).substr(colon + 1));
    if (!port)
        return std::nullopt;
    if (host.empty())
        return ListenAddress{default_host, *port};
    if (host.front() == '[') {
        if (host.size() < 3 || host.back() != ']')
            return std::nullopt;
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string::npos) {
        return std::nullopt;  // an IPv6 address needs brackets: [::1]:9100
    }
    return ListenAddress{host, *port};
}

}  // namespace connscope

#include "netstat_parse.h"

#include <charconv>
#include <vector>

namespace connscope {
namespace {

std::vector<std::string_view> words(std::string_view line)
{
    std::vector<std::string_view> out;
    while (!line.empty()) {
        const size_t start = line.find_first_not_of(' ');
        if (start == std::string_view::npos)
            break;
        line.remove_prefix(start);
        const size_t end = std::min(line.find(' '), line.size());
        out.push_back(line.substr(0, end));
        line.remove_prefix(end);
    }
    return out;
}

}  // namespace

std::optional<ListenCounters> parse_listen_counters(std::string_view netstat)
{
    // Each group is a line of names followed by a line of values, both led by "TcpExt:".
    std::vector<std::string_view> names;
    std::optional<uint64_t> overflows;
    std::optional<uint64_t> drops;
    while (!netstat.empty()) {
        const size_t end = std::min(netstat.find('\n'), netstat.size());
        const std::vector<std::string_view> line = words(netstat.substr(0, end));
        netstat.remove_prefix(std::min(end + 1, netstat.size()));
        if (line.empty() || line[0] != "TcpExt:")
            continue;
        if (names.empty()) {
            names = line;
            continue;
        }
        for (size_t i = 1; i < line.size() && i < names.size(); ++i) {
            uint64_t value = 0;
            const auto [ptr, err] = std::from_chars(line[i].data(), line[i].data() + line[i].size(), value);
            if (err != std::errc() || ptr != line[i].data() + line[i].size())
                return std::nullopt;
            if (names[i] == "ListenOverflows")
                overflows = value;
            else if (names[i] == "ListenDrops")
                drops = value;
        }
        names.clear();
    }
    if (!overflows || !drops)
        return std::nullopt;
    return ListenCounters{*overflows, *drops};
}

}  // namespace connscope

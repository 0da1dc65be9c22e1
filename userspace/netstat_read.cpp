#include "netstat_read.h"

#include <fstream>
#include <sstream>

#include "error.h"
#include "netns_handle.h"

namespace connscope {

std::optional<ListenCounters> read_listen_counters(const std::string& netns_path)
{
    std::string text;
    // thread-self: setns() moves only the calling thread.
    const auto read = [&] {
        std::ifstream file("/proc/thread-self/net/netstat");
        std::ostringstream buffer;
        buffer << file.rdbuf();
        text = buffer.str();
    };
    try {
        if (netns_path.empty())
            read();
        else
            NetnsHandle(netns_path).run_inside(read);
    } catch (const UserError&) {
        return std::nullopt;
    }
    return parse_listen_counters(text);
}

}  // namespace connscope

#include "timewait_report.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "net_names.h"

namespace connscope {
namespace {

using CountKey = std::tuple<std::optional<TimeWaitHolder>, std::string, uint16_t>;

// The largest counts first; past max_peers, one "*" entry per holder sums the rest.
std::vector<AddressCount> top(const std::map<CountKey, uint64_t>& counts, size_t max_peers)
{
    std::vector<AddressCount> all;
    for (const auto& [key, count] : counts)
        all.push_back({std::get<1>(key), std::get<2>(key), count, std::get<0>(key)});
    std::stable_sort(all.begin(), all.end(),
                     [](const AddressCount& a, const AddressCount& b) { return a.count > b.count; });
    if (all.size() > max_peers) {
        std::map<std::optional<TimeWaitHolder>, uint64_t> rest;
        for (size_t i = max_peers; i < all.size(); ++i)
            rest[all[i].holder] += all[i].count;
        all.resize(max_peers);
        for (const auto& [holder, count] : rest)
            all.push_back({"*", 0, count, holder});
    }
    return all;
}

bool is(uint32_t state, TcpState expected) { return state == static_cast<uint32_t>(expected); }

// The server's side has a listener on its port; once the listener is gone, the side whose
// port is not an ephemeral one (or, failing that, the lower port) is taken as the server's.
bool server_side(const DiagSocket& s, const std::set<uint16_t>& listening, const PortSettings& settings)
{
    if (listening.contains(s.local_port))
        return true;
    const auto ephemeral = [&](uint16_t port) { return port >= settings.low && port <= settings.high; };
    if (ephemeral(s.local_port) != ephemeral(s.remote_port))
        return ephemeral(s.remote_port);
    return s.local_port < s.remote_port;
}

}  // namespace

const char* time_wait_holder_name(TimeWaitHolder holder)
{
    return holder == TimeWaitHolder::server ? "server" : "client";
}

TimeWaitRecord timewait_record(const NetnsSnapshot& snapshot, uint64_t ts_ns, const TimeWaitEntries& entered,
                               double elapsed_s, size_t max_peers)
{
    TimeWaitRecord r;
    r.ts_ns = ts_ns;
    r.netns = snapshot.netns;
    std::set<uint16_t> listening;
    for (const DiagSocket& s : snapshot.sockets)
        if (is(s.state, TcpState::listen))
            listening.insert(s.local_port);
    std::map<CountKey, uint64_t> by_destination;
    std::map<CountKey, uint64_t> by_local;
    for (const DiagSocket& s : snapshot.sockets) {
        if (!is(s.state, TcpState::time_wait))
            continue;
        r.total += 1;
        const bool server = server_side(s, listening, snapshot.settings);
        (server ? r.server_side : r.client_side) += 1;
        // A server's remote ports are its clients' ephemeral ones: grouped by address only.
        const std::string remote = address_text(s.family, s.remote_address);
        if (server)
            by_destination[{TimeWaitHolder::server, remote, 0}] += 1;
        else
            by_destination[{TimeWaitHolder::client, remote, s.remote_port}] += 1;
        by_local[{std::nullopt, address_text(s.family, s.local_address), 0}] += 1;
    }
    r.by_destination = top(by_destination, max_peers);
    r.by_local = top(by_local, max_peers);
    r.entered_client = entered.client;
    r.entered_server = entered.server;
    r.entering_per_s = elapsed_s > 0 ? double(entered.client + entered.server) / elapsed_s : 0;
    return r;
}

}  // namespace connscope

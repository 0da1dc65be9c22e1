#include "port_monitor.h"

#include <fstream>
#include <iterator>

#include "error.h"
#include "netns_handle.h"
#include "port_settings.h"
#include "preflight.h"
#include "sock_diag.h"

namespace connscope {
namespace {

constexpr const char* own_netns = "/proc/self/ns/net";
// /proc is walked for a namespace first seen in events at most this often.
constexpr uint64_t scan_every_ns = 1'000'000'000;
constexpr uint64_t refresh_every_ns = 5'000'000'000;
constexpr const char* sysctl_dir = "/proc/sys/net/ipv4/";

std::string read_sysctl(const std::string& name)
{
    std::ifstream file(sysctl_dir + name);
    if (!file)
        throw UserError("cannot read " + std::string(sysctl_dir) + name);
    return std::string(std::istreambuf_iterator<char>(file), {});
}

// The files reflect the namespace of the thread that opens them.
PortSettings read_port_settings()
{
    PortSettings settings;
    parse_port_range(read_sysctl("ip_local_port_range"), settings);
    settings.reserved = parse_port_list(read_sysctl("ip_local_reserved_ports"));
    const std::string tw_reuse = read_sysctl("tcp_tw_reuse");
    settings.tw_reuse = tw_reuse.empty() ? 0 : tw_reuse[0] - '0';
    return settings;
}

}  // namespace

PortMonitor::PortMonitor(const PortMonitorSettings& settings, uint64_t now_ns)
    : settings_(settings), headroom_(settings.warn_threshold, settings.max_peers), last_report_ns_(now_ns),
      last_read_ns_(now_ns)
{
    const std::string path = settings.netns_path.empty() ? own_netns : settings.netns_path;
    paths_.emplace(netns_inode(path), path);
    for (const auto& [netns, ignored] : paths_)
        if (auto snapshot = read(netns))
            headroom_.resync(*snapshot, unix_ns(now_ns));
}

std::optional<NetnsSnapshot> PortMonitor::read(uint32_t netns)
{
    NetnsSnapshot snapshot;
    snapshot.netns = netns;
    try {
        const NetnsHandle handle(paths_.at(netns));
        // The path may now name another namespace (a /proc/PID whose process is gone).
        if (handle.inode() != netns)
            return std::nullopt;
        handle.run_inside([&snapshot] {
            snapshot.settings = read_port_settings();
            snapshot.sockets = SockDiag().dump_tcp();
        });
    } catch (const UserError&) {
        return std::nullopt;
    }
    return snapshot;
}

std::vector<Record> PortMonitor::on_event(const Event& event)
{
    const auto* state = std::get_if<state_event>(&event);
    if (!state)
        return {};
    std::vector<Record> warnings = read_new_namespace(state->flow.netns, state->hdr.ts_ns);
    for (Record& warning : headroom_.on_state(*state, unix_ns(state->hdr.ts_ns)))
        warnings.push_back(std::move(warning));
    return warnings;
}

// Read before its first event is applied: the read already holds what the event did.
std::vector<Record> PortMonitor::read_new_namespace(uint32_t netns, uint64_t now_ns)
{
    if (!settings_.netns_path.empty() || paths_.contains(netns) || unreachable_.contains(netns) ||
        now_ns - last_scan_ns_ < scan_every_ns)
        return {};
    last_scan_ns_ = now_ns;
    const std::map<uint32_t, std::string> visible = visible_netns_paths();
    auto found = visible.find(netns);
    if (found == visible.end()) {
        unreachable_.insert(netns);
        return {};
    }
    paths_.emplace(netns, found->second);
    const std::optional<NetnsSnapshot> snapshot = read(netns);
    return snapshot ? headroom_.resync(*snapshot, unix_ns(now_ns)) : std::vector<Record>{};
}

void PortMonitor::annotate(Record& record)
{
    if (const auto* conn = std::get_if<ConnRecord>(&record)) {
        if (conn->time_wait)
            (conn->role == Role::client ? entered_[conn->netns].client : entered_[conn->netns].server) += 1;
        return;
    }
    auto* error = std::get_if<ConnectErrorRecord>(&record);
    if (!error || (error->error != "EADDRNOTAVAIL" && error->error != "EADDRINUSE"))
        return;
    error->port_utilization = error->syscall == "bind"
                                  ? headroom_.bind_utilization(error->netns)
                                  : headroom_.connect_utilization(error->netns, error->remote.address,
                                                                  error->remote.port);
}

template <typename Use>
void PortMonitor::read_all(Use use)
{
    for (auto it = paths_.begin(); it != paths_.end();) {
        const uint32_t netns = it->first;
        const std::optional<NetnsSnapshot> snapshot = read(netns);
        if (!snapshot) {  // the namespace is gone
            headroom_.forget(netns);
            it = paths_.erase(it);
            continue;
        }
        use(netns, *snapshot);
        ++it;
    }
}

std::vector<Record> PortMonitor::refresh(uint64_t now_ns)
{
    std::vector<Record> warnings;
    if (now_ns - last_read_ns_ < refresh_every_ns)
        return warnings;
    last_read_ns_ = now_ns;
    const double elapsed_s = double(now_ns - last_report_ns_) / 1e9;
    const uint64_t ts_ns = unix_ns(now_ns);
    refreshed_.clear();
    read_all([&](uint32_t netns, const NetnsSnapshot& snapshot) {
        for (Record& warning : headroom_.resync(snapshot, ts_ns))
            warnings.push_back(std::move(warning));
        refreshed_.push_back(timewait_record(snapshot, ts_ns, entered_[netns], elapsed_s, settings_.max_peers));
        refreshed_.push_back(headroom_.view(netns, ts_ns, elapsed_s));
    });
    return warnings;
}

std::vector<Record> PortMonitor::report(uint64_t now_ns)
{
    std::vector<Record> records;
    const double elapsed_s = double(now_ns - last_report_ns_) / 1e9;
    const uint64_t ts_ns = unix_ns(now_ns);
    read_all([&](uint32_t netns, const NetnsSnapshot& snapshot) {
        for (Record& warning : headroom_.resync(snapshot, ts_ns))
            records.push_back(std::move(warning));
        records.push_back(timewait_record(snapshot, ts_ns, entered_[netns], elapsed_s, settings_.max_peers));
        records.push_back(headroom_.report(netns, ts_ns, elapsed_s));
    });
    entered_.clear();
    last_report_ns_ = last_read_ns_ = now_ns;
    return records;
}

}  // namespace connscope

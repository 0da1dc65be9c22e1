#include "port_headroom.h"

#include <algorithm>

#include "net_names.h"

namespace connscope {
namespace {

bool is(uint32_t state, TcpState expected) { return state == static_cast<uint32_t>(expected); }

// The full socket leaves these states for CLOSE when a timewait socket takes its port.
bool leaves_for_time_wait(uint32_t oldstate)
{
    return is(oldstate, TcpState::fin_wait1) || is(oldstate, TcpState::fin_wait2) ||
           is(oldstate, TcpState::closing);
}

bool loopback(const std::string& address)
{
    return address.rfind("127.", 0) == 0 || address == "::1";
}

double ratio(uint64_t part, uint64_t whole) { return whole ? double(part) / double(whole) : 1.0; }

}  // namespace

PortHeadroom::PortHeadroom(double warn_threshold, size_t max_peers)
    : warn_threshold_(warn_threshold), max_peers_(max_peers)
{
}

bool PortHeadroom::in_pool(const Namespace& ns, uint16_t port) const
{
    return port >= ns.settings.low && port <= ns.settings.high && !ns.settings.reserved.contains(port) &&
           !ns.listening_ports[port];
}

uint64_t PortHeadroom::pool(const Namespace& ns)
{
    const uint64_t range = uint64_t(ns.settings.high) - ns.settings.low + 1;
    return range - std::min(range, ns.reserved + ns.listening);
}

// A socket bound before connect() took its port from the pool every destination shares.
bool PortHeadroom::shared(const Namespace& ns, const DestKey& key) const
{
    auto it = ns.opens.find({key.remote_address, key.remote_port});
    return it != ns.opens.end() && it->second.bound_before_connect > 0;
}

uint64_t PortHeadroom::in_use(const Namespace& ns, const DestKey& key, const Destination& dest) const
{
    return shared(ns, key) ? ns.holders.size() : dest.ports.size();
}

double PortHeadroom::utilization(const Namespace& ns, const DestKey& key, const Destination& dest) const
{
    return ratio(in_use(ns, key, dest), pool(ns));
}

void PortHeadroom::hold(Namespace& ns, Destination& dest, uint16_t port, bool time_wait)
{
    auto [it, added] = dest.ports.try_emplace(port, time_wait);
    it->second = time_wait;
    if (added)
        ns.holders[port] += 1;
}

void PortHeadroom::release(Namespace& ns, Destination& dest, uint16_t port)
{
    if (!dest.ports.erase(port))
        return;
    auto holder = ns.holders.find(port);
    if (holder != ns.holders.end() && --holder->second == 0)
        ns.holders.erase(holder);
}

void PortHeadroom::warn_if_crossed(uint32_t netns, Namespace& ns, const DestKey& key, Destination& dest,
                                   uint64_t ts_ns, std::vector<Record>& out) const
{
    const double used = utilization(ns, key, dest);
    if (used < warn_threshold_) {
        dest.warned = false;
        return;
    }
    if (dest.warned)
        return;
    dest.warned = true;
    const uint64_t taken = in_use(ns, key, dest);
    out.push_back(PortWarningRecord{ts_ns, netns, key.local_address, key.remote_address, key.remote_port,
                                    taken, pool(ns) - std::min(pool(ns), taken), used, warn_threshold_,
                                    shared(ns, key)});
}

std::vector<Record> PortHeadroom::resync(const NetnsSnapshot& snapshot, uint64_t ts_ns)
{
    const bool first_read = !namespaces_.contains(snapshot.netns);
    Namespace& ns = namespaces_[snapshot.netns];
    ns.settings = snapshot.settings;
    ns.holders.clear();
    ns.listening_ports.assign(65536, false);
    for (const DiagSocket& s : snapshot.sockets)
        if (is(s.state, TcpState::listen))
            ns.listening_ports[s.local_port] = true;
    ns.reserved = ns.listening = 0;
    for (uint32_t port = ns.settings.low; port <= ns.settings.high; ++port) {
        ns.reserved += ns.settings.reserved.contains(uint16_t(port));
        ns.listening += ns.listening_ports[port] && !ns.settings.reserved.contains(uint16_t(port));
    }
    for (auto& [key, dest] : ns.destinations)
        dest.ports.clear();
    for (const DiagSocket& s : snapshot.sockets) {
        if (s.remote_port == 0 || !in_pool(ns, s.local_port))
            continue;
        const DestKey key{address_text(s.family, s.local_address), address_text(s.family, s.remote_address),
                          s.remote_port};
        hold(ns, ns.destinations[key], s.local_port, is(s.state, TcpState::time_wait));
    }
    std::vector<Record> warnings;
    for (auto& [key, dest] : ns.destinations) {
        // What was there when connscope started is not growth.
        if (first_read)
            dest.in_use_at_report = in_use(ns, key, dest);
        warn_if_crossed(snapshot.netns, ns, key, dest, ts_ns, warnings);
    }
    return warnings;
}

std::vector<Record> PortHeadroom::on_state(const state_event& e, uint64_t ts_ns)
{
    std::vector<Record> warnings;
    auto found = namespaces_.find(e.flow.netns);
    if (found == namespaces_.end())
        return warnings;
    Namespace& ns = found->second;
    if (is(e.oldstate, TcpState::close) && is(e.newstate, TcpState::syn_sent)) {
        Opens& opens = ns.opens[{address_text(e.flow.family, e.flow.daddr), e.flow.dport}];
        opens.since_report += 1;
        opens.bound_before_connect += (e.flags & STATE_FLAG_PORT_BOUND) != 0;
        return warnings;
    }
    // A port is chosen inside SYN_SENT: the next state shows it, and the local address.
    if (e.flow.sport == 0 || e.flow.dport == 0 || is(e.newstate, TcpState::syn_sent) ||
        !in_pool(ns, e.flow.sport))
        return warnings;
    const DestKey key{address_text(e.flow.family, e.flow.saddr), address_text(e.flow.family, e.flow.daddr),
                      e.flow.dport};
    Destination& dest = ns.destinations[key];
    if (!is(e.newstate, TcpState::close)) {
        hold(ns, dest, e.flow.sport, false);
    } else if (leaves_for_time_wait(e.oldstate)) {
        hold(ns, dest, e.flow.sport, true);
    } else {
        release(ns, dest, e.flow.sport);
        return warnings;
    }
    if (shared(ns, key)) {
        for (auto& [other_key, other] : ns.destinations)
            if (shared(ns, other_key))
                warn_if_crossed(e.flow.netns, ns, other_key, other, ts_ns, warnings);
    } else {
        warn_if_crossed(e.flow.netns, ns, key, dest, ts_ns, warnings);
    }
    return warnings;
}

std::optional<double> PortHeadroom::connect_utilization(uint32_t netns, const std::string& remote_address,
                                                        uint16_t remote_port) const
{
    auto found = namespaces_.find(netns);
    if (found == namespaces_.end())
        return std::nullopt;
    const Namespace& ns = found->second;
    double highest = 0;
    for (const auto& [key, dest] : ns.destinations)
        if (key.remote_address == remote_address && key.remote_port == remote_port)
            highest = std::max(highest, utilization(ns, key, dest));
    return highest;
}

std::optional<double> PortHeadroom::bind_utilization(uint32_t netns) const
{
    auto found = namespaces_.find(netns);
    if (found == namespaces_.end())
        return std::nullopt;
    return ratio(found->second.holders.size(), pool(found->second));
}

PortDestination PortHeadroom::destination_entry(const Namespace& ns, const DestKey& key,
                                                const Destination& dest, double elapsed_s) const
{
    PortDestination d;
    d.local_address = key.local_address;
    d.remote_address = key.remote_address;
    d.remote_port = key.remote_port;
    d.shared_pool = shared(ns, key);
    d.in_use = in_use(ns, key, dest);
    for (const auto& [port, time_wait] : dest.ports)
        d.time_wait += time_wait;
    const int reuse = ns.settings.tw_reuse;
    // tcp_tw_reuse only helps connect() pick a port; a port bound first never reuses one.
    if (!d.shared_pool && (reuse == 1 || (reuse == 2 && loopback(key.remote_address))))
        d.reusable = d.time_wait;
    const uint64_t size = pool(ns);
    d.available = size - std::min(size, d.in_use);
    d.utilization = ratio(d.in_use, size);
    d.utilization_after_reuse = ratio(d.in_use - d.reusable, size);
    auto opens = ns.opens.find({key.remote_address, key.remote_port});
    if (opens != ns.opens.end()) {
        d.opens_per_s = elapsed_s > 0 ? double(opens->second.since_report) / elapsed_s : 0;
        d.bound_before_connect = opens->second.bound_before_connect;
    }
    const double growth_per_s =
        elapsed_s > 0 ? (double(d.in_use) - double(dest.in_use_at_report)) / elapsed_s : 0;
    if (growth_per_s > 0)
        d.exhaustion_in_s = double(d.available) / growth_per_s;
    return d;
}

PortsRecord PortHeadroom::view(uint32_t netns, uint64_t ts_ns, double elapsed_s) const
{
    PortsRecord r;
    r.ts_ns = ts_ns;
    r.netns = netns;
    auto found = namespaces_.find(netns);
    if (found == namespaces_.end())
        return r;
    const Namespace& ns = found->second;
    r.range_low = ns.settings.low;
    r.range_high = ns.settings.high;
    r.reserved = ns.reserved;
    r.listening = ns.listening;
    r.pool = pool(ns);
    r.tw_reuse = ns.settings.tw_reuse;
    std::vector<PortDestination> all;
    for (const auto& [key, dest] : ns.destinations)
        all.push_back(destination_entry(ns, key, dest, elapsed_s));
    std::stable_sort(all.begin(), all.end(), [](const PortDestination& a, const PortDestination& b) {
        return std::tie(a.utilization, a.opens_per_s) > std::tie(b.utilization, b.opens_per_s);
    });
    for (size_t i = 0; i < all.size(); ++i) {
        if (i < max_peers_) {
            r.destinations.push_back(all[i]);
            continue;
        }
        if (i == max_peers_)
        {
            PortDestination rest;
            rest.local_address = rest.remote_address = "*";
            r.destinations.push_back(rest);
        }
        PortDestination& rest = r.destinations.back();
        rest.in_use += all[i].in_use;
        rest.time_wait += all[i].time_wait;
        rest.reusable += all[i].reusable;
        rest.available += all[i].available;
        rest.opens_per_s += all[i].opens_per_s;
        rest.bound_before_connect += all[i].bound_before_connect;
        rest.utilization = std::max(rest.utilization, all[i].utilization);
        rest.utilization_after_reuse = std::max(rest.utilization_after_reuse, all[i].utilization_after_reuse);
        rest.shared_pool = rest.shared_pool || all[i].shared_pool;
        if (all[i].exhaustion_in_s)
            rest.exhaustion_in_s = std::min(rest.exhaustion_in_s.value_or(*all[i].exhaustion_in_s),
                                            *all[i].exhaustion_in_s);
    }
    return r;
}

PortsRecord PortHeadroom::report(uint32_t netns, uint64_t ts_ns, double elapsed_s)
{
    PortsRecord r = view(netns, ts_ns, elapsed_s);
    auto found = namespaces_.find(netns);
    if (found == namespaces_.end())
        return r;
    Namespace& ns = found->second;
    // A destination with no port and no connect() since the last report is forgotten.
    for (auto& [key, dest] : ns.destinations)
        dest.in_use_at_report = in_use(ns, key, dest);
    std::erase_if(ns.destinations, [&](const auto& entry) {
        auto opens = ns.opens.find({entry.first.remote_address, entry.first.remote_port});
        return entry.second.ports.empty() && (opens == ns.opens.end() || opens->second.since_report == 0);
    });
    std::erase_if(ns.opens, [](const auto& entry) { return entry.second.bound_before_connect == 0; });
    for (auto& [remote, opens] : ns.opens)
        opens.since_report = 0;
    return r;
}

}  // namespace connscope

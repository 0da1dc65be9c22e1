// Source-port headroom per destination: the kernel's socket table (read now and then) kept
// current between reads by live state events → ports records and port warnings. Pure.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "events.h"
#include "port_settings.h"
#include "records.h"
#include "sock_diag.h"

namespace connscope {

struct NetnsSnapshot {
    uint32_t netns = 0;
    PortSettings settings;
    std::vector<DiagSocket> sockets;
};

class PortHeadroom {
public:
    // warn_threshold: the utilization (0..1] whose crossing makes a port_warning.
    PortHeadroom(double warn_threshold, size_t max_peers);

    // The authoritative view of one namespace replaces the live one. Returns port_warning
    // records for destinations that crossed the threshold since the last look.
    std::vector<Record> resync(const NetnsSnapshot& snapshot, uint64_t ts_ns);
    // Live: a port taken or given back, or a connect() starting. ts_ns is unix time.
    std::vector<Record> on_state(const state_event& e, uint64_t ts_ns);
    bool knows(uint32_t netns) const { return namespaces_.contains(netns); }
    void forget(uint32_t netns) { namespaces_.erase(netns); }

    // Utilization of the pool a connect() to this destination draws from, or of the pool
    // bind() draws from; nothing for a namespace never read.
    std::optional<double> connect_utilization(uint32_t netns, const std::string& remote_address,
                                              uint16_t remote_port) const;
    std::optional<double> bind_utilization(uint32_t netns) const;

    // The ports record of a namespace; opening rates are over elapsed_s, since the last report.
    PortsRecord view(uint32_t netns, uint64_t ts_ns, double elapsed_s) const;
    // The same, and the next report's rates start from here.
    PortsRecord report(uint32_t netns, uint64_t ts_ns, double elapsed_s);

private:
    struct DestKey {
        std::string local_address;
        std::string remote_address;
        uint16_t remote_port = 0;
        auto operator<=>(const DestKey&) const = default;
    };
    struct Destination {
        std::map<uint16_t, bool> ports;  // local port → in TIME_WAIT
        uint64_t in_use_at_report = 0;
        bool warned = false;
    };
    using Remote = std::pair<std::string, uint16_t>;
    struct Opens {
        uint64_t since_report = 0;
        uint64_t bound_before_connect = 0;  // since the start
    };
    struct Namespace {
        PortSettings settings;
        std::map<uint16_t, uint32_t> holders;  // pool port → sockets holding it
        uint64_t reserved = 0;
        uint64_t listening = 0;
        std::vector<bool> listening_ports;
        std::map<DestKey, Destination> destinations;
        std::map<Remote, Opens> opens;
    };

    bool in_pool(const Namespace& ns, uint16_t port) const;
    static uint64_t pool(const Namespace& ns);
    bool shared(const Namespace& ns, const DestKey& key) const;
    uint64_t in_use(const Namespace& ns, const DestKey& key, const Destination& dest) const;
    double utilization(const Namespace& ns, const DestKey& key, const Destination& dest) const;
    void hold(Namespace& ns, Destination& dest, uint16_t port, bool time_wait);
    void release(Namespace& ns, Destination& dest, uint16_t port);
    void warn_if_crossed(uint32_t netns, Namespace& ns, const DestKey& key, Destination& dest,
                         uint64_t ts_ns, std::vector<Record>& out) const;
    PortDestination destination_entry(const Namespace& ns, const DestKey& key, const Destination& dest,
                                      double elapsed_s) const;

    double warn_threshold_;
    size_t max_peers_;
    std::map<uint32_t, Namespace> namespaces_;
};

}  // namespace connscope

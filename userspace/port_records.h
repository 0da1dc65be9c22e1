// The TIME_WAIT and port headroom records (records.h holds them in its Record variant).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace connscope {

enum class TimeWaitHolder { client, server };

struct AddressCount {
    std::string address;  // "*" for the entry that sums the ones past --max-peers
    uint16_t port = 0;    // 0 where the grouping has no port
    uint64_t count = 0;
    std::optional<TimeWaitHolder> holder;  // timewait by_destination only
};

const char* time_wait_holder_name(TimeWaitHolder holder);

struct TimeWaitRecord {
    uint64_t ts_ns = 0;
    uint32_t netns = 0;
    uint64_t total = 0;
    uint64_t client_side = 0;  // held by the side that opened the connection
    uint64_t server_side = 0;  // held by a listener's side (its local port has a listener)
    std::vector<AddressCount> by_destination;
    std::vector<AddressCount> by_local;
    double entering_per_s = 0;
    uint64_t entered_client = 0;  // since the last record: the client closed first
    uint64_t entered_server = 0;  // since the last record: the server closed first
};

struct PortDestination {
    std::string local_address;  // "*" in the entry that sums the ones past --max-peers
    std::string remote_address;
    uint16_t remote_port = 0;
    uint64_t in_use = 0;
    uint64_t time_wait = 0;
    uint64_t reusable = 0;  // TIME_WAIT ports tcp_tw_reuse lets connect() take again
    uint64_t available = 0;
    double utilization = 0;
    double utilization_after_reuse = 0;
    double opens_per_s = 0;
    std::optional<double> exhaustion_in_s;
    uint64_t bound_before_connect = 0;  // connects since the start from a socket bound first
    bool shared_pool = false;
};

struct PortsRecord {
    uint64_t ts_ns = 0;
    uint32_t netns = 0;
    uint16_t range_low = 0;
    uint16_t range_high = 0;
    uint64_t reserved = 0;   // ports of the range in ip_local_reserved_ports
    uint64_t listening = 0;  // other ports of the range held by listeners
    uint64_t pool = 0;       // what is left for connect() to choose from
    int tw_reuse = 0;
    std::vector<PortDestination> destinations;
};

struct PortWarningRecord {
    uint64_t ts_ns = 0;
    uint32_t netns = 0;
    std::string local_address;
    std::string remote_address;
    uint16_t remote_port = 0;
    uint64_t in_use = 0;
    uint64_t available = 0;
    double utilization = 0;
    double threshold = 0;
    bool shared_pool = false;
};

}  // namespace connscope

// Per-connection counts of the TCP detectors. Cumulative and stamped, so a transaction on a
// keep-alive connection gets its own share by diffing a snapshot taken at its start
// (ConnTable::tcp_counters) with one taken at its end.
#pragma once

#include <cstdint>

namespace connscope {

enum class StallKind { nagle_delayed_ack, delayed_ack };
enum class StallSide { sender, receiver };
enum class RetransmitKind { syn, synack, timeout, slow_start, fast, loss_probe };

struct TcpCounters {
    uint32_t delayed_acks = 0;  // delayed-ACK timer expiries that sent an ACK
    uint32_t stalls = 0;
    uint64_t stall_us = 0;
    uint32_t fast_retransmits = 0;        // segments
    uint32_t slow_start_retransmits = 0;  // segments
    uint32_t timeouts = 0;                // RTO expiries
    uint32_t loss_probes = 0;
    uint32_t idle_restarts = 0;  // congestion window restarts after an idle period (slow start again)
    uint32_t last_restart_cwnd = 0;  // the window the latest restart started from
    uint64_t last_event_ns = 0;  // monotonic time of the latest change, 0 before any
};

}  // namespace connscope

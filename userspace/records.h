// What connscope reports: the records that sinks render. Times are unix nanoseconds.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "port_records.h"
#include "detectors/tcp_counters.h"

namespace connscope {

struct Endpoint {
    std::string address;
    uint16_t port = 0;
};

enum class Role { client, server };
enum class CloseKind { local_fin, peer_fin, reset_sent, reset_received, never_established, aborted };

// What a record about one connection starts with: when, and which connection.
struct ConnIdentity {
    uint64_t ts_ns = 0;
    uint64_t cookie = 0;
    uint32_t pid = 0;
    std::string comm;
    uint32_t netns = 0;
    uint16_t family = 0;
    Endpoint local;
    Endpoint remote;
};

struct ConnRecord : ConnIdentity {
    Role role = Role::client;
    bool observed_open = true;  // false for a connection opened before connscope started
    uint64_t start_ts_ns = 0;
    uint64_t duration_us = 0;
    uint64_t handshake_us = 0;
    uint64_t accept_wait_us = 0;  // server: handshake complete → accept() returned
    uint32_t syn_retransmits = 0;
    uint32_t retransmits = 0;  // segments, SYN and SYN-ACK included, as TcpRetransSegs counts
    uint32_t rtt_us = 0;
    uint64_t bytes_sent = 0;
    uint64_t bytes_received = 0;
    uint64_t bytes_retransmitted = 0;
    CloseKind close = CloseKind::local_fin;
    std::string close_state;  // the state the connection left for CLOSE
    std::string error;         // the socket error it ended with, if any
    bool time_wait = false;
    std::string protocol = "unknown";  // http1, http2, tls, other; unknown when no data was seen
    uint64_t http_transactions = 0;
    uint64_t bytes_after_fin = 0;
    uint32_t cwnd = 0;                  // congestion window at close (segments)
    std::optional<uint32_t> ssthresh;  // at close; nothing while infinite (no loss seen)  // half-close: payload that flowed the other way after the first FIN
    TcpCounters tcp;  // detectors: delayed ACKs, stalls, retransmits by kind
};


// A delayed ACK that held the connection up (see detectors/stall_detector.h).
struct StallRecord : ConnIdentity {
    StallKind kind = StallKind::nagle_delayed_ack;
    StallSide side = StallSide::sender;
    uint64_t stall_us = 0;
    std::optional<bool> nodelay;  // this side's TCP_NODELAY; unknown on the receiving side
};

// A handshake slower than --slow-handshake-ms, when the connection is established.
struct HandshakeRecord : ConnIdentity {
    Role role = Role::client;
    uint64_t handshake_us = 0;
    uint32_t syn_retransmits = 0;  // SYNs (client) or SYN-ACKs (server) sent again
};

// A reset received right after this side reused a connection the peer was closing.
struct IdleCloseRaceRecord : ConnIdentity {
    std::string state;  // the connection's state when the reset came
    uint64_t since_send_us = 0;
    bool peer_fin_first = false;
};

// One retransmitted segment (--verbose-events).
struct RetransmitRecord : ConnIdentity {
    RetransmitKind kind = RetransmitKind::fast;
    std::string state;
    uint32_t segs = 0;
    uint32_t rto_us = 0;
    uint32_t srtt_us = 0;
};

// A listening socket that dropped connections (accept queue full, SYN queue full, ...)
// since connscope started, or has connections waiting to be accepted.
struct ListenRecord {
    uint64_t ts_ns = 0;
    uint32_t netns = 0;
    uint16_t family = 0;
    Endpoint local;
    uint32_t accept_queue = 0;
    uint32_t accept_queue_max = 0;
    uint32_t syn_queue = 0;
    uint32_t drops = 0;  // since start, as TcpExtListenDrops counts them
};

// A connection the peer closed and the local application has not (yet): still in CLOSE_WAIT.
struct CloseWaitRecord : ConnIdentity {
    uint64_t age_us = 0;  // time since the peer's FIN
};

struct ConnectErrorRecord : ConnIdentity {
    std::string error;  // errno name
    bool async = false;
    std::string syscall = "connect";       // or "bind"
    std::optional<double> port_utilization;  // of the destination's (or bind()'s) port pool then
};

// How a transaction ended: with its complete response, cut by the connection's end, or
// past a point where bytes the framing needed were not captured.
// in_flight: connscope stopped while the connection was open and the response had not ended.
enum class TransactionEnd { complete, connection_closed, capture_lost, in_flight };

// One HTTP/1.x request and its response, seen from this host's side of the connection.
// ts_ns: the response's last byte, or the connection's end.
struct HttpRecord : ConnIdentity {
    Role role = Role::client;
    std::string method;  // empty for a response to no request seen
    std::string path;
    std::string host;
    std::string version;
    uint16_t status = 0;
    uint64_t req_bytes = 0;
    uint64_t resp_bytes = 0;
    uint64_t seq = 0;
    bool new_connection = false;
    uint64_t handshake_us = 0;  // of the connection, on its first transaction only
    uint64_t ttfb_us = 0;
    uint64_t duration_us = 0;
    bool keep_alive = false;
    bool truncated = false;
    TransactionEnd end = TransactionEnd::complete;
    CloseKind close = CloseKind::local_fin;  // how the connection ended, for connection_closed
    uint32_t retransmits = 0;
    // The detectors' counts over the same window as retransmits.
    uint32_t delayed_acks = 0;
    uint32_t stalls = 0;
    uint64_t stall_us = 0;
    bool idle_restart = false;  // the congestion window restarted from idle (slow start again)
    // When the transaction started (the request's first bytes): nothing while ssthresh is infinite.
    uint32_t cwnd = 0;
    std::optional<uint32_t> ssthresh;
};

using Record = std::variant<ConnRecord, ConnectErrorRecord, TimeWaitRecord, PortsRecord, PortWarningRecord,
                            HttpRecord, StallRecord, RetransmitRecord, CloseWaitRecord, HandshakeRecord,
                            IdleCloseRaceRecord, ListenRecord>;

struct Hook {
    std::string signal;
    std::string mechanism;  // "none" where this kernel has no hook for an optional signal
    std::string lost;       // with "none": what is missing from the records for it
};

struct StartRecord {
    uint64_t ts_ns = 0;
    std::string version;
    std::vector<Hook> hooks;
    std::optional<uint32_t> http_sample;  // HTTP capture covers one connection in this many; none without it
};

struct Totals {
    uint64_t connections_active = 0;
    uint64_t connections_passive = 0;
    uint64_t retransmits = 0;
    uint64_t syn_retransmits = 0;
    uint64_t resets_sent = 0;
    uint64_t resets_received = 0;
    uint64_t events_lost = 0;
    std::map<std::string, uint64_t> connect_errors;  // errno name → count
    uint64_t fast_retransmits = 0;        // segments, as TcpExtTCPFastRetrans
    uint64_t slow_start_retransmits = 0;  // segments, as TcpExtTCPSlowStartRetrans
    uint64_t timeouts = 0;                // RTO expiries that retransmitted data
    uint64_t loss_probes = 0;             // tail-loss probes that retransmitted
    uint64_t delayed_acks = 0;            // as TcpExtDelayedACKs
    uint64_t delayed_acks_locked = 0;     // as TcpExtDelayedACKLocked
    uint64_t http_body_io_counted = 0;    // reads and writes inside HTTP bodies, counted in the kernel
};

struct SummaryRecord {
    uint64_t ts_ns = 0;
    bool final = true;
    uint64_t elapsed_us = 0;
    Totals totals;
    uint64_t connections_open = 0;   // tracked connections not yet closed
    uint64_t connections_closed = 0; // conn records emitted
    uint64_t http_transactions = 0;  // http records emitted
    std::map<std::string, uint64_t> http_status_classes;  // "2xx" → count; "none" for status 0
    uint64_t http_ttfb_us_new_mean = 0;     // answered transactions on new connections
    uint64_t http_ttfb_us_reused_mean = 0;  // and on reused ones
    // The namespace's TcpExtListenOverflows and TcpExtListenDrops since the start; none when
    // /proc/net/netstat could not be read there.
    std::optional<uint64_t> listen_overflows;
    std::optional<uint64_t> listen_drops;
};

}  // namespace connscope

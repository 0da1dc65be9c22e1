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

namespace connscope {

struct Endpoint {
    std::string address;
    uint16_t port = 0;
};

enum class Role { client, server };
enum class CloseKind { local_fin, peer_fin, reset_sent, reset_received, never_established, aborted };

struct ConnRecord {
    uint64_t ts_ns = 0;
    uint64_t cookie = 0;
    uint32_t pid = 0;
    std::string comm;
    uint32_t netns = 0;
    uint16_t family = 0;
    Role role = Role::client;
    bool observed_open = true;  // false for a connection opened before connscope started
    Endpoint local;
    Endpoint remote;
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
};

struct ConnectErrorRecord {
    uint64_t ts_ns = 0;
    uint64_t cookie = 0;
    uint32_t pid = 0;
    std::string comm;
    uint32_t netns = 0;
    uint16_t family = 0;
    Endpoint local;
    Endpoint remote;
    std::string error;  // errno name
    bool async = false;
    std::string syscall = "connect";       // or "bind"
    std::optional<double> port_utilization;  // of the destination's (or bind()'s) port pool then
};

// How a transaction ended: with its complete response, cut by the connection's end, or
// past a point where bytes the framing needed were not captured.
enum class TransactionEnd { complete, connection_closed, capture_lost };

// One HTTP/1.x request and its response, seen from this host's side of the connection.
struct HttpRecord {
    uint64_t ts_ns = 0;  // the response's last byte, or the connection's end
    uint64_t cookie = 0;
    uint32_t pid = 0;
    std::string comm;
    Role role = Role::client;
    Endpoint local;
    Endpoint remote;
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
};

using Record =
    std::variant<ConnRecord, ConnectErrorRecord, TimeWaitRecord, PortsRecord, PortWarningRecord, HttpRecord>;

struct Hook {
    std::string signal;
    std::string mechanism;
};

struct StartRecord {
    uint64_t ts_ns = 0;
    std::string version;
    std::vector<Hook> hooks;
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
};

}  // namespace connscope

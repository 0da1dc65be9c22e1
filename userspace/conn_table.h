// events → connection state → records. Pure: no kernel, no clock; fed decoded events.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "detectors/stall_detector.h"
#include "events.h"
#include "records.h"

namespace connscope {

// A socket's snd_ssthresh as reported: nothing while infinite (no loss seen yet).
std::optional<uint32_t> finite_ssthresh(uint32_t snd_ssthresh);

// What other tables need to know of a connection still open.
struct ConnView {
    bool observed_open = false;
    uint64_t handshake_us = 0;
};

class ConnTable {
public:
    // realtime_offset_ns turns the kernel's monotonic timestamps into unix time.
    explicit ConnTable(int64_t realtime_offset_ns = 0) : realtime_offset_ns_(realtime_offset_ns) {}

    void apply(const Event& event);

    // Records of connections that closed at least grace_ns before now_ns (monotonic), and
    // every connect error. The grace lets a reset sent just after the close join its record.
    std::vector<Record> take_finished(uint64_t now_ns, uint64_t grace_ns);
    std::vector<Record> take_all_finished();

    size_t open_connections() const { return open_.size(); }
    std::optional<ConnView> view(uint64_t cookie) const;

    // A retransmit record per retransmitted segment (--verbose-events).
    void set_verbose_events(bool verbose) { verbose_events_ = verbose; }
    // A handshake record for every handshake that took at least this long; 0: none.
    void set_slow_handshake_us(uint64_t us) { slow_handshake_us_ = us; }

    // The detectors' counts so far for an open connection, or nothing: what a transaction on
    // it diffs between its start and its end.
    std::optional<TcpCounters> tcp_counters(uint64_t cookie) const;

    // Every open connection in CLOSE_WAIT, with its age at now_ns (monotonic).
    std::vector<Record> close_waits(uint64_t now_ns) const;
    uint64_t close_wait_connections() const;

private:
    struct Connection {
        ConnRecord record;
        uint64_t start_ns = 0;
        uint64_t established_ns = 0;
        uint64_t accept_ns = 0;
        uint64_t closed_ns = 0;
        uint32_t srtt_at_established_us = 0;
        uint64_t first_synack_retransmit_ns = 0;
        bool established = false;
        bool local_fin_first = false;
        bool peer_fin_first = false;
        bool reset_sent = false;
        bool reset_received = false;
        int sk_err = 0;
        uint32_t close_from = 0;
        uint64_t close_wait_ns = 0;  // when the peer's FIN moved it to CLOSE_WAIT
        std::optional<uint64_t> sent_at_peer_fin;      // payload bytes sent when the peer's FIN came
        std::optional<uint64_t> received_at_local_fin;  // payload bytes received when we sent ours
    };
    // A SYN-ACK retransmit arrives before the connection's socket exists: held by flow.
    using FlowKey = std::tuple<uint32_t, std::array<uint8_t, 16>, uint16_t, std::array<uint8_t, 16>, uint16_t>;
    struct PendingSynack {
        uint32_t count = 0;
        uint64_t first_ns = 0;
    };

    void on_state(const state_event& e);
    void on_retransmit(const retransmit_event& e);
    void on_reset(const reset_event& e);
    void on_accept(const accept_event& e);
    void on_connect_error(const connect_error_event& e);
    void on_delayed_ack(const delayed_ack_event& e);
    void on_data_after_delayed_ack(const data_after_delayed_ack_event& e);
    void on_held_send_released(const held_send_released_event& e);
    void on_idle_restart(const idle_restart_event& e);
    // The detectors (conn_table_detectors.cpp).
    void classify_retransmit(ConnRecord& conn, const retransmit_event& e);
    void report_idle_close_race(const ConnRecord& conn, const reset_event& e);
    void add_stall(Connection& conn, const Stall& stall);
    void report_slow_handshake(const Connection& conn);
    static uint64_t handshake_us(const Connection& conn);
    Connection& open_connection(const state_event& e);
    void finish(uint64_t cookie, Connection& conn, const state_event& e);
    void complete_closing(uint64_t cookie);
    Record complete(Connection& conn) const;
    uint64_t unix_ns(uint64_t monotonic_ns) const { return monotonic_ns + realtime_offset_ns_; }
    static FlowKey flow_key(const flow& f);

    int64_t realtime_offset_ns_;
    std::unordered_map<uint64_t, Connection> open_;
    std::unordered_map<uint64_t, Connection> closing_;
    std::map<FlowKey, PendingSynack> pending_synacks_;
    std::vector<Record> ready_;  // connect errors, and connections known to be complete
    StallDetector stalls_;
    bool verbose_events_ = false;
    uint64_t slow_handshake_us_ = 0;
};

}  // namespace connscope

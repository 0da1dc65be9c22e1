// HTTP data events → per-connection HTTP/1.x streams → http records, tied to the connection
// (socket cookie) that carried them. Pure: no kernel, no clock.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <vector>

#include "conn_table.h"
#include "http_parser.h"
#include "records.h"

extern "C" {
#include "http_event.h"
}

namespace connscope
{

class HttpTable
{
  public:
    HttpTable(bool keep_query, int64_t realtime_offset_ns)
        : keep_query_(keep_query), realtime_offset_ns_(realtime_offset_ns)
    {
    }

    // tcp: the connection's detector counts when the event arrived, if it is tracked.
    void apply(const http_data_event& e, const std::optional<TcpCounters>& tcp = std::nullopt);
    // The connection's detector counts after an event that may have changed them: what places
    // delayed ACKs, stalls and idle restarts in transactions.
    void on_tcp_counters(uint64_t cookie, const TcpCounters& tcp);
    // A retransmit counts for the transactions of its connection in flight at the time.
    void on_retransmit(const retransmit_event& e);

    // http records of the transactions completed since the last call.
    std::vector<Record> take_finished(const ConnTable& conns);
    // At exit: also the transactions held back for their retransmit window (servers).
    std::vector<Record> take_all_finished(const ConnTable& conns);
    // The connection ended: records of what it still had in flight, then its conn record
    // gains protocol and http_transactions.
    std::vector<Record> close(ConnRecord& conn);
    // Socket inodes whose bytes need no more capture (not HTTP/1.x, or framing lost).
    std::vector<uint32_t> take_stopped_inodes();

    uint64_t transactions() const { return transactions_; }
    const std::map<std::string, uint64_t>& status_classes() const { return status_classes_; }
    // Mean ttfb of answered transactions on new connections and on reused ones (seq > 1): the
    // cold-start cost. 0 when there were none.
    uint64_t ttfb_us_new_mean() const { return ttfb_new_.mean(); }
    uint64_t ttfb_us_reused_mean() const { return ttfb_reused_.mean(); }

  private:
    struct Window {
        uint64_t first_byte_ns = 0;
        uint32_t cwnd = 0;
        uint32_t ssthresh = 0;
    };
    struct Connection {
        HttpStream stream;
        ConnIdentity identity; // its ts_ns unused
        uint32_t sock_ino = 0;
        // Where the next data of each direction should start (sent, received), once known.
        std::optional<uint32_t> next_seq[2];
        bool stop_reported = false;
        uint64_t seq = 0;
        std::vector<Transaction> done;
        // A server's last completed transaction, held until the next request begins: its
        // response may still be retransmitted after the application's last write returned.
        std::optional<Transaction> held;
        std::deque<std::pair<uint64_t, uint32_t>> retransmits; // (ts, segments), recent ones
        // Detector counts at each change (stamped by last_event_ns), recent ones; before_log:
        // the latest dropped from the log.
        std::deque<TcpCounters> tcp_log;
        TcpCounters tcp_before_log;
        // The socket's window after each request-side data event, recent ones: a transaction
        // takes the one of the event its request started in.
        std::deque<Window> windows;
    };
    struct Mean {
        uint64_t sum = 0;
        uint64_t count = 0;
        uint64_t mean() const { return count ? sum / count : 0; }
    };

    void apply_to(Connection& conn, bool inserted, const http_data_event& e,
                  const std::optional<TcpCounters>& tcp);
    static void log_tcp(Connection& conn, const TcpCounters& tcp);
    // The counts as they were just before ns.
    static const TcpCounters& tcp_before(const Connection& conn, uint64_t ns);
    // The window of the latest request-side event that began by ns (the oldest kept if none).
    static Window window_at(const Connection& conn, uint64_t ns);

    // Fills r, built in place in the output (a record moved is ~20 strings copied); takes
    // tx's strings.
    void make_record(HttpRecord& r, Connection& conn, Transaction& tx, uint64_t window_end_ns,
                     std::optional<ConnView> view, CloseKind close);
    // Records of conn.done (and of what it held): each transaction's retransmit window ends
    // where the next begins; the last one's at until_ns, or it is held (servers) when 0.
    void emit(Connection& conn, std::optional<ConnView> view, CloseKind close,
              uint64_t until_ns, std::vector<Record>& out);
    uint64_t unix_ns(uint64_t monotonic_ns) const { return monotonic_ns + realtime_offset_ns_; }

    bool keep_query_;
    int64_t realtime_offset_ns_;
    std::unordered_map<uint64_t, Connection> connections_;
    // Connections with transactions done since take_finished() (some may have closed since):
    // take_finished() visits only these.
    std::vector<uint64_t> finished_;
    std::vector<uint32_t> stopped_inodes_;
    uint64_t transactions_ = 0;
    std::map<std::string, uint64_t> status_classes_;
    Mean ttfb_new_;
    Mean ttfb_reused_;
};

} // namespace connscope

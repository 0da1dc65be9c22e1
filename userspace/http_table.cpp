#include "http_table.h"

#include <cstring>

#include "json_sink.h"
#include "net_names.h"

namespace connscope
{
namespace
{

constexpr uint64_t ns_per_us = 1000;
// Retransmits remembered per connection to place them in transactions; older ones are dropped.
constexpr size_t retransmits_kept = 256;
constexpr size_t tcp_counts_kept = 256;
constexpr size_t windows_kept = 256;

const char* protocol_name(Protocol p)
{
    switch (p) {
    case Protocol::unknown:
        return "unknown";
    case Protocol::http1:
        return "http1";
    case Protocol::http2:
        return "http2";
    case Protocol::tls:
        return "tls";
    case Protocol::other:
        return "other";
    }
    return "unknown";
}

uint64_t elapsed_us(uint64_t from_ns, uint64_t to_ns)
{
    return from_ns && to_ns > from_ns ? (to_ns - from_ns) / ns_per_us : 0;
}

} // namespace

void HttpTable::apply(const http_data_event& e, const std::optional<TcpCounters>& tcp)
{
    auto [it, inserted] = connections_.try_emplace(e.hdr.cookie);
    Connection& conn = it->second;
    const bool had_done = !conn.done.empty();
    apply_to(conn, inserted, e, tcp);
    if (!had_done && !conn.done.empty())
        finished_.push_back(e.hdr.cookie);
}

void HttpTable::apply_to(Connection& conn, bool inserted, const http_data_event& e,
                         const std::optional<TcpCounters>& tcp)
{
    if (inserted) {
        conn.identity.cookie = e.hdr.cookie;
        conn.identity.netns = e.flow.netns;
        conn.identity.family = e.flow.family;
        conn.identity.local = {address_text(e.flow.family, e.flow.saddr), e.flow.sport};
        conn.identity.remote = {address_text(e.flow.family, e.flow.daddr), e.flow.dport};
        conn.sock_ino = e.sock_ino;
    }
    if (tcp)
        log_tcp(conn, *tcp);
    const DataDirection direction = e.direction == HTTP_SENT ? DataDirection::sent : DataDirection::received;
    // Reads and writes the kernel counted inside a body of known length, or lost events, show
    // as a jump in the sequence numbers: their bytes are skipped as not captured. (A jump
    // backwards, or of 1 GiB and more, is neither.)
    std::optional<uint32_t>& next_seq = conn.next_seq[direction == DataDirection::sent ? 0 : 1];
    const uint32_t seq_start = e.seq_end - static_cast<uint32_t>(e.bytes);
    const uint64_t first_byte_ns = direction == DataDirection::sent ? e.enter_ns : e.hdr.ts_ns;
    const bool jump = next_seq && seq_start != *next_seq && uint32_t(seq_start - *next_seq) < (1u << 30);
    if (jump)
        conn.stream.lost(direction, uint32_t(seq_start - *next_seq), first_byte_ns, conn.done);
    // No data: the kernel's count of what it left out before the socket closed, sent from
    // the state change, in whatever process ran it. It only ever moves the stream forward.
    if (e.bytes == 0) {
        if (jump)
            next_seq = e.seq_end;
        return;
    }
    next_seq = e.seq_end;
    if (conn.identity.pid != e.owner.pid || inserted) {
        conn.identity.pid = e.owner.pid;
        conn.identity.comm.assign(e.owner.comm, strnlen(e.owner.comm, sizeof(e.owner.comm)));
    }
    const uint32_t captured = std::min<uint32_t>(e.captured, sizeof(e.data));
    const uint32_t tail_len = std::min<uint32_t>(e.tail_len, sizeof(e.tail));
    DataChunk chunk;
    chunk.direction = direction;
    chunk.bytes = e.bytes;
    chunk.prefix = {reinterpret_cast<const char*>(e.data), captured};
    chunk.tail = {reinterpret_cast<const char*>(e.tail), tail_len};
    // Sent data leaves the application during the syscall; received data reaches it at the end.
    chunk.first_byte_ns = first_byte_ns;
    chunk.last_byte_ns = e.hdr.ts_ns;
    conn.stream.feed(chunk, conn.done);
    if (chunk.direction == (conn.stream.client() ? DataDirection::sent : DataDirection::received)) {
        conn.windows.push_back({chunk.first_byte_ns, e.snd_cwnd, e.snd_ssthresh});
        if (conn.windows.size() > windows_kept)
            conn.windows.pop_front();
    }
    if (conn.stream.stopped() && !conn.stop_reported) {
        conn.stop_reported = true;
        stopped_inodes_.push_back(conn.sock_ino);
    }
}

void HttpTable::on_retransmit(const retransmit_event& e)
{
    auto it = connections_.find(e.hdr.cookie);
    if (it == connections_.end())
        return;
    auto& log = it->second.retransmits;
    log.emplace_back(e.hdr.ts_ns, e.segs);
    if (log.size() > retransmits_kept)
        log.pop_front();
}

void HttpTable::on_tcp_counters(uint64_t cookie, const TcpCounters& tcp)
{
    auto it = connections_.find(cookie);
    if (it != connections_.end())
        log_tcp(it->second, tcp);
}

void HttpTable::log_tcp(Connection& conn, const TcpCounters& tcp)
{
    const TcpCounters& latest = conn.tcp_log.empty() ? conn.tcp_before_log : conn.tcp_log.back();
    if (tcp.last_event_ns == latest.last_event_ns)
        return;
    conn.tcp_log.push_back(tcp);
    if (conn.tcp_log.size() > tcp_counts_kept) {
        conn.tcp_before_log = conn.tcp_log.front();
        conn.tcp_log.pop_front();
    }
}

const TcpCounters& HttpTable::tcp_before(const Connection& conn, uint64_t ns)
{
    for (auto it = conn.tcp_log.rbegin(); it != conn.tcp_log.rend(); ++it)
        if (it->last_event_ns < ns)
            return *it;
    return conn.tcp_before_log;
}

HttpTable::Window HttpTable::window_at(const Connection& conn, uint64_t ns)
{
    for (auto it = conn.windows.rbegin(); it != conn.windows.rend(); ++it)
        if (it->first_byte_ns <= ns)
            return *it;
    return conn.windows.empty() ? Window{} : conn.windows.front();
}

void HttpTable::make_record(HttpRecord& r, Connection& conn, Transaction& tx, uint64_t window_end_ns,
                            std::optional<ConnView> view, CloseKind close)
{
    static_cast<ConnIdentity&>(r) = conn.identity;
    r.role = conn.stream.client() ? Role::client : Role::server;
    r.method = std::move(tx.method);
    r.path = path_of(tx.target, keep_query_);
    r.host = std::move(tx.host);
    r.version = std::move(tx.version);
    r.status = tx.status;
    r.req_bytes = tx.req_bytes;
    r.resp_bytes = tx.resp_bytes;
    r.seq = ++conn.seq;
    r.new_connection = r.seq == 1 && view && view->observed_open;
    if (r.new_connection)
        r.handshake_us = view->handshake_us;
    r.ttfb_us = elapsed_us(tx.request_sent_ns, tx.response_start_ns);
    r.duration_us = elapsed_us(tx.request_start_ns, tx.response_end_ns);
    r.keep_alive = tx.keep_alive;
    r.truncated = tx.truncated;
    r.end = tx.end;
    r.close = close;
    for (const auto& [ts, segs] : conn.retransmits)
        if (ts >= tx.request_start_ns && ts < window_end_ns)
            r.retransmits += segs;
    const TcpCounters& at_start = tcp_before(conn, tx.request_start_ns);
    const TcpCounters& at_end = tcp_before(conn, window_end_ns);
    r.delayed_acks = at_end.delayed_acks - at_start.delayed_acks;
    r.stalls = at_end.stalls - at_start.stalls;
    r.stall_us = at_end.stall_us - at_start.stall_us;
    r.idle_restart = at_end.idle_restarts != at_start.idle_restarts;
    const Window window = window_at(conn, tx.request_start_ns);
    r.cwnd = window.cwnd;
    r.ssthresh = finite_ssthresh(window.ssthresh);
    if (tx.response_start_ns && (r.new_connection || r.seq > 1)) {
        Mean& ttfb = r.new_connection ? ttfb_new_ : ttfb_reused_;
        ttfb.sum += r.ttfb_us;
        ++ttfb.count;
    }
    r.ts_ns = unix_ns(tx.response_end_ns ? tx.response_end_ns : tx.request_sent_ns);
    ++transactions_;
    ++status_classes_[status_class_name(tx.status)];
}

void HttpTable::emit(Connection& conn, std::optional<ConnView> view, CloseKind close,
                     uint64_t until_ns, std::vector<Record>& out)
{
    // In order: the held transaction, then those done since.
    const size_t count = (conn.held ? 1 : 0) + conn.done.size();
    if (!count)
        return;
    auto at = [&conn](size_t i) -> Transaction& {
        return conn.held ? (i == 0 ? *conn.held : conn.done[i - 1]) : conn.done[i];
    };
    const bool hold_last = !until_ns && !conn.stream.client();
    const size_t emitted = hold_last ? count - 1 : count;
    for (size_t i = 0; i < emitted; ++i) {
        Transaction& tx = at(i);
        const bool last = i + 1 == count;
        uint64_t window_end = last ? until_ns : at(i + 1).request_start_ns;
        // A client's exchange is over when it has read the response's last byte.
        if (conn.stream.client() && tx.response_end_ns)
            window_end = tx.response_end_ns + 1;
        else if (!window_end)
            window_end = UINT64_MAX;
        auto& record = std::get<HttpRecord>(out.emplace_back(std::in_place_type<HttpRecord>));
        make_record(record, conn, tx, window_end, view, close);
    }
    std::optional<Transaction> keep;
    if (hold_last)
        keep = std::move(at(count - 1));
    conn.held = std::move(keep);
    conn.done.clear();
}

std::vector<Record> HttpTable::take_finished(const ConnTable& conns)
{
    std::vector<Connection*> ready;
    size_t records = 0;
    for (const uint64_t cookie : finished_) {
        auto it = connections_.find(cookie);
        if (it == connections_.end() || it->second.done.empty())
            continue;
        ready.push_back(&it->second);
        records += it->second.done.size() + 1; // and the transaction it held
    }
    finished_.clear();
    std::vector<Record> out;
    out.reserve(records); // a record moved is ~20 strings copied
    for (Connection* conn : ready)
        if (!conn->done.empty()) // a connection finished, closed and came back is listed twice
            emit(*conn, conns.view(conn->identity.cookie), CloseKind::local_fin, 0, out);
    return out;
}

std::vector<Record> HttpTable::take_all_finished(const ConnTable& conns)
{
    std::vector<Record> out;
    finished_.clear();
    for (auto& [cookie, conn] : connections_) {
        conn.stream.stop_watching(conn.done);
        if (!conn.done.empty() || conn.held)
            emit(conn, conns.view(cookie), CloseKind::local_fin, UINT64_MAX, out);
    }
    return out;
}

std::vector<Record> HttpTable::close(ConnRecord& record)
{
    std::vector<Record> out;
    auto it = connections_.find(record.cookie);
    if (it == connections_.end())
        return out;
    Connection& conn = it->second;
    conn.stream.close(conn.done);
    const size_t first = out.size();
    emit(conn, ConnView{record.observed_open, record.handshake_us}, record.close, UINT64_MAX,
         out);
    for (size_t i = first; i < out.size(); ++i) {
        auto& r = std::get<HttpRecord>(out[i]);
        if (r.end != TransactionEnd::complete || r.status == 0)
            r.ts_ns = record.ts_ns;
    }
    record.protocol = protocol_name(conn.stream.protocol());
    record.http_transactions = conn.seq;
    connections_.erase(it);
    return out;
}

std::vector<uint32_t> HttpTable::take_stopped_inodes()
{
    std::vector<uint32_t> out = std::move(stopped_inodes_);
    stopped_inodes_.clear();
    return out;
}

} // namespace connscope

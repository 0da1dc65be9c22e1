// One connection's bytes → HTTP/1.x transactions. Pure: fed what the kernel captured of each
// read and write (a prefix, a short tail, the total size), in order, per connection.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "records.h"

namespace connscope
{

enum class Protocol { unknown, http1, http2, tls, other };
enum class DataDirection { sent, received };

// One read or write. Bytes between the prefix and the tail were not captured.
struct DataChunk {
    DataDirection direction = DataDirection::sent;
    uint64_t bytes = 0;      // all the syscall moved
    std::string_view prefix; // its first bytes
    std::string_view tail;   // its last bytes, after the prefix (may be empty)
    // When the application handed over its first byte (sent: the syscall's entry) and when it
    // was done with the last (sent: the syscall's exit; received: both are the exit).
    uint64_t first_byte_ns = 0;
    uint64_t last_byte_ns = 0;
};

struct Transaction {
    std::string method;
    std::string target; // request-target as sent
    std::string host;
    std::string version;     // of the request: "HTTP/1.1"
    uint16_t status = 0;     // final status; 0 when no final response came
    uint64_t req_bytes = 0;  // head and body
    uint64_t resp_bytes = 0; // every response (1xx included), heads and bodies
    uint64_t request_start_ns = 0;
    uint64_t request_sent_ns = 0; // the write (or read) that completed the request head returned
    uint64_t response_start_ns = 0;
    uint64_t response_end_ns = 0;
    bool keep_alive = false;
    bool truncated = false; // the response body was cut short by the connection's end
    TransactionEnd end = TransactionEnd::complete;
};

class HttpStream
{
  public:
    // Completed transactions are appended to done, in request order.
    void feed(const DataChunk& chunk, std::vector<Transaction>& done);
    // count bytes went by in this direction unseen (their events were lost).
    void lost(DataDirection direction, uint64_t count, uint64_t ts, std::vector<Transaction>& done);
    // The connection ended: what is in flight is finished as far as it got.
    void close(std::vector<Transaction>& done);
    // Watching stops with the connection still open: what is in flight is recorded as it stands.
    void stop_watching(std::vector<Transaction>& done);

    Protocol protocol() const { return protocol_; }
    // True when this side sent the first request (known once protocol() is http1).
    bool client() const { return requests_ == DataDirection::sent; }
    // Nothing more can be parsed: not HTTP/1.x, malformed, or bytes lost past a header.
    bool stopped() const { return stopped_; }

  private:
    // unknown: the head's framing fields may have been past the captured prefix; the message
    // ends where the other side starts its next one (or at the close).
    enum class Body { none, length, chunked, until_close, unknown };
    enum class ChunkState {
        size,
        size_ext,
        size_lf,
        data,
        data_cr,
        data_lf,
        trailer,
        trailer_lf,
        done,
        lost
    };
    // One direction's message framing.
    struct Reader {
        bool in_body = false;
        std::string head; // head bytes so far
        uint64_t head_unseen = 0; // bytes of a cut head that were not captured
        uint64_t head_start_ns = 0;
        Body body = Body::none;
        uint64_t remaining = 0; // of the body (length) or of the chunk (chunked)
        ChunkState chunk = ChunkState::size;
        uint64_t chunk_size = 0;
        int size_digits = 0;
        bool trailer_line_empty = true;
        std::string recent; // last bytes of a chunked body whose framing was lost

        void clear_head()
        {
            head.clear();
            head_unseen = 0;
        }
    };

    void detect(const DataChunk& chunk);
    void consume(DataDirection direction, std::string_view data, uint64_t first_ts, uint64_t ts,
                 std::vector<Transaction>& done);
    void skip(DataDirection direction, uint64_t count, bool tail_follows, uint64_t ts,
              std::vector<Transaction>& done);
    void end_of_write(DataDirection direction, uint64_t ts, std::vector<Transaction>& done);
    void end_cut_head(const DataChunk& chunk, std::vector<Transaction>& done);
    void end_unknown_body(DataDirection starting, uint64_t ts, std::vector<Transaction>& done);
    DataDirection opposite(DataDirection d) const
    {
        return d == DataDirection::sent ? DataDirection::received : DataDirection::sent;
    }
    size_t feed_head(Reader& r, std::string_view data);
    size_t feed_chunked(Reader& r, std::string_view data);
    static void end_size_line(Reader& r);
    static void end_trailer_line(Reader& r);
    static void start_body(Reader& r, bool chunked_body, std::optional<uint64_t> length, bool until_close);
    void on_request_head(Reader& r, uint64_t ts, std::vector<Transaction>& done);
    void on_response_head(Reader& r, uint64_t ts, std::vector<Transaction>& done);
    void message_done(DataDirection direction, uint64_t ts, std::vector<Transaction>& done);
    void add_bytes(DataDirection direction, uint64_t count, uint64_t ts);
    void stop(Protocol protocol);
    DataDirection responses() const
    {
        return requests_ == DataDirection::sent ? DataDirection::received : DataDirection::sent;
    }
    Reader& reader(DataDirection direction)
    {
        return direction == requests_ ? request_reader_ : response_reader_;
    }

    Protocol protocol_ = Protocol::unknown;
    bool stopped_ = false;
    bool lost_ = false; // bytes were lost where the framing needed them
    DataDirection requests_ = DataDirection::sent;
    std::string detect_buffer_; // the first bytes, held until the protocol is known
    uint64_t detect_ts_ = 0;
    Reader request_reader_;
    Reader response_reader_;
    std::deque<Transaction> pending_; // requests in order; the front awaits its response
    bool upgrade_h2c_ = false;
    // A message of the write being fed (not the other side's, which it ended) is complete.
    DataDirection write_direction_ = DataDirection::sent;
    bool message_done_in_write_ = false;
};

// "/a/b?x=1" → "/a/b"; "http://h/p?q" → "/p".
std::string path_of(std::string_view target, bool keep_query);

} // namespace connscope

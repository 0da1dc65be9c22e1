#include "http_parser.h"

#include <algorithm>
#include <charconv>

namespace connscope
{
namespace
{

constexpr size_t max_head_bytes = 64 * 1024;
constexpr std::string_view h2_preface = "PRI * HTTP/2.0\r\n";
// The methods a request may start with; anything else on a fresh connection is not HTTP/1.x.
constexpr std::string_view methods[] = {"GET",   "HEAD",    "POST",  "PUT",    "DELETE",
                                        "PATCH", "OPTIONS", "TRACE", "CONNECT"};
// The end of a chunked body with no trailers: the last data chunk's CRLF, then "0" CRLF CRLF.
constexpr std::string_view chunked_end = "\r\n0\r\n\r\n";

struct Head {
    std::string_view first_line;
    std::vector<std::pair<std::string_view, std::string_view>> fields;
};

char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? char(c + ('a' - 'A')) : c;
}

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return ascii_lower(x) == ascii_lower(y);
           });
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

// The head's lines, viewing text, in one Head reused from call to call (a fresh one cost an
// allocation per message); nullptr when a field line has no name.
const Head* split_head(std::string_view text)
{
    thread_local Head head;
    head.fields.clear();
    bool first = true;
    while (!text.empty()) {
        const size_t end = text.find('\n');
        std::string_view line = trim(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (first) {
            head.first_line = line;
            first = false;
            continue;
        }
        if (line.empty())
            break;
        const size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0)
            return nullptr;
        head.fields.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
    }
    return &head;
}

// Just past the empty line that ends a head ("\r\n\r\n", or "\n\n" from a sender that ends
// lines with a bare LF), looking at line ends from `from` on; npos when not there yet.
size_t head_end(std::string_view head, size_t from)
{
    for (size_t lf = head.find('\n', from); lf != std::string_view::npos; lf = head.find('\n', lf + 1)) {
        if ((lf >= 1 && head[lf - 1] == '\n') ||
            (lf >= 3 && head[lf - 1] == '\r' && head[lf - 2] == '\n' && head[lf - 3] == '\r'))
            return lf + 1;
    }
    return std::string_view::npos;
}

std::string_view field(const Head& head, std::string_view name)
{
    for (const auto& [key, value] : head.fields)
        if (iequals(key, name))
            return value;
    return {};
}

bool has_token(std::string_view list, std::string_view token)
{
    while (!list.empty()) {
        const size_t comma = list.find(',');
        if (iequals(trim(list.substr(0, comma)), token))
            return true;
        list.remove_prefix(comma == std::string_view::npos ? list.size() : comma + 1);
    }
    return false;
}

bool chunked(const Head& head)
{
    std::string_view te = field(head, "Transfer-Encoding");
    const size_t comma = te.rfind(',');
    return iequals(trim(comma == std::string_view::npos ? te : te.substr(comma + 1)), "chunked");
}

// Content-Length, absent (nullopt), or malformed (false in ok).
std::optional<uint64_t> content_length(const Head& head, bool& ok)
{
    std::string_view value = field(head, "Content-Length");
    if (value.empty())
        return std::nullopt;
    uint64_t length = 0;
    const auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), length);
    ok = err == std::errc() && end == value.data() + value.size();
    return length;
}

bool keep_alive(std::string_view version, const Head& head)
{
    std::string_view connection = field(head, "Connection");
    if (version == "HTTP/1.0")
        return has_token(connection, "keep-alive");
    return !has_token(connection, "close");
}

bool is_method(std::string_view word)
{
    return std::find(std::begin(methods), std::end(methods), word) != std::end(methods);
}

bool valid_version(std::string_view version)
{
    return version == "HTTP/1.1" || version == "HTTP/1.0";
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace

std::string path_of(std::string_view target, bool keep_query)
{
    if (const size_t scheme = target.find("://"); scheme != std::string_view::npos) {
        const size_t slash = target.find('/', scheme + 3);
        target = slash == std::string_view::npos ? "/" : target.substr(slash);
    }
    if (!keep_query)
        target = target.substr(0, target.find('?'));
    return std::string(target);
}

void HttpStream::stop(Protocol protocol)
{
    protocol_ = protocol;
    stopped_ = true;
}

// Decides the protocol from the first bytes of the connection, holding them until it can.
void HttpStream::detect(const DataChunk& chunk)
{
    if (!detect_buffer_.empty() && chunk.direction != requests_) {
        stop(Protocol::other);
        return;
    }
    requests_ = chunk.direction;
    detect_buffer_ += chunk.prefix;
    const std::string_view seen = detect_buffer_;
    if (seen.size() >= 2 && uint8_t(seen[0]) == 0x16 && uint8_t(seen[1]) == 0x03) {
        stop(Protocol::tls);
        return;
    }
    const size_t space = seen.find(' ');
    if (space != std::string_view::npos && is_method(seen.substr(0, space))) {
        protocol_ = Protocol::http1;
        return;
    }
    if (seen.starts_with(h2_preface.substr(0, std::min(seen.size(), h2_preface.size())))) {
        if (seen.size() >= h2_preface.size())
            stop(Protocol::http2);
        else if (chunk.prefix.size() < chunk.bytes)
            stop(Protocol::other);
        return;
    }
    // Still a possible method name, and nothing was lost: wait for more.
    const bool method_so_far =
        space == std::string_view::npos && seen.size() < 8 &&
        std::all_of(seen.begin(), seen.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (!method_so_far || seen.empty() || chunk.prefix.size() < chunk.bytes)
        stop(Protocol::other);
}

void HttpStream::feed(const DataChunk& chunk, std::vector<Transaction>& done)
{
    if (stopped_ || chunk.bytes == 0)
        return;
    message_done_in_write_ = false;
    write_direction_ = chunk.direction;
    std::string held;
    std::string_view prefix = chunk.prefix;
    if (protocol_ == Protocol::unknown) {
        if (detect_buffer_.empty())
            detect_ts_ = chunk.first_byte_ns;
        detect(chunk);
        if (protocol_ != Protocol::http1)
            return;
        // The bytes held while deciding are the start of the first request.
        held = std::move(detect_buffer_);
        detect_buffer_.clear();
        const size_t earlier = held.size() - chunk.prefix.size();
        consume(chunk.direction, std::string_view(held).substr(0, earlier), detect_ts_, detect_ts_, done);
        prefix = std::string_view(held).substr(earlier);
    }
    const uint64_t captured = std::min<uint64_t>(chunk.bytes, prefix.size() + chunk.tail.size());
    consume(chunk.direction, prefix, chunk.first_byte_ns, chunk.last_byte_ns, done);
    if (!stopped_ && chunk.bytes > captured && !reader(chunk.direction).in_body &&
        !reader(chunk.direction).head.empty()) {
        end_cut_head(chunk, done);
        return;
    }
    if (!stopped_ && chunk.bytes > captured)
        skip(chunk.direction, chunk.bytes - captured, !chunk.tail.empty(), chunk.last_byte_ns, done);
    if (!stopped_)
        consume(chunk.direction, chunk.tail, chunk.first_byte_ns, chunk.last_byte_ns, done);
    if (!stopped_)
        end_of_write(chunk.direction, chunk.last_byte_ns, done);
}

void HttpStream::lost(DataDirection direction, uint64_t count, uint64_t ts, std::vector<Transaction>& done)
{
    if (stopped_ || count == 0)
        return;
    if (protocol_ == Protocol::unknown) { // the first bytes are gone: nothing to decide from
        stop(Protocol::other);
        return;
    }
    skip(direction, count, false, ts, done);
}

void HttpStream::consume(DataDirection direction, std::string_view data, uint64_t first_ts, uint64_t ts,
                         std::vector<Transaction>& done)
{
    while (!data.empty() && !stopped_) {
        Reader& r = reader(direction);
        if (!r.in_body) {
            if (r.head.empty()) {
                r.head_start_ns = first_ts;
                end_unknown_body(direction, first_ts, done);
            }
            const size_t used = feed_head(r, data);
            data.remove_prefix(used);
            if (stopped_ || !r.in_body)
                continue;
            if (direction == requests_)
                on_request_head(r, ts, done);
            else
                on_response_head(r, ts, done);
            continue;
        }
        size_t used = data.size();
        if (r.body == Body::chunked)
            used = feed_chunked(r, data);
        else if (r.body == Body::length)
            used = std::min<uint64_t>(data.size(), r.remaining);
        if (r.body == Body::length)
            r.remaining -= used;
        data.remove_prefix(used);
        add_bytes(direction, used, ts);
        if (r.body == Body::length && r.remaining == 0)
            message_done(direction, ts, done);
        else if (r.body == Body::chunked && r.chunk == ChunkState::done)
            message_done(direction, ts, done);
    }
}

// Bytes that were not captured: counted where the framing says they belong.
void HttpStream::skip(DataDirection direction, uint64_t count, bool tail_follows, uint64_t ts,
                      std::vector<Transaction>& done)
{
    Reader& r = reader(direction);
    if (!r.in_body) {
        stop(Protocol::http1); // a head ran past the captured prefix: framing is lost
        lost_ = true;
        return;
    }
    add_bytes(direction, count, ts);
    switch (r.body) {
    case Body::length:
        if (count > r.remaining) {
            stop(Protocol::http1);
            lost_ = true;
            return;
        }
        r.remaining -= count;
        if (r.remaining == 0)
            message_done(direction, ts, done);
        return;
    case Body::chunked:
        if (r.chunk == ChunkState::data && count <= r.remaining) {
            r.remaining -= count;
            if (r.remaining == 0)
                r.chunk = ChunkState::data_cr;
        } else if (tail_follows) {
            r.chunk = ChunkState::lost;
            r.recent.clear();
        } else { // without the write's last bytes the body's end cannot be found
            stop(Protocol::http1);
            lost_ = true;
        }
        return;
    case Body::until_close:
    case Body::unknown:
    case Body::none:
        return;
    }
}

// A head longer than the captured prefix (a request with a long Cookie line, a response with
// long Set-Cookie lines): its captured lines are parsed, the rest is counted. Where the head
// ended is not in view (a write ending in CRLF CRLF may end a head or a chunked body alike),
// so neither is its body: the message runs until the other side starts its next one.
void HttpStream::end_cut_head(const DataChunk& chunk, std::vector<Transaction>& done)
{
    Reader& r = reader(chunk.direction);
    const size_t last_line_end = r.head.rfind('\n');
    // After another message in the same write (pipelining), the rest of the write may hold
    // more messages: counting them into this one would be a guess.
    if (last_line_end == std::string::npos || message_done_in_write_) {
        stop(Protocol::http1);
        lost_ = true;
        return;
    }
    r.head_unseen = chunk.bytes - chunk.prefix.size() + (r.head.size() - (last_line_end + 1));
    r.head.resize(last_line_end + 1);
    r.in_body = true;
    if (chunk.direction == requests_)
        on_request_head(r, chunk.last_byte_ns, done);
    else
        on_response_head(r, chunk.last_byte_ns, done);
}

// The other side starts a message: a body of unknown length on this side has ended (so has a
// chunked one whose framing was lost, when its end went unrecognised: trailers after it).
void HttpStream::end_unknown_body(DataDirection starting, uint64_t ts, std::vector<Transaction>& done)
{
    const DataDirection other = opposite(starting);
    const Reader& r = reader(other);
    const bool lost_chunks = r.body == Body::chunked && r.chunk == ChunkState::lost;
    if (!r.in_body || (r.body != Body::unknown && !lost_chunks))
        return;
    if (other == requests_)
        message_done(other, ts, done);
    else
        message_done(other, pending_.empty() ? ts : pending_.front().response_end_ns, done);
}

// A chunked body whose chunk sizes were not all seen ends where a write ends with its terminator.
void HttpStream::end_of_write(DataDirection direction, uint64_t ts, std::vector<Transaction>& done)
{
    Reader& r = reader(direction);
    if (r.in_body && r.body == Body::chunked && r.chunk == ChunkState::lost &&
        r.recent.ends_with(chunked_end))
        message_done(direction, ts, done);
}

size_t HttpStream::feed_head(Reader& r, std::string_view data)
{
    size_t used = 0;
    if (r.head.empty()) { // empty lines before a message are allowed and ignored
        used = std::min(data.find_first_not_of("\r\n"), data.size());
        data.remove_prefix(used);
    }
    // The end of the head may straddle the previous piece: search from a little before it.
    const size_t resume = r.head.size() >= 3 ? r.head.size() - 3 : 0;
    r.head.append(data);
    const size_t end = head_end(r.head, resume);
    if (end == std::string_view::npos) {
        if (r.head.size() > max_head_bytes)
            stop(Protocol::other);
        return used + data.size();
    }
    const size_t taken = data.size() - (r.head.size() - end);
    r.head.resize(end);
    r.in_body = true;
    return used + taken;
}

size_t HttpStream::feed_chunked(Reader& r, std::string_view data)
{
    size_t i = 0;
    while (i < data.size() && r.chunk != ChunkState::done) {
        const char c = data[i];
        switch (r.chunk) {
        case ChunkState::size: {
            const int digit = hex_value(c);
            if (digit >= 0 && r.chunk_size < (uint64_t(1) << 56)) {
                r.chunk_size = r.chunk_size * 16 + uint64_t(digit);
                r.size_digits++;
            } else if (r.size_digits && (c == ';' || c == ' ' || c == '\t')) {
                r.chunk = ChunkState::size_ext;
            } else if (r.size_digits && c == '\r') {
                r.chunk = ChunkState::size_lf;
            } else if (r.size_digits && c == '\n') {
                end_size_line(r);
            } else {
                stop(Protocol::other);
                return i;
            }
            ++i;
            break;
        }
        case ChunkState::size_ext:
            if (c == '\r')
                r.chunk = ChunkState::size_lf;
            else if (c == '\n')
                end_size_line(r);
            ++i;
            break;
        case ChunkState::size_lf:
            if (c != '\n') {
                stop(Protocol::other);
                return i;
            }
            end_size_line(r);
            ++i;
            break;
        case ChunkState::data: {
            const size_t n = std::min<uint64_t>(r.remaining, data.size() - i);
            r.remaining -= n;
            i += n;
            if (r.remaining == 0)
                r.chunk = ChunkState::data_cr;
            break;
        }
        case ChunkState::data_cr:
        case ChunkState::data_lf:
            if (c == '\n') {
                r.chunk = ChunkState::size;
            } else if (c == '\r' && r.chunk == ChunkState::data_cr) {
                r.chunk = ChunkState::data_lf;
            } else {
                stop(Protocol::other);
                return i;
            }
            ++i;
            break;
        case ChunkState::trailer:
            if (c == '\r')
                r.chunk = ChunkState::trailer_lf;
            else if (c == '\n')
                end_trailer_line(r);
            else
                r.trailer_line_empty = false;
            ++i;
            break;
        case ChunkState::trailer_lf:
            if (c != '\n') {
                stop(Protocol::other);
                return i;
            }
            end_trailer_line(r);
            ++i;
            break;
        case ChunkState::lost: {
            r.recent.append(data.substr(i));
            if (r.recent.size() > chunked_end.size())
                r.recent.erase(0, r.recent.size() - chunked_end.size());
            i = data.size();
            break;
        }
        case ChunkState::done:
            break;
        }
    }
    return i;
}

void HttpStream::end_size_line(Reader& r)
{
    r.remaining = r.chunk_size;
    r.chunk = r.chunk_size == 0 ? ChunkState::trailer : ChunkState::data;
    r.trailer_line_empty = true;
    r.chunk_size = 0;
    r.size_digits = 0;
}

void HttpStream::end_trailer_line(Reader& r)
{
    r.chunk = r.trailer_line_empty ? ChunkState::done : ChunkState::trailer;
    r.trailer_line_empty = true;
}

// Sets the body framing from a head's fields.
void HttpStream::start_body(Reader& r, bool chunked_body, std::optional<uint64_t> length, bool until_close)
{
    r.chunk = ChunkState::size;
    r.chunk_size = 0;
    r.size_digits = 0;
    r.recent.clear();
    if (r.head_unseen) { // where the body starts is not known: its framing is no use
        r.body = Body::unknown;
    } else if (chunked_body) {
        r.body = Body::chunked;
    } else if (length) {
        r.body = Body::length;
        r.remaining = *length;
    } else {
        r.body = until_close ? Body::until_close : Body::none;
    }
}

void HttpStream::on_request_head(Reader& r, uint64_t ts, std::vector<Transaction>& done)
{
    const Head* head = split_head(r.head);
    if (!head) {
        stop(Protocol::other);
        return;
    }
    std::string_view line = head->first_line;
    const size_t first_space = line.find(' ');
    const size_t last_space = line.rfind(' ');
    if (first_space == std::string_view::npos || last_space == first_space) {
        stop(Protocol::other);
        return;
    }
    Transaction tx;
    tx.method = line.substr(0, first_space);
    tx.target = line.substr(first_space + 1, last_space - first_space - 1);
    tx.version = line.substr(last_space + 1);
    bool length_ok = true;
    const std::optional<uint64_t> length = content_length(*head, length_ok);
    if (!is_method(tx.method) || !valid_version(tx.version) || tx.target.empty() || !length_ok) {
        stop(Protocol::other);
        return;
    }
    tx.host = field(*head, "Host");
    if (tx.host.empty() && tx.target.find("://") != std::string::npos) {
        const size_t start = tx.target.find("://") + 3;
        tx.host = tx.target.substr(start, tx.target.find('/', start) - start);
    }
    tx.keep_alive = keep_alive(tx.version, *head);
    tx.req_bytes = r.head.size() + r.head_unseen;
    tx.request_start_ns = r.head_start_ns;
    tx.request_sent_ns = ts;
    if (has_token(field(*head, "Upgrade"), "h2c"))
        upgrade_h2c_ = true;
    pending_.push_back(std::move(tx));
    start_body(r, chunked(*head), length, false);
    r.clear_head();
    if (r.body == Body::none || (r.body == Body::length && r.remaining == 0))
        message_done(requests_, ts, done);
}

void HttpStream::on_response_head(Reader& r, uint64_t ts, std::vector<Transaction>& done)
{
    const Head* head = split_head(r.head);
    std::string_view line = head ? head->first_line : std::string_view();
    uint16_t status = 0;
    const bool line_ok = line.size() >= 12 && valid_version(line.substr(0, 8)) && line[8] == ' ' &&
                         std::from_chars(line.data() + 9, line.data() + 12, status).ptr == line.data() + 12 &&
                         status >= 100 && status <= 999;
    bool length_ok = true;
    const std::optional<uint64_t> length = head ? content_length(*head, length_ok) : std::nullopt;
    if (!line_ok || !length_ok) {
        stop(Protocol::other);
        return;
    }
    if (pending_.empty()) { // a response to no request we saw (a 408 on an idle connection)
        Transaction orphan;
        orphan.request_start_ns = orphan.request_sent_ns = r.head_start_ns;
        pending_.push_back(std::move(orphan));
    }
    Transaction& tx = pending_.front();
    if (!tx.response_start_ns)
        tx.response_start_ns = r.head_start_ns;
    tx.resp_bytes += r.head.size() + r.head_unseen;
    tx.response_end_ns = ts;
    if (status == 101) {
        tx.status = status;
        tx.keep_alive = false;
        done.push_back(std::move(pending_.front()));
        pending_.pop_front();
        stop(upgrade_h2c_ ? Protocol::http2 : Protocol::http1);
        return;
    }
    if (status < 200) { // 100 Continue, 103 Early Hints: the final response follows
        r.in_body = false;
        r.clear_head();
            return;
    }
    tx.status = status;
    const bool bodyless = tx.method == "HEAD" || status == 204 || status == 304;
    const bool chunked_body = !bodyless && chunked(*head);
    const bool until_close = !bodyless && !chunked_body && !length;
    tx.keep_alive = tx.keep_alive && keep_alive(line.substr(0, 8), *head) && !(until_close && !r.head_unseen);
    start_body(r, chunked_body, bodyless ? std::nullopt : length, until_close);
    r.clear_head();
    if (r.body == Body::none || (r.body == Body::length && r.remaining == 0))
        message_done(responses(), ts, done);
}

void HttpStream::add_bytes(DataDirection direction, uint64_t count, uint64_t ts)
{
    if (pending_.empty())
        return;
    if (direction == requests_) {
        pending_.back().req_bytes += count;
    } else {
        pending_.front().resp_bytes += count;
        pending_.front().response_end_ns = ts;
    }
}

void HttpStream::message_done(DataDirection direction, uint64_t ts, std::vector<Transaction>& done)
{
    Reader& r = reader(direction);
    message_done_in_write_ |= direction == write_direction_;
    r.in_body = false;
    r.clear_head();
    if (direction == requests_ || pending_.empty())
        return;
    pending_.front().response_end_ns = ts;
    done.push_back(std::move(pending_.front()));
    pending_.pop_front();
}

void HttpStream::close(std::vector<Transaction>& done)
{
    Reader& responses = response_reader_;
    while (!pending_.empty()) {
        Transaction& tx = pending_.front();
        const bool reading_body = tx.status >= 200 && responses.in_body;
        const bool ends_at_close = responses.body == Body::until_close || responses.body == Body::unknown;
        if (!(reading_body && ends_at_close && !lost_)) {
            tx.end = lost_ ? TransactionEnd::capture_lost : TransactionEnd::connection_closed;
            tx.truncated = reading_body;
        }
        done.push_back(std::move(tx));
        pending_.pop_front();
        responses.in_body = false;
    }
}

void HttpStream::stop_watching(std::vector<Transaction>& done)
{
    for (Transaction& tx : pending_) {
        tx.end = TransactionEnd::in_flight;
        done.push_back(std::move(tx));
    }
    pending_.clear();
}

} // namespace connscope

// Reads the kernel's event ring buffer and hands each record's bytes to a callback.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>

struct ring_buffer;

namespace connscope {

class RingReader {
public:
    using Handler = std::function<void(std::span<const std::byte>)>;

    RingReader(int map_fd, Handler handler);
    ~RingReader();
    RingReader(const RingReader&) = delete;
    RingReader& operator=(const RingReader&) = delete;

    // Waits up to timeout_ms for a batch of records, then handles every record there is;
    // interrupted waits are not errors.
    void poll(int timeout_ms);
    // Handles every record already in the buffer without waiting.
    void drain();

private:
    struct Deleter {
        void operator()(ring_buffer* rb) const;
    };
    Handler handler_;
    std::unique_ptr<ring_buffer, Deleter> ring_;
};

}  // namespace connscope

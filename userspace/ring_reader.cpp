#include "ring_reader.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "error.h"

namespace connscope {
namespace {

int on_sample(void* ctx, void* data, size_t size)
{
    auto* handler = static_cast<RingReader::Handler*>(ctx);
    (*handler)(std::span<const std::byte>(static_cast<const std::byte*>(data), size));
    return 0;
}

}  // namespace

void RingReader::Deleter::operator()(ring_buffer* rb) const { ring_buffer__free(rb); }

RingReader::RingReader(int map_fd, Handler handler)
    : handler_(std::move(handler)), ring_(ring_buffer__new(map_fd, on_sample, &handler_, nullptr))
{
    if (!ring_)
        throw UserError("cannot read the event ring buffer: " + std::string(strerror(errno)));
}

RingReader::~RingReader() = default;

void RingReader::poll(int timeout_ms)
{
    const int err = ring_buffer__poll(ring_.get(), timeout_ms);
    if (err < 0 && err != -EINTR)
        throw UserError("reading events failed: " + std::string(strerror(-err)));
    // The kernel wakes the reader only for a batch (wakeup_flags() in maps.bpf.h): what came
    // since is read when the wait times out.
    if (err == 0)
        drain();
}

void RingReader::drain()
{
    const int err = ring_buffer__consume(ring_.get());
    if (err < 0 && err != -EINTR)
        throw UserError("reading events failed: " + std::string(strerror(-err)));
}

}  // namespace connscope

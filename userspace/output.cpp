#include "output.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "error.h"

namespace connscope {
namespace {

constexpr size_t buffer_bytes = 256 * 1024;

}  // namespace

Output::Output(const std::string& path)
    : file_(path.empty() ? stdout : std::fopen(path.c_str(), "a")),
      name_(path.empty() ? "stdout" : path),
      owned_(!path.empty())
{
    if (!file_)
        throw UserError("cannot open " + path + " for writing: " + strerror(errno));
    // Flushed after every poll anyway; until then, at HTTP rates, stdio's default 4 KiB
    // buffer made a write() every few records.
    std::setvbuf(file_, nullptr, _IOFBF, buffer_bytes);
}

Output::~Output()
{
    if (owned_)
        std::fclose(file_);
}

void Output::write(std::string_view text)
{
    if (std::fwrite(text.data(), 1, text.size(), file_) != text.size())
        check();
}

void Output::flush()
{
    std::fflush(file_);
    check();
}

void Output::check()
{
    if (std::ferror(file_)) {
        const int err = errno;
        std::clearerr(file_);
        throw UserError("cannot write to " + name_ + ": " + strerror(err));
    }
}

void Output::check_reader() const
{
    pollfd fd{fileno(file_), 0, 0};
    if (::poll(&fd, 1, 0) == 1 && (fd.revents & (POLLERR | POLLHUP)))
        throw UserError("cannot write to " + name_ + ": its reader has gone");
}

bool Output::is_terminal() const { return isatty(fileno(file_)) == 1; }

}  // namespace connscope

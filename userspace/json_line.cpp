#include "json_line.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <nlohmann/json.hpp>

namespace connscope
{
namespace
{

// An http record is about 650 bytes: usually one allocation for the whole line.
constexpr size_t initial_room = 1024;

bool needs_escape(char c)
{
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

} // namespace

void JsonLine::reserve(size_t more)
{
    if (size_ + more > out_.size())
        out_.resize(std::max({initial_room, 2 * out_.size(), size_ + more}));
}

void JsonLine::put(std::string_view s)
{
    reserve(s.size());
    std::memcpy(out_.data() + size_, s.data(), s.size());
    size_ += s.size();
}

void JsonLine::put_number(uint64_t value)
{
    reserve(20);
    size_ = std::to_chars(out_.data() + size_, out_.data() + out_.size(), value).ptr - out_.data();
}

void JsonLine::put_text(std::string_view value)
{
    bool escapes = false;
    for (char c : value) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            put(nlohmann::json(std::string(value)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
            return;
        }
        escapes |= needs_escape(c);
    }
    if (!escapes) {
        reserve(value.size() + 2);
        out_[size_++] = '"';
        std::memcpy(out_.data() + size_, value.data(), value.size());
        size_ += value.size();
        out_[size_++] = '"';
        return;
    }
    std::string escaped = "\"";
    for (char c : value) {
        if (c == '"' || c == '\\') {
            escaped += '\\';
            escaped += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            fmt::format_to(std::back_inserter(escaped), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
            escaped += c;
        }
    }
    escaped += '"';
    put(escaped);
}

std::string JsonLine::finish()
{
    put(size_ ? "}\n" : "{}\n");
    out_.resize(size_);
    return std::move(out_);
}

} // namespace connscope

#include "json_line.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <nlohmann/json.hpp>

namespace connscope
{
namespace
{

// An http record is about 650 bytes: usually one allocation for the whole line.
constexpr size_t initial_room = 1024;

// What a byte needs in a JSON string: nothing, an escape, or (not ASCII) a check of its UTF-8.
enum ByteKind : uint8_t { plain = 0, escaped = 1, not_ascii = 2 };

constexpr std::array<uint8_t, 256> byte_kinds = [] {
    std::array<uint8_t, 256> kinds{};
    for (size_t c = 0; c < kinds.size(); ++c)
        kinds[c] = c >= 0x80 ? not_ascii : c < 0x20 || c == '"' || c == '\\' ? escaped : plain;
    return kinds;
}();

} // namespace

void JsonLine::grow(size_t more)
{
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
    uint8_t kinds = plain;
    for (char c : value)
        kinds |= byte_kinds[static_cast<unsigned char>(c)];
    if (kinds & not_ascii) {
        put(nlohmann::json(std::string(value)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        return;
    }
    if (kinds == plain) {
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

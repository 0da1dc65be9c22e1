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

// An http record is about 600 bytes: one allocation for the whole line.
constexpr size_t line_reserve = 1024;

bool needs_escape(char c)
{
    return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

} // namespace

void JsonLine::key(std::string_view name)
{
    if (out_.empty()) {
        out_.reserve(line_reserve);
        out_ += "{\"";
    } else {
        out_ += ",\"";
    }
    out_ += name;
    out_ += "\":";
}

JsonLine& JsonLine::number(std::string_view name, uint64_t value)
{
    key(name);
    char digits[20];
    const auto end = std::to_chars(std::begin(digits), std::end(digits), value).ptr;
    out_.append(digits, end);
    return *this;
}

JsonLine& JsonLine::number_or_null(std::string_view name, std::optional<uint64_t> value)
{
    if (value)
        return number(name, *value);
    key(name);
    out_ += "null";
    return *this;
}

JsonLine& JsonLine::boolean(std::string_view name, bool value)
{
    key(name);
    out_ += value ? "true" : "false";
    return *this;
}

JsonLine& JsonLine::text(std::string_view name, std::string_view value)
{
    key(name);
    if (std::any_of(value.begin(), value.end(),
                    [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
        out_ +=
            nlohmann::json(std::string(value)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return *this;
    }
    out_ += '"';
    if (std::none_of(value.begin(), value.end(), needs_escape)) {
        out_ += value;
        out_ += '"';
        return *this;
    }
    for (char c : value) {
        if (c == '"' || c == '\\') {
            out_ += '\\';
            out_ += c;
        } else if (static_cast<unsigned char>(c) < 0x20) {
            fmt::format_to(std::back_inserter(out_), "\\u{:04x}", static_cast<unsigned>(c));
        } else {
            out_ += c;
        }
    }
    out_ += '"';
    return *this;
}

JsonLine& JsonLine::text_or_null(std::string_view name, std::string_view value)
{
    if (!value.empty())
        return text(name, value);
    key(name);
    out_ += "null";
    return *this;
}

std::string JsonLine::finish()
{
    out_ += out_.empty() ? "{}\n" : "}\n";
    return std::move(out_);
}

} // namespace connscope

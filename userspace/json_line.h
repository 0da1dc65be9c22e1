// One JSON object written straight into a line of text, field by field, for records written
// at request rates (an nlohmann object allocates per field). Keys are string literals, copied
// with their quotes and colon at a size known when compiling; values are escaped. Text that is
// not ASCII goes through nlohmann, which replaces invalid UTF-8 as the other records do.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace connscope
{

class JsonLine
{
  public:
    template <size_t N> JsonLine& number(const char (&name)[N], uint64_t value)
    {
        key(name);
        put_number(value);
        return *this;
    }
    template <size_t N> JsonLine& number_or_null(const char (&name)[N], std::optional<uint64_t> value)
    {
        key(name);
        value ? put_number(*value) : put("null");
        return *this;
    }
    template <size_t N> JsonLine& boolean(const char (&name)[N], bool value)
    {
        key(name);
        put(value ? std::string_view("true") : std::string_view("false"));
        return *this;
    }
    template <size_t N> JsonLine& text(const char (&name)[N], std::string_view value)
    {
        key(name);
        put_text(value);
        return *this;
    }
    // null when empty
    template <size_t N> JsonLine& text_or_null(const char (&name)[N], std::string_view value)
    {
        key(name);
        value.empty() ? put("null") : put_text(value);
        return *this;
    }
    // The object and its newline.
    std::string finish();

  private:
    template <size_t N> void key(const char (&name)[N])
    {
        reserve(N + 3);
        char* p = out_.data() + size_;
        *p++ = size_ ? ',' : '{';
        *p++ = '"';
        std::memcpy(p, name, N - 1);
        p += N - 1;
        *p++ = '"';
        *p++ = ':';
        size_ = p - out_.data();
    }
    // Every field calls it: only growing is out of line.
    void reserve(size_t more)
    {
        if (size_ + more > out_.size())
            grow(more);
    }
    void grow(size_t more);
    void put(std::string_view s);
    void put_number(uint64_t value);
    void put_text(std::string_view value);

    std::string out_; // size_ bytes written; the rest is room
    size_t size_ = 0;
};

} // namespace connscope

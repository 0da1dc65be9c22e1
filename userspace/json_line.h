// One JSON object written straight into a line of text, field by field, for records written
// at request rates (an nlohmann object allocates per field). Text is escaped; text that is
// not ASCII goes through nlohmann, which replaces invalid UTF-8 as the other records do.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace connscope
{

class JsonLine
{
  public:
    JsonLine& number(std::string_view key, uint64_t value);
    JsonLine& number_or_null(std::string_view key, std::optional<uint64_t> value);
    JsonLine& boolean(std::string_view key, bool value);
    JsonLine& text(std::string_view key, std::string_view value);
    JsonLine& text_or_null(std::string_view key, std::string_view value); // null when empty
    // The object and its newline.
    std::string finish();

  private:
    void key(std::string_view name);
    std::string out_;
};

} // namespace connscope

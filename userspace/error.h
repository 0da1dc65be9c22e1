// A failure the user can act on: reported once, as one line, by main().
#pragma once

#include <stdexcept>
#include <string>

namespace connscope {

class UserError : public std::runtime_error {
public:
    explicit UserError(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace connscope

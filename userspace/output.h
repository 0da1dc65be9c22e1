// Where records go: stdout or a file. A write that fails (a closed pipe, a full disk) throws.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace connscope {

class Output {
public:
    explicit Output(const std::string& path);  // empty path: stdout
    ~Output();
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;

    void write(std::string_view text);
    void flush();
    bool is_terminal() const;
    // Throws when nobody can read what is written any more (the reading end of a pipe or socket
    // closed, a terminal hung up): on a quiet host no write would find out.
    void check_reader() const;

private:
    void check();
    std::FILE* file_;
    std::string name_;
    bool owned_;
};

}  // namespace connscope

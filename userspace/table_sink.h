// A readable view for a person at a terminal: a line per finished connection or connect
// error, and summary blocks.
#pragma once

#include "sink.h"

namespace connscope {

class TableSink : public Sink {
public:
    std::string start(const StartRecord& start) override;
    std::string record(const Record& record) override;
    std::string summary(const SummaryRecord& summary) override;

private:
    size_t lines_since_header_ = 0;
};

}  // namespace connscope

// state → text. A sink renders records; it never writes, so it can be tested as it is.
#pragma once

#include <string>

#include "records.h"

namespace connscope {

class Sink {
public:
    virtual ~Sink() = default;
    virtual std::string start(const StartRecord& start) = 0;
    virtual std::string record(const Record& record) = 0;
    virtual std::string summary(const SummaryRecord& summary) = 0;
};

}  // namespace connscope

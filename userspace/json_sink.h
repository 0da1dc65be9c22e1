// NDJSON: one object per line. The only place that names JSON fields (docs/records.md
// documents them; a unit test holds the two together).
#pragma once

#include <nlohmann/json.hpp>

#include "sink.h"

namespace connscope {

class JsonSink : public Sink {
public:
    std::string start(const StartRecord& start) override;
    std::string record(const Record& record) override;
    std::string summary(const SummaryRecord& summary) override;
};

// The JSON objects the lines are made of, for tests and other sinks.
nlohmann::ordered_json start_json(const StartRecord& start);
nlohmann::ordered_json record_json(const Record& record);
nlohmann::ordered_json summary_json(const SummaryRecord& summary);

// The words records use for these values (the metrics' labels use the same).
const char* role_name(Role role);
const char* close_name(CloseKind kind);
const char* stall_kind_name(StallKind kind);
const char* stall_side_name(StallSide side);
// "2xx" for 200..299; "none" for status 0 (no final response).
std::string status_class_name(uint16_t status);

}  // namespace connscope

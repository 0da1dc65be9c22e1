// The table format of the timewait, ports and port_warning records.
#pragma once

#include <string>

#include "records.h"

namespace connscope {

// The text of a timewait, ports or port_warning record; empty for any other record.
std::string port_record_text(const Record& record);

}  // namespace connscope

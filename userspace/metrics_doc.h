// The metrics table → docs/metrics.md. Pure.
#pragma once

#include <string>

namespace connscope {

std::string metrics_reference_markdown();

}  // namespace connscope

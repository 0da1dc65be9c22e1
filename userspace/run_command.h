// `connscope run`: attach, stream records, summarise at the end.
#pragma once

#include "cli.h"

namespace connscope {

int run_command(const RunOptions& options);

}  // namespace connscope

// `connscope check`: what this kernel offers and which hook serves each signal.
#pragma once

#include "cli.h"

namespace connscope {

int check_command(const CheckOptions& options);

}  // namespace connscope

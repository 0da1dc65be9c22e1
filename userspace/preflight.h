// Conditions checked before anything is loaded, each failing with a message that says what to do.
#pragma once

#include <cstdint>
#include <string>

#include "kernel_features.h"

namespace connscope {

void require_root();
void require_runnable(const Features& features);
// The inode number that names the network namespace at path (as the kernel's ns.inum).
uint32_t netns_inode(const std::string& path);

}  // namespace connscope

// `connscope dashboards` and `connscope metrics-doc`: write what the metrics table generates.
#pragma once

#include "cli.h"

namespace connscope {

int dashboards_command(const DashboardsCommand& command);
int metrics_doc_command(const MetricsDocCommand& command);

}  // namespace connscope

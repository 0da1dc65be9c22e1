#include <cstdio>
#include <string>
#include <variant>
#include <vector>

#include "check_command.h"
#include "cli.h"
#include "error.h"
#include "generate_command.h"
#include "run_command.h"

int main(int argc, char** argv)
{
    using namespace connscope;
    const ParsedCli parsed = parse_cli(std::vector<std::string>(argv + 1, argv + argc));
    if (const auto* exit = std::get_if<CliExit>(&parsed)) {
        std::fputs(exit->text.c_str(), exit->code == 0 ? stdout : stderr);
        return exit->code;
    }
    try {
        if (const auto* check = std::get_if<CheckCommand>(&parsed))
            return check_command(check->options);
        if (const auto* dashboards = std::get_if<DashboardsCommand>(&parsed))
            return dashboards_command(*dashboards);
        if (const auto* metrics_doc = std::get_if<MetricsDocCommand>(&parsed))
            return metrics_doc_command(*metrics_doc);
        return run_command(std::get<RunCommand>(parsed).options);
    } catch (const UserError& e) {
        std::fprintf(stderr, "connscope: %s\n", e.what());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "connscope: unexpected failure: %s\n", e.what());
    }
    return 1;
}

#include <catch2/catch.hpp>

#include <sstream>

#include "kernel_symbols.h"

using namespace connscope;

TEST_CASE("find_kernel_symbol reads kallsyms lines", "[kernel_symbols]")
{
    std::istringstream kallsyms("ffffffff8202c1c0 T tcp_delack_timer_handler\n"
                                "ffffffff8202c2e0 t tcp_delack_timer\n"
                                "ffffffffc0001000 t some_module_fn\t[mod]\n");
    CHECK(find_kernel_symbol(kallsyms, "tcp_delack_timer") == 0xffffffff8202c2e0);
}

TEST_CASE("find_kernel_symbol: absent, hidden or malformed", "[kernel_symbols]")
{
    std::istringstream absent("ffffffff8202c1c0 T tcp_delack_timer_handler\n");
    CHECK_FALSE(find_kernel_symbol(absent, "tcp_delack_timer"));
    std::istringstream hidden("0000000000000000 t tcp_delack_timer\n");
    CHECK_FALSE(find_kernel_symbol(hidden, "tcp_delack_timer"));
    std::istringstream malformed("zzzz t tcp_delack_timer\nshort\n");
    CHECK_FALSE(find_kernel_symbol(malformed, "tcp_delack_timer"));
}

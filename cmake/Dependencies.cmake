# Every dependency comes from Debian 12's archive (see README.md). libbpf, libelf and zlib
# are linked statically so build/connscope runs on hosts without them.
find_package(CLI11 REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(fmt REQUIRED)
find_package(Catch2 REQUIRED)
find_package(PkgConfig REQUIRED)
# Debian builds cpp-httplib as a shared library; its .pc carries the defines its ABI needs.
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

find_library(LIBBPF_STATIC libbpf.a REQUIRED)
find_library(LIBELF_STATIC libelf.a REQUIRED)
find_library(LIBZ_STATIC libz.a REQUIRED)
add_library(connscope_libbpf INTERFACE)
target_link_libraries(connscope_libbpf INTERFACE ${LIBBPF_STATIC} ${LIBELF_STATIC} ${LIBZ_STATIC})

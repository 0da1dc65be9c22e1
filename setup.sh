#!/usr/bin/env bash
# Installs what connscope needs from Debian 12's archive, builds it, then runs it or its tests.
#   ./setup.sh run [connscope options]   install, build, start connscope
#   ./setup.sh test                      install, build, run every test (unit and integration)
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" -ne 0 ]; then
    exec sudo "$0" "$@"
fi

build_packages=(cmake make g++ pkg-config clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
                libcli11-dev nlohmann-json3-dev catch2 libcpp-httplib-dev libfmt-dev)
test_packages=(python3 iproute2 nftables util-linux procps prometheus python3-jsonschema python3-yaml systemd
               nginx wrk curl)

install_missing() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    fi
}

# build WERROR: warnings are errors in the project's own test builds (ON), not in a user's (OFF).
build() {
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCONNSCOPE_WERROR="$1" > /dev/null
    cmake --build build -j"$(nproc)"
}

case "${1:-}" in
run)
    shift
    install_missing "${build_packages[@]}"
    build OFF
    exec build/connscope "$@"
    ;;
test)
    install_missing "${build_packages[@]}" "${test_packages[@]}"
    build ON
    cd build
    # Timing-based integration tests share 2 CPUs with everything else: a failed test runs once
    # more, and only a second failure fails the run.
    exec ctest --output-on-failure --repeat until-pass:2
    ;;
*)
    echo "usage: ./setup.sh run [connscope options] | ./setup.sh test" >&2
    exit 2
    ;;
esac

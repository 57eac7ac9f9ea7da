#!/usr/bin/env bash
# Installs the C API under PREFIX: include/frontproxy.h, lib/libfrontproxy.{so,a} and
# lib/pkgconfig/frontproxy.pc. Builds the libraries first (cargo build --release --lib).
# The installed libraries are stripped of debug sections (`strip --strip-debug`; the symbol
# table stays, so profilers and backtraces still name functions). For debug info, build with
# `cargo build --profile profiling` and link target/profiling/ instead.
#
# usage: install.sh PREFIX        (the top-level `make install PREFIX=...` runs this)
set -euo pipefail
[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: $0 PREFIX" >&2; exit 2; }
prefix=$(realpath -m "$1")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

make -C "$here" --no-print-directory libs
version=$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -n1)
libs_private=$(make -C "$here" --no-print-directory -s print-native-static-libs)

install -d "$prefix/include" "$prefix/lib/pkgconfig"
install -m 644 "$root/include/frontproxy.h" "$prefix/include/frontproxy.h"
install -m 755 "$here/build/libfrontproxy.so" "$prefix/lib/libfrontproxy.so"
install -m 644 "$here/build/libfrontproxy.a" "$prefix/lib/libfrontproxy.a"
strip --strip-debug "$prefix/lib/libfrontproxy.so" "$prefix/lib/libfrontproxy.a"
sed -e "s|@PREFIX@|$prefix|" -e "s|@VERSION@|$version|" -e "s|@LIBS_PRIVATE@|$libs_private|" \
  "$here/frontproxy.pc.in" > "$prefix/lib/pkgconfig/frontproxy.pc"
chmod 644 "$prefix/lib/pkgconfig/frontproxy.pc"
echo "installed frontproxy $version C API under $prefix"

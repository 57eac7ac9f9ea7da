#!/usr/bin/env bash
# Convention: the shared and the static library export exactly the functions declared in
# include/frontproxy.h, all named frontproxy_*, and nothing else (no Rust or std symbols that
# could clash with another Rust library in the same process).
#
# usage: check-symbols.sh HEADER SHARED_LIB STATIC_LIB
set -uo pipefail
header=$1 shared=$2 static=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
check() { # check OK-CONDITION-EXIT-STATUS DESCRIPTION
  if [ "$1" -eq 0 ]; then echo "ok   $2"; passed=$((passed + 1)); else echo "FAIL $2"; failed=$((failed + 1)); fi
}

# Declarations start a line with their return type; comment lines start with a space.
grep -oE '^[a-z][a-z0-9_ *]*[ *](frontproxy_[a-z0-9_]+)\(' "$header" \
  | grep -oE 'frontproxy_[a-z0-9_]+\($' | tr -d '(' | sort -u > "$tmp/declared"
nm -D --defined-only "$shared" | awk '{print $NF}' | sort -u > "$tmp/shared"
nm -g --defined-only "$static" | awk 'NF == 3 {print $3}' | sort -u > "$tmp/static"

n=$(wc -l < "$tmp/declared")
[ "$n" -gt 30 ]; check $? "the header declares $n functions"
for lib in shared static; do
  diff -u "$tmp/declared" "$tmp/$lib" > "$tmp/$lib.diff"; status=$?
  check $status "the $lib library exports exactly the declared functions ($(wc -l < "$tmp/$lib") symbols)"
  [ $status -eq 0 ] || head -40 "$tmp/$lib.diff"
  ! grep -qv '^frontproxy_' "$tmp/$lib"; check $? "the $lib library exports only frontproxy_* symbols"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# Runs every C test (driven by `make test` in bindings/c, which builds what this needs):
#   1. exported symbols of the shared and static libraries;
#   2. test_api and test_threads under AddressSanitizer + UndefinedBehaviorSanitizer;
#   3. test_api and test_threads under valgrind (zero errors, zero leaks of any kind);
#   4. the installed libraries carry no debug sections;
#   5. the example, built against an installed copy with pkg-config (shared and static), on
#      PEM input (a chain file, separate files) and on DER.
# Certificates are generated into a temporary directory by gen-certs.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cbind=$(cd "$here/.." && pwd)
build=$cbind/${BUILD:-build}
header=${HEADER:-$cbind/../../include/frontproxy.h}
threads_iterations=${THREADS_ITERATIONS:-2000}
valgrind_threads_iterations=${VALGRIND_THREADS_ITERATIONS:-150}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/certs"
"$here/gen-certs.sh" "$work/certs" || { echo "FAIL gen-certs.sh"; exit 1; }

failed_steps=()
step() { # step NAME COMMAND...
  local name=$1; shift
  echo "=== $name"
  if "$@"; then echo "=== ok: $name"; else echo "=== FAIL: $name"; failed_steps+=("$name"); fi
}

step "exported symbols" "$here/check-symbols.sh" "$header" "$build/libfrontproxy.so" "$build/libfrontproxy.a"

export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
step "test_api under ASan+UBSan" "$build/test_api_asan" "$work/certs"
step "test_threads under ASan+UBSan" "$build/test_threads_asan" "$work/certs" "$threads_iterations"
unset ASAN_OPTIONS UBSAN_OPTIONS

valgrind_run() {
  # The suppressions cover only process-lifetime statics (see the file); they are counted in
  # the "suppressed:" line, which is printed.
  valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
    --suppressions="$here/valgrind.supp" --error-exitcode=99 --log-file="$work/valgrind.log" "$@"
  local status=$?
  sed -n 's/^==[0-9]*== *//p' "$work/valgrind.log" | grep -E "ERROR SUMMARY|in use at exit|lost:|reachable:|suppressed:"
  [ $status -eq 0 ] || cat "$work/valgrind.log"
  return $status
}
step "test_api under valgrind" valgrind_run "$build/test_api" "$work/certs"
step "test_threads under valgrind" valgrind_run "$build/test_threads" "$work/certs" "$valgrind_threads_iterations"

# The installed copy, shared by the steps below.
prefix=$work/prefix
install_step() {
  "$cbind/install.sh" "$prefix"
}
step "install.sh into a temporary prefix" install_step

# What users install is small: no debug sections in either library (the Rust toolchain's
# debug info alone is tens of MB).
stripped_test() {
  local ok=0 lib sections
  for lib in "$prefix/lib/libfrontproxy.so" "$prefix/lib/libfrontproxy.a"; do
    [ -f "$lib" ] || { echo "$lib is not installed"; ok=1; continue; }
    sections=$(readelf -S --wide "$lib" | sed -n 's/^ *\[ *[0-9]*\] \([^ ]*\).*/\1/p' |
      grep -E '^\.z?debug' | sort -u | tr '\n' ' ')
    ls -l "$lib"
    [ -z "$sections" ] || { echo "$lib has debug sections: $sections"; ok=1; }
  done
  return $ok
}
step "installed libraries are stripped" stripped_test

example_test() {
  export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
  local certs=$work/certs
  local chain=("$certs/fp-leaf.der" "$certs/fp-int.der")
  local ok=0
  # Shared: exactly the README's command.
  ${CC:-cc} -std=c11 -Wall -Wextra -Werror -o "$work/example" "$cbind/example/example.c" \
    $(pkg-config --cflags --libs frontproxy) || return 1
  run_example() { LD_LIBRARY_PATH=$prefix/lib "$work/example" "$certs/fp-ca.pem" "$@"; }
  # PEM, as kubeadm and cert-manager users hold it: a chain file (leaf first), separate files.
  cat "$certs/fp-leaf.pem" "$certs/fp-int.pem" > "$work/chain.pem"
  run_example "$work/chain.pem" > "$work/out.txt"
  cat "$work/out.txt"
  grep -q "^user=alice groups=developers,system:authenticated$" "$work/out.txt" || { echo "unexpected output (PEM chain file)"; ok=1; }
  run_example "$certs/fp-leaf.pem" "$certs/fp-int.pem" | grep -q "^user=alice " || { echo "PEM files leaf, intermediate failed"; ok=1; }
  # DER, one certificate a file; and DER and PEM mixed.
  run_example "${chain[@]}" | grep -q "^user=alice " || { echo "DER files failed"; ok=1; }
  run_example "$certs/fp-leaf.der" "$certs/fp-int.pem" | grep -q "^user=alice " || { echo "DER + PEM failed"; ok=1; }
  LD_LIBRARY_PATH=$prefix/lib ldd "$work/example" | grep "$prefix/lib/libfrontproxy.so" >/dev/null || { echo "not linked to the installed library"; ok=1; }
  # A PEM file with the key in it is refused, naming the block (exit status 2).
  cat "$certs/fp-leaf.pem" "$certs/fp-leaf.key" > "$work/with-key.pem"
  run_example "$work/with-key.pem" > /dev/null 2> "$work/err.txt"
  [ $? -eq 2 ] && grep -q 'PRIVATE KEY' "$work/err.txt" || { echo "a PEM file with a key must be refused naming the block:"; cat "$work/err.txt"; ok=1; }
  # Static: the installed archive plus Libs.private.
  ${CC:-cc} -std=c11 -Wall -Wextra -Werror -o "$work/example-static" "$cbind/example/example.c" \
    $(pkg-config --cflags frontproxy) "$prefix/lib/libfrontproxy.a" $(pkg-config --static --libs-only-l frontproxy | sed 's/-lfrontproxy//') || return 1
  ! ldd "$work/example-static" | grep libfrontproxy >/dev/null || { echo "the static example loads libfrontproxy.so"; ok=1; }
  "$work/example-static" "$certs/fp-ca.pem" "$work/chain.pem" | grep -q "^user=alice " || { echo "static example (PEM) failed"; ok=1; }
  "$work/example-static" "$certs/fp-ca.pem" "${chain[@]}" | grep -q "^user=alice " || { echo "static example (DER) failed"; ok=1; }
  # A chain from another CA is a 401, exit status 1.
  run_example "$certs/ca2-leaf.pem"
  [ $? -eq 1 ] || { echo "a foreign chain must give exit status 1"; ok=1; }
  return $ok
}
step "example against the installed library (pkg-config)" example_test

echo
if [ ${#failed_steps[@]} -eq 0 ]; then
  echo "C tests: all steps passed"
else
  echo "C tests: FAILED steps: ${failed_steps[*]}"
  exit 1
fi

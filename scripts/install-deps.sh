#!/usr/bin/env bash
# Installs what the tests need, idempotently, and says what it does:
#   - Debian packages: openssl, pkg-config, valgrind, gcc, g++, make, binutils (apt-get: needs
#     root, or sudo);
#   - cbindgen at the pinned version, built from source into the project's own directory
#     (target/tools/bin/cbindgen, `cargo install --root target/tools`): nothing global.
# Safe to run again: it installs only what is missing.
#
#   scripts/install-deps.sh              everything
#   scripts/install-deps.sh --cbindgen   only cbindgen (what `make header` needs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
CBINDGEN_VERSION=${CBINDGEN_VERSION:-0.29.2}
tools=$root/target/tools
cbindgen=$tools/bin/cbindgen

install_packages() {
  local packages=(openssl pkg-config valgrind gcc g++ make binutils) missing=() p
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: Debian packages present: ${packages[*]}"
    return
  fi
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
      echo "install-deps: missing Debian packages: ${missing[*]}; run as root: apt-get install ${missing[*]}" >&2
      exit 1
    }
    sudo=(sudo)
  fi
  echo "install-deps: installing Debian packages ${missing[*]} (${sudo[*]:+sudo }apt-get; about a minute)"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

install_cbindgen() {
  if [ -x "$cbindgen" ] && [ "$("$cbindgen" --version | awk '{print $2}')" = "$CBINDGEN_VERSION" ]; then
    echo "install-deps: cbindgen $CBINDGEN_VERSION present (target/tools/bin/cbindgen)"
    return
  fi
  echo "install-deps: building cbindgen $CBINDGEN_VERSION from source into target/tools (once; 1-3 minutes)"
  cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --root "$tools"
}

case "${1:-}" in
  --cbindgen) install_cbindgen ;;
  "") install_packages; install_cbindgen ;;
  *) echo "usage: $0 [--cbindgen]" >&2; exit 2 ;;
esac

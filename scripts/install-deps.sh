#!/usr/bin/env bash
# Installs everything the tests need, idempotently: Debian packages and the pinned cbindgen.
# Safe to run again; does nothing when all is present.
set -euo pipefail

CBINDGEN_VERSION=0.29.2
packages=(openssl pkg-config valgrind gcc g++ make)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cbindgen >/dev/null 2>&1 || [ "$(cbindgen --version | awk '{print $2}')" != "$CBINDGEN_VERSION" ]; then
  echo "install-deps: installing cbindgen $CBINDGEN_VERSION"
  cargo install cbindgen --version "$CBINDGEN_VERSION" --locked --quiet
fi

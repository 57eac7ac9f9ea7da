#!/usr/bin/env bash
# Instructions per verdict-cache request, counted by valgrind (stable across machines, unlike
# times): `frontproxy check --repeat N` under callgrind at N = 10001 and N = 1; the difference
# divided by 10 000 is one request through the verdict-cache path, leaving out SHA-256's
# compression function (valgrind runs it without SHA-NI, which inflates it).
#
#   benches/callgrind.sh [FRONTPROXY_BINARY]     (default: target/release/frontproxy)
#
# The request: a P-256 chain of 2 presented certificates (leaf + intermediate, the root in the
# request-header CA file) and 6 typical headers (user, uid, two groups, two extras). Needs
# openssl and valgrind.
set -euo pipefail
bin=${1:-target/release/frontproxy}
[ -x "$bin" ] || { echo "callgrind.sh: build $bin first (cargo build --release)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "callgrind.sh: valgrind is not installed" >&2; exit 2; }
bin=$(readlink -f "$bin")
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "callgrind.sh: keeping $work" >&2 || trap 'rm -rf "$work"' EXIT
cd "$work"

# The C tests' PKI: fp-ca (root), fp-int (intermediate), fp-leaf (CN=front-proxy-client).
bash "$root/bindings/c/tests/gen-certs.sh" "$work" >/dev/null
cat fp-leaf.pem fp-int.pem > chain.pem

args=(check --requestheader-client-ca-file fp-ca.pem --requestheader-allowed-names front-proxy-client
  --requestheader-uid-headers X-Remote-Uid --chain chain.pem
  --header 'X-Remote-User: system:serviceaccount:kube-system:generic-garbage-collector'
  --header 'X-Remote-Uid: 6f2a1d2e-33c4-4b59-9f8e-0c1d2e3f4a5b'
  --header 'X-Remote-Group: system:serviceaccounts'
  --header 'X-Remote-Group: system:serviceaccounts:kube-system'
  --header 'X-Remote-Extra-Authentication.kubernetes.io%2fpod-name: gc-7d9f8'
  --header 'X-Remote-Extra-Scopes: view')

# Total instructions, and those of SHA-256's compression function, for one run.
count() {
  valgrind --tool=callgrind --callgrind-out-file="cg.$1" "$bin" "${args[@]}" --repeat "$1" \
    >"out.$1" 2>"err.$1" || { cat "err.$1" >&2; exit 1; }
  grep -q '"decision":"authenticated"' "out.$1" || { echo "not authenticated:" >&2; cat "out.$1" >&2; exit 1; }
  total=$(callgrind_annotate "cg.$1" 2>/dev/null | awk '/PROGRAM TOTALS/ && !done {gsub(",", "", $1); print $1; done = 1}')
  sha=$(callgrind_annotate --inclusive=no --threshold=100 "cg.$1" 2>/dev/null | awk '/compress256/ {gsub(",", "", $1); s += $1} END {print s + 0}')
  echo "$total $sha"
}
read -r t1 s1 < <(count 1)
read -r t2 s2 < <(count 10001)
per_request=$(( ((t2 - s2) - (t1 - s1)) / 10000 ))
echo "N=1:     $t1 instructions ($s1 in sha2 compress256)"
echo "N=10001: $t2 instructions ($s2 in sha2 compress256)"
echo "per verdict-cache request, without compress256: $per_request instructions"

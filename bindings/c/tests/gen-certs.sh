#!/usr/bin/env bash
# Generates the test PKI for the C tests into DIR (created fresh by the caller) with the
# openssl CLI: nothing is checked in, nothing expires during a test run.
#
#   fp-ca.pem          front-proxy CA #1 (root)            fp-int.der       its intermediate
#   fp-leaf.der        CN=front-proxy-client, clientAuth, issued by fp-int
#   fp-intruder.der    CN=intruder, clientAuth, issued by fp-int
#   fp-serveronly.der  CN=front-proxy-client, serverAuth only, issued by fp-int
#   ca2.pem            front-proxy CA #2 (root)            ca2-leaf.der     CN=front-proxy-client
#   client-ca.pem      client CA (--client-ca-file)        client-bob.der   CN=bob, O=devs, O=ops
#   configmap-ca1.json / configmap-ca2.json / configmap-ca1.yaml   the ConfigMap for CA #1 / #2
#   configmap-lists-only.json   client CA and custom header lists, no request-header CA
set -euo pipefail
dir=${1:?usage: gen-certs.sh DIR}
cd "$dir"

cat > openssl.cnf <<'CNF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
CNF

serial=1000
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }

# root NAME SUBJECT
root() {
  key "$1"
  openssl req -x509 -new -config openssl.cnf -extensions ca -key "$1.key" -subj "$2" \
    -days 3650 -set_serial $((serial++)) -out "$1.pem"
}

# issue NAME SUBJECT ISSUER EXTENSIONS
issue() {
  key "$1"
  openssl req -new -config openssl.cnf -key "$1.key" -subj "$2" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" -set_serial $((serial++)) \
    -days 365 -extfile openssl.cnf -extensions "$4" -out "$1.pem" 2>/dev/null
  openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}

root fp-ca "/CN=front-proxy-ca"
issue fp-int "/CN=front-proxy-intermediate" fp-ca ca
issue fp-leaf "/CN=front-proxy-client" fp-int client
issue fp-intruder "/CN=intruder" fp-int client
issue fp-serveronly "/CN=front-proxy-client" fp-int server
root ca2 "/CN=front-proxy-ca-2"
issue ca2-leaf "/CN=front-proxy-client" ca2 client
root client-ca "/CN=client-ca"
issue client-bob "/O=devs/O=ops/CN=bob" client-ca client

# The extension-apiserver-authentication ConfigMap, as `kubectl get -o json` prints it: the
# list keys are JSON arrays inside strings, the CA keys PEM text.
json_string() { awk 'BEGIN { printf "\"" } { gsub(/\\/, "\\\\"); gsub(/"/, "\\\""); printf "%s\\n", $0 } END { printf "\"" }' "$1"; }
configmap_json() {
  cat <<JSON
{
  "apiVersion": "v1",
  "kind": "ConfigMap",
  "metadata": {"name": "extension-apiserver-authentication", "namespace": "kube-system"},
  "data": {
    "requestheader-client-ca-file": $(json_string "$1"),
    "requestheader-allowed-names": "[\"front-proxy-client\"]",
    "requestheader-username-headers": "[\"X-Remote-User\"]",
    "requestheader-uid-headers": "[\"X-Remote-Uid\"]",
    "requestheader-group-headers": "[\"X-Remote-Group\"]",
    "requestheader-extra-headers-prefix": "[\"X-Remote-Extra-\"]"
  }
}
JSON
}
configmap_json fp-ca.pem > configmap-ca1.json
configmap_json ca2.pem > configmap-ca2.json
# Custom header lists and the client CA, but no request-header CA: Kubernetes still clears the
# configured names after every success.
cat > configmap-lists-only.json <<JSON
{
  "apiVersion": "v1",
  "kind": "ConfigMap",
  "metadata": {"name": "extension-apiserver-authentication", "namespace": "kube-system"},
  "data": {
    "client-ca-file": $(json_string client-ca.pem),
    "requestheader-username-headers": "[\"X-Custom-User\"]",
    "requestheader-group-headers": "[\"X-Custom-Group\"]",
    "requestheader-extra-headers-prefix": "[\"X-Custom-Extra-\"]"
  }
}
JSON
{
  echo "apiVersion: v1"
  echo "kind: ConfigMap"
  echo "metadata:"
  echo "  name: extension-apiserver-authentication"
  echo "  namespace: kube-system"
  echo "data:"
  echo "  requestheader-client-ca-file: |"
  sed 's/^/    /' fp-ca.pem
  echo "  requestheader-allowed-names: '[\"front-proxy-client\"]'"
  echo "  requestheader-username-headers: '[\"X-Remote-User\"]'"
  echo "  requestheader-uid-headers: '[\"X-Remote-Uid\"]'"
  echo "  requestheader-group-headers: '[\"X-Remote-Group\"]'"
  echo "  requestheader-extra-headers-prefix: '[\"X-Remote-Extra-\"]'"
} > configmap-ca1.yaml

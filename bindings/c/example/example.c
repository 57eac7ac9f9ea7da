/*
 * frontproxy from C: authenticate one request that came through a front proxy.
 *
 *   cc -std=c11 -o example example.c $(pkg-config --cflags --libs frontproxy)
 *   ./example front-proxy-ca.crt front-proxy-client.crt          (PEM: kubeadm, cert-manager)
 *   ./example front-proxy-ca.crt chain.pem                       (PEM chain file, leaf first)
 *   ./example front-proxy-ca.crt leaf.pem intermediate.pem       (PEM files, leaf first)
 *   ./example front-proxy-ca.crt leaf.der [intermediate.der...]  (DER, one certificate a file)
 *
 * A host does the same with the chain its TLS layer received (DER, leaf first) and the
 * request's header lines: verify the chain once per connection, authenticate each request,
 * then act on the decision (401, or pass the request on with the user after removing the
 * headers to clear). A host that holds PEM instead decodes it with frontproxy_chain_from_pem.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <frontproxy.h>

#define MAX_FILE_BYTES (1 << 20)
#define MAX_CHAIN 8

/* Reads a whole file (at most MAX_FILE_BYTES); NULL when it cannot. */
static unsigned char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *buf = malloc(MAX_FILE_BYTES + 1);
  *len = buf ? fread(buf, 1, MAX_FILE_BYTES + 1, f) : 0;
  int bad = buf == NULL || ferror(f) || *len > MAX_FILE_BYTES;
  fclose(f);
  if (bad) {
    free(buf);
    return NULL;
  }
  return buf;
}

/* PEM text has a "-----BEGIN " line; DER (binary ASN.1) never starts that way. */
static int is_pem(const unsigned char *text, size_t len) {
  static const char begin[] = "-----BEGIN ";
  for (size_t i = 0; i + sizeof begin - 1 <= len; i++) {
    if (memcmp(text + i, begin, sizeof begin - 1) == 0) return 1;
  }
  return 0;
}

static int too_many(void) {
  fprintf(stderr, "more than %d certificates: a presented chain has at most %d\n", MAX_CHAIN, MAX_CHAIN);
  return 2;
}

/* Prints the library's message for a failed call. */
static int fail(const char *what, frontproxy_result r, frontproxy_error *err) {
  char msg[1024];
  size_t len = 0;
  if (err == NULL || frontproxy_error_message(err, msg, sizeof msg, &len) != FRONTPROXY_RESULT_OK)
    frontproxy_result_message(r, msg, sizeof msg, &len);
  fprintf(stderr, "%s failed (%u): %s\n", what, (unsigned)r, msg);
  frontproxy_error_free(err);
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 2 + MAX_CHAIN) {
    fprintf(stderr, "usage: %s CA_FILE CHAIN.pem | LEAF.pem|LEAF.der [INTERMEDIATE...]\n", argv[0]);
    return 2;
  }
  printf("frontproxy %s\n", frontproxy_version());

  /* 1. Once per process: an authenticator from kube-apiserver-style flags, shared by all
   *    threads. (frontproxy_authenticator_new_from_configmap takes the ConfigMap instead.) */
  char ca_flag[4096];
  snprintf(ca_flag, sizeof ca_flag, "--requestheader-client-ca-file=%s", argv[1]);
  const char *flags[] = {ca_flag, "--requestheader-allowed-names=front-proxy-client"};
  frontproxy_bytes args[2];
  for (int i = 0; i < 2; i++) args[i] = (frontproxy_bytes){(const uint8_t *)flags[i], strlen(flags[i])};
  frontproxy_authenticator *auth = NULL;
  frontproxy_error *err = NULL;
  frontproxy_result r = frontproxy_authenticator_new_from_flags(args, 2, NULL, &auth, &err);
  if (r != FRONTPROXY_RESULT_OK) return fail("creating the authenticator", r, err);

  /* 2. Once per connection: verify the peer's chain (DER, leaf first). Here it comes from
   *    files: a PEM file is decoded by the library (every CERTIFICATE block, in order); a DER
   *    file is one certificate. The decoded chains own their DER until they are freed. */
  frontproxy_bytes chain[MAX_CHAIN];
  size_t n = 0;
  unsigned char *files[MAX_CHAIN] = {0};
  frontproxy_chain *decoded[MAX_CHAIN] = {0};
  for (int i = 2; i < argc; i++) {
    size_t len = 0;
    unsigned char *text = files[i - 2] = read_file(argv[i], &len);
    if (!text) {
      fprintf(stderr, "cannot read %s (or larger than %d bytes)\n", argv[i], MAX_FILE_BYTES);
      return 2;
    }
    if (!is_pem(text, len)) {
      if (n == MAX_CHAIN) return too_many();
      chain[n++] = (frontproxy_bytes){text, len};
      continue;
    }
    r = frontproxy_chain_from_pem(text, len, &decoded[i - 2], &err);
    if (r != FRONTPROXY_RESULT_OK) {
      char what[4200];
      snprintf(what, sizeof what, "decoding %s", argv[i]);
      return fail(what, r, err);
    }
    const frontproxy_bytes *certs = frontproxy_chain_certs(decoded[i - 2]);
    for (size_t k = 0; k < frontproxy_chain_certs_len(decoded[i - 2]); k++) {
      if (n == MAX_CHAIN) return too_many();
      chain[n++] = certs[k];
    }
  }
  frontproxy_peer *peer = NULL;
  r = frontproxy_authenticator_verify_peer(auth, chain, n, false, &peer);
  if (r != FRONTPROXY_RESULT_OK) return fail("verifying the peer", r, NULL);

  /* 3. Per request: the header lines as received. */
  const char *lines[][2] = {
      {"X-Remote-User", "alice"}, {"X-Remote-Group", "developers"}, {"Accept", "application/json"}};
  frontproxy_header headers[3];
  for (int i = 0; i < 3; i++) {
    headers[i] = (frontproxy_header){(const uint8_t *)lines[i][0], strlen(lines[i][0]),
                                     (const uint8_t *)lines[i][1], strlen(lines[i][1])};
  }
  frontproxy_decision *decision = NULL;
  r = frontproxy_authenticator_authenticate(auth, peer, headers, 3, &decision);
  if (r != FRONTPROXY_RESULT_OK) return fail("authenticating", r, NULL);

  /* 4. Act on the decision. Strings point into the decision until it is freed. */
  int status = 0;
  frontproxy_str s;
  if (frontproxy_decision_outcome(decision) == FRONTPROXY_OUTCOME_REJECTED) {
    frontproxy_decision_message(decision, &s);
    printf("401 rejected: %s: %.*s\n", frontproxy_reason_code(frontproxy_decision_reason(decision)), (int)s.len,
           s.data);
    status = 1;
  } else {
    frontproxy_decision_user_name(decision, &s);
    printf("user=%.*s groups=", (int)s.len, s.data);
    for (size_t i = 0; i < frontproxy_decision_group_count(decision); i++) {
      frontproxy_decision_group(decision, i, &s);
      printf("%s%.*s", i ? "," : "", (int)s.len, s.data);
    }
    printf("\nremove before proxying:");
    for (size_t i = 0; i < frontproxy_decision_clear_header_count(decision); i++) {
      frontproxy_bytes name;
      frontproxy_decision_clear_header(decision, i, &name);
      printf(" %.*s", (int)name.len, (const char *)name.data);
    }
    printf("\n");
  }

  frontproxy_decision_free(decision);
  frontproxy_peer_free(peer);
  frontproxy_authenticator_free(auth);
  for (int i = 0; i < MAX_CHAIN; i++) {
    frontproxy_chain_free(decoded[i]);
    free(files[i]);
  }
  return status;
}

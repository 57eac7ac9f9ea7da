/*
 * The C API, driven the way a host drives it: happy paths, every result code that can be
 * provoked from C, NULL for every pointer argument, zero lengths, hostile headers and chains,
 * use after reload, and freeing in every order. Run under ASan+UBSan and under valgrind.
 *
 * usage: test_api CERTS_DIR   (a directory filled by tests/gen-certs.sh)
 *
 * Behaviour cases cite spec/kubernetes-semantics.md (§ and rule); API cases cite the README's
 * "C API conventions".
 */
#include <stdint.h>

#include "harness.h"

#ifndef FRONTPROXY_EXPECTED_VERSION
#error "build with -DFRONTPROXY_EXPECTED_VERSION=\"x.y.z\" (the version in Cargo.toml)"
#endif

/* ---- fixtures ---------------------------------------------------------------------------- */

typedef struct {
  unsigned char *data;
  size_t len;
} blob;

static blob FP_LEAF, FP_INT, FP_INTRUDER, FP_SERVERONLY, CA2_LEAF, CLIENT_BOB;
static blob CM_CA1_JSON, CM_CA2_JSON, CM_CA1_YAML, CM_LISTS_ONLY;
static blob FP_LEAF_PEM, FP_INT_PEM, FP_LEAF_KEY;

static blob load(const char *name) {
  blob b;
  b.data = read_fixture(name, &b.len);
  return b;
}

static frontproxy_bytes der(blob b) {
  frontproxy_bytes x = {b.data, b.len};
  return x;
}

/* Flag sets, as argv. Paths are filled in at start-up. */
static char FLAG_FP_CA[4200], FLAG_CLIENT_CA[4200], FLAG_CA2[4200], FLAG_MISSING[200];
static const char *FLAGS_FULL[6];  /* request-header CA #1 + client CA */
static const char *FLAGS_PROXY[3]; /* request-header CA #1 only */
static const char *FLAGS_CA2[3];   /* request-header CA #2 only */

static void setup_fixtures(void) {
  FP_LEAF = load("fp-leaf.der");
  FP_INT = load("fp-int.der");
  FP_INTRUDER = load("fp-intruder.der");
  FP_SERVERONLY = load("fp-serveronly.der");
  CA2_LEAF = load("ca2-leaf.der");
  CLIENT_BOB = load("client-bob.der");
  CM_CA1_JSON = load("configmap-ca1.json");
  CM_CA2_JSON = load("configmap-ca2.json");
  CM_CA1_YAML = load("configmap-ca1.yaml");
  CM_LISTS_ONLY = load("configmap-lists-only.json");
  FP_LEAF_PEM = load("fp-leaf.pem");
  FP_INT_PEM = load("fp-int.pem");
  FP_LEAF_KEY = load("fp-leaf.key");
  snprintf(FLAG_FP_CA, sizeof FLAG_FP_CA, "--requestheader-client-ca-file=%s", fixture_path("fp-ca.pem", 0));
  snprintf(FLAG_CLIENT_CA, sizeof FLAG_CLIENT_CA, "%s", fixture_path("client-ca.pem", 1));
  snprintf(FLAG_CA2, sizeof FLAG_CA2, "--requestheader-client-ca-file=%s", fixture_path("ca2.pem", 2));
  snprintf(FLAG_MISSING, sizeof FLAG_MISSING, "--requestheader-client-ca-file=/nonexistent/front-proxy-ca.pem");
  /* Both argv forms: --flag=value and --flag value. */
  FLAGS_FULL[0] = FLAG_FP_CA;
  FLAGS_FULL[1] = "--requestheader-allowed-names=front-proxy-client";
  FLAGS_FULL[2] = "--requestheader-uid-headers";
  FLAGS_FULL[3] = "X-Remote-Uid";
  FLAGS_FULL[4] = "--client-ca-file";
  FLAGS_FULL[5] = FLAG_CLIENT_CA;
  FLAGS_PROXY[0] = FLAG_FP_CA;
  FLAGS_PROXY[1] = "--requestheader-allowed-names=front-proxy-client";
  FLAGS_PROXY[2] = "--requestheader-uid-headers=X-Remote-Uid";
  FLAGS_CA2[0] = FLAG_CA2;
  FLAGS_CA2[1] = "--requestheader-allowed-names=front-proxy-client";
  FLAGS_CA2[2] = "--requestheader-uid-headers=X-Remote-Uid";
}

static void free_fixtures(void) {
  blob *all[] = {&FP_LEAF, &FP_INT, &FP_INTRUDER, &FP_SERVERONLY, &CA2_LEAF, &CLIENT_BOB,
                 &CM_CA1_JSON, &CM_CA2_JSON, &CM_CA1_YAML, &CM_LISTS_ONLY,
                 &FP_LEAF_PEM, &FP_INT_PEM, &FP_LEAF_KEY};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) free(all[i]->data);
}

#define ARGV(a) argv_bytes(a, sizeof(a) / sizeof((a)[0])), sizeof(a) / sizeof((a)[0])

/* argv as frontproxy_bytes (a static array: tests are single-threaded). */
static const frontproxy_bytes *argv_bytes(const char *const *argv, size_t n) {
  static frontproxy_bytes out[16];
  for (size_t i = 0; i < n && i < 16; i++) out[i] = bytes_of(argv[i]);
  return out;
}

static frontproxy_authenticator *new_from_flags(const frontproxy_bytes *args, size_t n) {
  frontproxy_authenticator *auth = NULL;
  frontproxy_error *err = NULL;
  frontproxy_result r = frontproxy_authenticator_new_from_flags(args, n, NULL, &auth, &err);
  if (r != FRONTPROXY_RESULT_OK) {
    char msg[2048];
    size_t len = 0;
    frontproxy_error_message(err, msg, sizeof msg, &len);
    fprintf(stderr, "new_from_flags: %u %s\n", (unsigned)r, msg);
    frontproxy_error_free(err);
    exit(2);
  }
  return auth;
}

static frontproxy_authenticator *new_from_configmap(blob doc, const frontproxy_options *options) {
  frontproxy_authenticator *auth = NULL;
  frontproxy_result r = frontproxy_authenticator_new_from_configmap(doc.data, doc.len, options, &auth, NULL);
  if (r != FRONTPROXY_RESULT_OK) {
    fprintf(stderr, "new_from_configmap: %u\n", (unsigned)r);
    exit(2);
  }
  return auth;
}

/* The chain [fp-leaf, fp-int] (leaf first). */
static frontproxy_bytes FP_CHAIN[2];

static const frontproxy_header ALICE[] = {
    {(const uint8_t *)"X-Remote-User", 13, (const uint8_t *)"alice", 5},
    {(const uint8_t *)"X-Remote-Group", 14, (const uint8_t *)"admins", 6},
};
#define NALICE (sizeof ALICE / sizeof ALICE[0])

/* Authenticates on the chain path; OK is required. */
static frontproxy_decision *auth_chain(const frontproxy_authenticator *auth, const frontproxy_bytes *certs,
                                       size_t n, const frontproxy_header *headers, size_t nh) {
  frontproxy_decision *d = NULL;
  frontproxy_result r = frontproxy_authenticator_authenticate_chain(auth, certs, n, false, headers, nh, &d);
  CHECK(r == FRONTPROXY_RESULT_OK && d != NULL, "authenticate_chain returned %u", (unsigned)r);
  return d;
}

/* Authenticates on the peer path (a fresh peer per call); OK is required. */
static frontproxy_decision *auth_peer(const frontproxy_authenticator *auth, const frontproxy_bytes *certs,
                                      size_t n, const frontproxy_header *headers, size_t nh) {
  frontproxy_peer *peer = NULL;
  frontproxy_decision *d = NULL;
  frontproxy_result r = frontproxy_authenticator_verify_peer(auth, certs, n, false, &peer);
  CHECK(r == FRONTPROXY_RESULT_OK && peer != NULL, "verify_peer returned %u", (unsigned)r);
  r = frontproxy_authenticator_authenticate(auth, peer, headers, nh, &d);
  CHECK(r == FRONTPROXY_RESULT_OK && d != NULL, "authenticate returned %u", (unsigned)r);
  frontproxy_peer_free(peer);
  return d;
}

typedef frontproxy_decision *(*auth_path)(const frontproxy_authenticator *, const frontproxy_bytes *, size_t,
                                          const frontproxy_header *, size_t);
static const struct {
  const char *name;
  auth_path run;
} PATHS[] = {{"chain path", auth_chain}, {"peer path", auth_peer}};

/* A rejection with `reason`, and nothing a host could mistake for a user. */
static void expect_rejected(const frontproxy_decision *d, uint32_t reason, const char *what) {
  frontproxy_str s = {0};
  uint32_t got = frontproxy_decision_reason(d);
  CHECK(frontproxy_decision_outcome(d) == FRONTPROXY_OUTCOME_REJECTED, "%s: outcome %u, want REJECTED", what,
        (unsigned)frontproxy_decision_outcome(d));
  CHECK(got == reason, "%s: reason %u (%s), want %u (%s)", what, (unsigned)got,
        frontproxy_reason_code(got) ? frontproxy_reason_code(got) : "-", (unsigned)reason, frontproxy_reason_code(reason));
  CHECK(frontproxy_decision_message(d, &s) == FRONTPROXY_RESULT_OK && s.len > 0, "%s: a rejection has a message", what);
  CHECK(frontproxy_decision_user_name(d, &s) == FRONTPROXY_RESULT_NO_USER, "%s: user_name gives NO_USER", what);
  CHECK(frontproxy_decision_user_uid(d, &s) == FRONTPROXY_RESULT_NO_USER, "%s: user_uid gives NO_USER", what);
  CHECK(frontproxy_decision_group(d, 0, &s) == FRONTPROXY_RESULT_NO_USER, "%s: group gives NO_USER", what);
  CHECK(frontproxy_decision_extra_key(d, 0, &s) == FRONTPROXY_RESULT_NO_USER, "%s: extra_key gives NO_USER", what);
  CHECK(frontproxy_decision_extra_value(d, 0, 0, &s) == FRONTPROXY_RESULT_NO_USER, "%s: extra_value: NO_USER", what);
  CHECK(frontproxy_decision_group_count(d) == 0 && frontproxy_decision_extra_count(d) == 0, "%s: no groups/extra", what);
  CHECK(frontproxy_decision_clear_header_count(d) == 0, "%s: a rejected request goes no further", what);
  CHECK(frontproxy_decision_authenticator(d) == FRONTPROXY_AUTHENTICATOR_KIND_NONE, "%s: no authenticator", what);
}

/* An authenticated or anonymous user with exactly these groups. */
static void expect_user(const frontproxy_decision *d, frontproxy_outcome outcome, frontproxy_authenticator_kind kind,
                        const char *name, const char *const *groups, size_t ngroups, const char *what) {
  frontproxy_str s = {0};
  CHECK(frontproxy_decision_outcome(d) == outcome, "%s: outcome %u, want %u (reason %s)", what,
        (unsigned)frontproxy_decision_outcome(d), (unsigned)outcome,
        frontproxy_reason_code(frontproxy_decision_reason(d)) ? frontproxy_reason_code(frontproxy_decision_reason(d))
                                                              : "-");
  CHECK(frontproxy_decision_authenticator(d) == kind, "%s: authenticator %u, want %u", what,
        (unsigned)frontproxy_decision_authenticator(d), (unsigned)kind);
  CHECK(frontproxy_decision_reason(d) == FRONTPROXY_REASON_NONE, "%s: no reason", what);
  CHECK(frontproxy_decision_message(d, &s) == FRONTPROXY_RESULT_OK && s.len == 0, "%s: no message", what);
  CHECK(frontproxy_decision_user_name(d, &s) == FRONTPROXY_RESULT_OK && str_is(s, name), "%s: user %.*s, want %s", what,
        (int)s.len, s.data, name);
  size_t n = frontproxy_decision_group_count(d);
  CHECK(n == ngroups, "%s: %zu groups, want %zu", what, n, ngroups);
  for (size_t i = 0; i < n && i < ngroups; i++) {
    CHECK(frontproxy_decision_group(d, i, &s) == FRONTPROXY_RESULT_OK && str_is(s, groups[i]),
          "%s: group %zu is %.*s, want %s", what, i, (int)s.len, s.data, groups[i]);
  }
  CHECK(frontproxy_decision_group(d, n, &s) == FRONTPROXY_RESULT_INDEX_OUT_OF_RANGE, "%s: group[count] out of range",
        what);
}

/* Whether the decision lists `name` (exactly as spelled) among the headers to clear. */
static int clears(const frontproxy_decision *d, const char *name) {
  for (size_t i = 0; i < frontproxy_decision_clear_header_count(d); i++) {
    frontproxy_bytes b = {0};
    if (frontproxy_decision_clear_header(d, i, &b) == FRONTPROXY_RESULT_OK && b.len == strlen(name) &&
        memcmp(b.data, name, b.len) == 0)
      return 1;
  }
  return 0;
}

static const char *const ALICE_GROUPS[] = {"admins", "system:authenticated"};
static const char *const ANON_GROUPS[] = {"system:unauthenticated"};

/* ---- library-wide functions -------------------------------------------------------------- */

/* Convention: frontproxy_version() is a static string, the crate's version. */
static void version_is_the_crate_version(void) {
  const char *v = frontproxy_version();
  CHECK(v != NULL && strcmp(v, FRONTPROXY_EXPECTED_VERSION) == 0, "version %s, want %s", v ? v : "(null)",
        FRONTPROXY_EXPECTED_VERSION);
}

/* Convention: one result enum with stable values; a function renders the message of a code
 * into a caller buffer (NUL-terminated, length without the NUL); nothing but the length is
 * written when the buffer is too small. */
static void result_codes_are_stable_and_render_their_messages(void) {
  const struct {
    frontproxy_result code;
    uint32_t number;
  } codes[] = {{FRONTPROXY_RESULT_OK, 0},
               {FRONTPROXY_RESULT_NULL_POINTER, 100},
               {FRONTPROXY_RESULT_INVALID_ARGUMENT, 101},
               {FRONTPROXY_RESULT_BUFFER_TOO_SMALL, 102},
               {FRONTPROXY_RESULT_INDEX_OUT_OF_RANGE, 103},
               {FRONTPROXY_RESULT_NO_USER, 104},
               {FRONTPROXY_RESULT_CONFIG_INVALID, 200},
               {FRONTPROXY_RESULT_PANIC, 900}};
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    char buf[512];
    size_t len = 0;
    CHECK((uint32_t)codes[i].code == codes[i].number, "code %zu has number %u", i, (unsigned)codes[i].code);
    frontproxy_result r = frontproxy_result_message(codes[i].number, buf, sizeof buf, &len);
    CHECK(r == FRONTPROXY_RESULT_OK && len > 0 && strlen(buf) == len, "message of %u", (unsigned)codes[i].number);
  }
  const uint32_t not_codes[] = {1, 99, 105, 199, 201, 899, 901, UINT32_MAX};
  for (size_t i = 0; i < sizeof not_codes / sizeof not_codes[0]; i++) {
    char buf[64] = "untouched";
    size_t len = 12345;
    CHECK(frontproxy_result_message(not_codes[i], buf, sizeof buf, &len) == FRONTPROXY_RESULT_INVALID_ARGUMENT &&
              strcmp(buf, "untouched") == 0 && len == 12345,
          "%u is not a result code and nothing is written", (unsigned)not_codes[i]);
  }
  /* Buffer sizes around the message length L: L bytes is too small (no room for the NUL). */
  char big[512];
  size_t full = 0;
  frontproxy_result_message(FRONTPROXY_RESULT_NULL_POINTER, big, sizeof big, &full);
  char small[512];
  memset(small, 'x', sizeof small);
  size_t len = 0;
  CHECK(frontproxy_result_message(FRONTPROXY_RESULT_NULL_POINTER, small, full, &len) ==
            FRONTPROXY_RESULT_BUFFER_TOO_SMALL,
        "a buffer of exactly the message length is too small");
  CHECK(len == full, "BUFFER_TOO_SMALL reports the needed length %zu (got %zu)", full, len);
  CHECK(small[0] == 'x' && small[full - 1] == 'x', "nothing is written to a too-small buffer");
  CHECK(frontproxy_result_message(FRONTPROXY_RESULT_NULL_POINTER, small, full + 1, &len) == FRONTPROXY_RESULT_OK &&
            len == full && strcmp(small, big) == 0,
        "length + 1 bytes fit");
  len = 0;
  CHECK(frontproxy_result_message(FRONTPROXY_RESULT_OK, NULL, 0, &len) == FRONTPROXY_RESULT_BUFFER_TOO_SMALL &&
            len == strlen("success"),
        "a NULL buffer of length 0 asks for the length");
  CHECK(frontproxy_result_message(FRONTPROXY_RESULT_OK, NULL, 10, &len) == FRONTPROXY_RESULT_NULL_POINTER,
        "a NULL buffer with a length is NULL_POINTER");
  CHECK(frontproxy_result_message(FRONTPROXY_RESULT_OK, big, sizeof big, NULL) == FRONTPROXY_RESULT_NULL_POINTER,
        "a NULL length output is NULL_POINTER");
}

/* Reasons have the CLI's numbers and codes (src/reason.rs). */
static void reason_codes_are_the_cli_codes(void) {
  const struct {
    uint32_t number;
    const char *code;
  } reasons[] = {{FRONTPROXY_REASON_CHAIN_TOO_LONG, "chain_too_long"},
                 {FRONTPROXY_REASON_MALFORMED_CERTIFICATE, "malformed_certificate"},
                 {FRONTPROXY_REASON_UNKNOWN_AUTHORITY, "unknown_authority"},
                 {FRONTPROXY_REASON_CERTIFICATE_EXPIRED, "certificate_expired"},
                 {FRONTPROXY_REASON_CERTIFICATE_NOT_YET_VALID, "certificate_not_yet_valid"},
                 {FRONTPROXY_REASON_BAD_SIGNATURE, "bad_signature"},
                 {FRONTPROXY_REASON_UNSUPPORTED_ALGORITHM, "unsupported_algorithm"},
                 {FRONTPROXY_REASON_USAGE_NOT_ALLOWED, "usage_not_allowed"},
                 {FRONTPROXY_REASON_ISSUER_NOT_CA, "issuer_not_ca"},
                 {FRONTPROXY_REASON_PATH_LENGTH_EXCEEDED, "path_length_exceeded"},
                 {FRONTPROXY_REASON_UNHANDLED_CRITICAL_EXTENSION, "unhandled_critical_extension"},
                 {FRONTPROXY_REASON_NAME_CONSTRAINT_VIOLATION, "name_constraint_violation"},
                 {FRONTPROXY_REASON_VERIFICATION_BUDGET_EXCEEDED, "verification_budget_exceeded"},
                 {FRONTPROXY_REASON_COMMON_NAME_NOT_ALLOWED, "common_name_not_allowed"},
                 {FRONTPROXY_REASON_COMMON_NAME_UNREADABLE, "common_name_unreadable"},
                 {FRONTPROXY_REASON_INVALID_HEADER, "invalid_header"},
                 {FRONTPROXY_REASON_HEADERS_TOO_LARGE, "headers_too_large"},
                 {FRONTPROXY_REASON_INVALID_CERTIFICATE_UID, "invalid_certificate_uid"},
                 {FRONTPROXY_REASON_CERTIFICATE_INVALID, "certificate_invalid"},
                 {FRONTPROXY_REASON_INTERNAL_ERROR, "internal_error"}};
  for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++) {
    const char *code = frontproxy_reason_code(reasons[i].number);
    CHECK(reasons[i].number == i + 1, "reason %s has number %u", reasons[i].code, (unsigned)reasons[i].number);
    CHECK(code && strcmp(code, reasons[i].code) == 0, "reason %u is %s, want %s", (unsigned)reasons[i].number,
          code ? code : "(null)", reasons[i].code);
  }
  CHECK(frontproxy_reason_code(FRONTPROXY_REASON_NONE) == NULL, "0 is not a reason");
  CHECK(frontproxy_reason_code(21) == NULL && frontproxy_reason_code(UINT32_MAX) == NULL, "unknown numbers: NULL");
}

/* ---- happy paths ------------------------------------------------------------------------- */

/* §1.2–§1.6, §1.9 rules 30 and 32: a verified proxy's headers give the user; every identity
 * header and Authorization is to be cleared; other headers stay. */
static void happy_path_flags_peer_gives_the_user_from_the_headers(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_FULL));
  const frontproxy_header req[] = {
      header_of("Accept", "*/*"),
      header_of("X-Remote-User", "alice"),
      header_of("X-Remote-Uid", "42"),
      header_of("x-remote-group", "admins"),
      header_of("X-Remote-Group", " devs "),
      header_of("X-Remote-Extra-Scopes", "read"),
      header_of("X-Remote-Extra-Scopes", "write"),
      header_of("X-Remote-Extra-Acme.com%2FProject", "p1"),
      header_of("Authorization", "Bearer secret"),
  };
  frontproxy_peer *peer = NULL;
  CHECK(frontproxy_authenticator_verify_peer(auth, FP_CHAIN, 2, false, &peer) == FRONTPROXY_RESULT_OK, "verify_peer");
  /* The same peer serves several requests of its connection. */
  for (int round = 0; round < 3; round++) {
    frontproxy_decision *d = NULL;
    CHECK(frontproxy_authenticator_authenticate(auth, peer, req, sizeof req / sizeof req[0], &d) ==
              FRONTPROXY_RESULT_OK,
          "authenticate");
    const char *const groups[] = {"admins", "devs", "system:authenticated"};
    expect_user(d, FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER, "alice", groups, 3,
                "alice via the peer");
    frontproxy_str s = {0};
    CHECK(frontproxy_decision_user_uid(d, &s) == FRONTPROXY_RESULT_OK && str_is(s, "42"), "uid 42");
    /* §1.5: keys lowercased and percent-decoded, sorted; values in arrival order. */
    CHECK(frontproxy_decision_extra_count(d) == 2, "two extra keys, got %zu", frontproxy_decision_extra_count(d));
    CHECK(frontproxy_decision_extra_key(d, 0, &s) == FRONTPROXY_RESULT_OK && str_is(s, "acme.com/project"),
          "extra key 0 is acme.com/project, got %.*s", (int)s.len, s.data);
    CHECK(frontproxy_decision_extra_value_count(d, 0) == 1, "one value for acme.com/project");
    CHECK(frontproxy_decision_extra_value(d, 0, 0, &s) == FRONTPROXY_RESULT_OK && str_is(s, "p1"), "p1");
    CHECK(frontproxy_decision_extra_key(d, 1, &s) == FRONTPROXY_RESULT_OK && str_is(s, "scopes"), "extra key scopes");
    CHECK(frontproxy_decision_extra_value_count(d, 1) == 2, "two values for scopes");
    CHECK(frontproxy_decision_extra_value(d, 1, 0, &s) == FRONTPROXY_RESULT_OK && str_is(s, "read"), "read");
    CHECK(frontproxy_decision_extra_value(d, 1, 1, &s) == FRONTPROXY_RESULT_OK && str_is(s, "write"), "write");
    CHECK(frontproxy_decision_extra_key(d, 2, &s) == FRONTPROXY_RESULT_INDEX_OUT_OF_RANGE, "extra key 2: range");
    CHECK(frontproxy_decision_extra_value(d, 0, 1, &s) == FRONTPROXY_RESULT_INDEX_OUT_OF_RANGE, "value 1: range");
    CHECK(frontproxy_decision_extra_value(d, 2, 0, &s) == FRONTPROXY_RESULT_INDEX_OUT_OF_RANGE, "key 2 value: range");
    CHECK(frontproxy_decision_extra_value_count(d, 2) == 0, "value count of key 2 is 0");
    /* §1.6 rule 15 and §1.9 rule 32: each header once, spelled as received; Accept stays. */
    CHECK(frontproxy_decision_clear_header_count(d) == 6, "6 headers to clear, got %zu",
          frontproxy_decision_clear_header_count(d));
    const char *cleared[] = {"X-Remote-User", "X-Remote-Uid", "x-remote-group", "X-Remote-Extra-Scopes",
                             "X-Remote-Extra-Acme.com%2FProject", "Authorization"};
    for (size_t i = 0; i < 6; i++) CHECK(clears(d, cleared[i]), "clears %s", cleared[i]);
    CHECK(!clears(d, "Accept"), "Accept stays");
    frontproxy_bytes b = {0};
    CHECK(frontproxy_decision_clear_header(d, 6, &b) == FRONTPROXY_RESULT_INDEX_OUT_OF_RANGE, "clear[6]: range");
    CHECK(!frontproxy_decision_from_cache(d), "the peer path does not use the cache");
    frontproxy_decision_free(d);
  }
  frontproxy_peer_free(peer);
  frontproxy_authenticator_free(auth);
}

/* The chain path files the verdict in the verdict cache: the second request is a hit. */
static void happy_path_configmap_chain_uses_the_decision_cache(void) {
  frontproxy_authenticator *auth = new_from_configmap(CM_CA1_JSON, NULL);
  frontproxy_cache_stats stats = {0};
  CHECK(frontproxy_authenticator_cache_stats(auth, &stats) == FRONTPROXY_RESULT_OK && stats.hits == 0 &&
            stats.misses == 0 && stats.entries == 0,
        "a new cache is empty");
  for (int i = 0; i < 2; i++) {
    frontproxy_decision *d = auth_chain(auth, FP_CHAIN, 2, ALICE, NALICE);
    expect_user(d, FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER, "alice",
                ALICE_GROUPS, 2, "alice via the ConfigMap");
    CHECK(frontproxy_decision_from_cache(d) == (i == 1), "request %d from_cache=%d", i, i == 1);
    frontproxy_decision_free(d);
  }
  CHECK(frontproxy_authenticator_cache_stats(auth, &stats) == FRONTPROXY_RESULT_OK, "cache_stats");
  CHECK(stats.hits == 1 && stats.misses == 1, "1 hit and 1 miss, got %llu/%llu", (unsigned long long)stats.hits,
        (unsigned long long)stats.misses);
  CHECK(stats.insertions >= 1 && stats.entries >= 1 && stats.bytes > 0 && stats.rejections == 0,
        "entries filed, no rejections");
  frontproxy_bytes other = der(CA2_LEAF);
  frontproxy_decision *d = auth_chain(auth, &other, 1, ALICE, NALICE);
  expect_rejected(d, FRONTPROXY_REASON_UNKNOWN_AUTHORITY, "another CA's chain");
  frontproxy_decision_free(d);
  CHECK(frontproxy_authenticator_cache_stats(auth, &stats) == FRONTPROXY_RESULT_OK && stats.rejections == 1,
        "the rejection is counted");
  frontproxy_authenticator_free(auth);
}

/* §2: the ConfigMap as kubectl prints it in YAML works like the JSON one. */
static void happy_path_configmap_yaml(void) {
  frontproxy_authenticator *auth = new_from_configmap(CM_CA1_YAML, NULL);
  frontproxy_decision *d = auth_peer(auth, FP_CHAIN, 2, ALICE, NALICE);
  expect_user(d, FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER, "alice",
              ALICE_GROUPS, 2, "alice via the YAML ConfigMap");
  frontproxy_decision_free(d);
  frontproxy_authenticator_free(auth);
}

/* Options: a disabled cache is never consulted and counts nothing. */
static void options_disable_the_cache(void) {
  frontproxy_options *opts = NULL;
  CHECK(frontproxy_options_new(&opts) == FRONTPROXY_RESULT_OK && opts, "options_new");
  CHECK(frontproxy_options_set_cache(opts, 0, 0) == FRONTPROXY_RESULT_OK, "max_entries 0 disables the cache");
  CHECK(frontproxy_options_set_cache_ttl(opts, 10, 10) == FRONTPROXY_RESULT_INVALID_ARGUMENT,
        "TTLs of a disabled cache: INVALID_ARGUMENT");
  frontproxy_authenticator *auth = new_from_configmap(CM_CA1_JSON, opts);
  frontproxy_options_free(opts); /* copied by the constructor */
  for (int i = 0; i < 2; i++) {
    frontproxy_decision *d = auth_chain(auth, FP_CHAIN, 2, ALICE, NALICE);
    CHECK(frontproxy_decision_outcome(d) == FRONTPROXY_OUTCOME_AUTHENTICATED && !frontproxy_decision_from_cache(d),
          "authenticated, never from the cache");
    frontproxy_decision_free(d);
  }
  frontproxy_cache_stats stats;
  memset(&stats, 0xff, sizeof stats);
  CHECK(frontproxy_authenticator_cache_stats(auth, &stats) == FRONTPROXY_RESULT_OK && stats.hits == 0 &&
            stats.misses == 0 && stats.insertions == 0 && stats.entries == 0,
        "all counters zero without a cache");
  frontproxy_authenticator_free(auth);

  CHECK(frontproxy_options_new(&opts) == FRONTPROXY_RESULT_OK, "options_new");
  CHECK(frontproxy_options_set_cache(opts, 16, 0) == FRONTPROXY_RESULT_INVALID_ARGUMENT, "max_bytes 0: invalid");
  CHECK(frontproxy_options_set_cache(opts, 16, 1 << 20) == FRONTPROXY_RESULT_OK, "a small cache");
  CHECK(frontproxy_options_set_cache_ttl(opts, 0, 5) == FRONTPROXY_RESULT_INVALID_ARGUMENT, "TTL 0: invalid");
  CHECK(frontproxy_options_set_cache_ttl(opts, 60, 5) == FRONTPROXY_RESULT_OK, "TTLs");
  CHECK(frontproxy_options_set_reload_interval(opts, 0) == FRONTPROXY_RESULT_OK, "reload interval 0 = never");
  auth = new_from_configmap(CM_CA1_JSON, opts);
  frontproxy_decision *d = auth_chain(auth, FP_CHAIN, 2, ALICE, NALICE);
  CHECK(frontproxy_decision_outcome(d) == FRONTPROXY_OUTCOME_AUTHENTICATED, "works with a small cache");
  frontproxy_decision_free(d);
  frontproxy_authenticator_free(auth);
  frontproxy_options_free(opts);
}

/* §1.8 rule 28: a certificate from --client-ca-file authenticates as its CN, groups from O. */
static void x509_client_certificate_gives_cn_and_organizations(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_FULL));
  frontproxy_bytes bob = der(CLIENT_BOB);
  for (size_t p = 0; p < 2; p++) {
    frontproxy_decision *d = PATHS[p].run(auth, &bob, 1, NULL, 0);
    const char *const groups[] = {"devs", "ops", "system:authenticated"};
    expect_user(d, FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_AUTHENTICATOR_KIND_X509, "bob", groups, 3,
                PATHS[p].name);
    frontproxy_str s = {0};
    CHECK(frontproxy_decision_extra_count(d) == 1, "%s: the credential-id extra", PATHS[p].name);
    CHECK(frontproxy_decision_extra_key(d, 0, &s) == FRONTPROXY_RESULT_OK &&
              str_is(s, "authentication.kubernetes.io/credential-id"),
          "%s: credential-id key", PATHS[p].name);
    CHECK(frontproxy_decision_extra_value(d, 0, 0, &s) == FRONTPROXY_RESULT_OK && s.len > 11 &&
              memcmp(s.data, "X509SHA256=", 11) == 0,
          "%s: X509SHA256= value", PATHS[p].name);
    frontproxy_decision_free(d);
  }
  frontproxy_authenticator_free(auth);
}

/* §1.7 rule 18, §1.8 rule 27: without a certificate the headers are not trusted; the user is
 * anonymous and the identity headers are still to be cleared (§1.9 rule 32). */
static void no_certificate_is_anonymous_and_headers_are_not_trusted(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_FULL));
  const frontproxy_header forged[] = {header_of("X-Remote-User", "mallory"), header_of("X-Remote-Group", "system:masters"),
                                      header_of("Authorization", "Bearer x")};
  for (size_t p = 0; p < 2; p++) {
    frontproxy_decision *d = PATHS[p].run(auth, NULL, 0, forged, 3);
    expect_user(d, FRONTPROXY_OUTCOME_ANONYMOUS, FRONTPROXY_AUTHENTICATOR_KIND_NONE, "system:anonymous", ANON_GROUPS,
                1, PATHS[p].name);
    CHECK(clears(d, "X-Remote-User") && clears(d, "X-Remote-Group") && clears(d, "Authorization") &&
              frontproxy_decision_clear_header_count(d) == 3,
          "%s: forged headers are to be cleared", PATHS[p].name);
    frontproxy_decision_free(d);
    d = PATHS[p].run(auth, NULL, 0, NULL, 0);
    expect_user(d, FRONTPROXY_OUTCOME_ANONYMOUS, FRONTPROXY_AUTHENTICATOR_KIND_NONE, "system:anonymous", ANON_GROUPS,
                1, "no certificate, no headers");
    frontproxy_decision_free(d);
  }
  frontproxy_authenticator_free(auth);
}

/* ---- rejections -------------------------------------------------------------------------- */

/* §1.7 rules 21–22, §3.3, §1.8 rule 28: failing chains are 401 decisions, not result codes;
 * chains out of bounds are rejected without being read. */
static void failing_chains_are_rejected_decisions(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_FULL));
  static frontproxy_bytes many[64];
  for (size_t i = 0; i < 64; i++) many[i] = i == 0 ? der(FP_LEAF) : der(FP_INT);
  static unsigned char garbage[300];
  for (size_t i = 0; i < sizeof garbage; i++) garbage[i] = (unsigned char)(i * 37 + 11);
  static unsigned char huge[64 * 1024 + 1];
  memcpy(huge, FP_LEAF.data, FP_LEAF.len);
  frontproxy_bytes intruder[] = {der(FP_INTRUDER), der(FP_INT)};
  frontproxy_bytes serveronly[] = {der(FP_SERVERONLY), der(FP_INT)};
  frontproxy_bytes other_ca[] = {der(CA2_LEAF)};
  frontproxy_bytes leaf_only[] = {der(FP_LEAF)};
  frontproxy_bytes garbage_der[] = {{garbage, sizeof garbage}};
  frontproxy_bytes empty_der[] = {{NULL, 0}};
  frontproxy_bytes absurd_len[] = {{FP_LEAF.data, SIZE_MAX}};
  frontproxy_bytes too_big[] = {{huge, sizeof huge}};
  const struct {
    const char *name;
    const frontproxy_bytes *certs;
    size_t n;
    uint32_t reason;
  } cases[] = {
      {"§1.7 r21: a chain from another CA", other_ca, 1, FRONTPROXY_REASON_UNKNOWN_AUTHORITY},
      {"§1.7 r20: the leaf without its intermediate", leaf_only, 1, FRONTPROXY_REASON_UNKNOWN_AUTHORITY},
      {"§1.7 r22: a CN not in requestheader-allowed-names", intruder, 2, FRONTPROXY_REASON_COMMON_NAME_NOT_ALLOWED},
      {"§1.7 r20: a leaf without clientAuth", serveronly, 2, FRONTPROXY_REASON_USAGE_NOT_ALLOWED},
      {"garbage DER", garbage_der, 1, FRONTPROXY_REASON_MALFORMED_CERTIFICATE},
      {"an empty certificate", empty_der, 1, FRONTPROXY_REASON_MALFORMED_CERTIFICATE},
      {"9 certificates (bound 8)", many, 9, FRONTPROXY_REASON_CHAIN_TOO_LONG},
      {"64 certificates", many, 64, FRONTPROXY_REASON_CHAIN_TOO_LONG},
      {"SIZE_MAX certificates (never read)", many, SIZE_MAX, FRONTPROXY_REASON_CHAIN_TOO_LONG},
      {"a certificate of SIZE_MAX bytes (never read)", absurd_len, 1, FRONTPROXY_REASON_MALFORMED_CERTIFICATE},
      {"a certificate of 64 KiB + 1 bytes", too_big, 1, FRONTPROXY_REASON_MALFORMED_CERTIFICATE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (size_t p = 0; p < 2; p++) {
      char what[200];
      snprintf(what, sizeof what, "%s (%s)", cases[i].name, PATHS[p].name);
      frontproxy_decision *d = PATHS[p].run(auth, cases[i].certs, cases[i].n, ALICE, NALICE);
      expect_rejected(d, cases[i].reason, what);
      frontproxy_decision_free(d);
    }
  }
  frontproxy_authenticator_free(auth);
}

/* Hostile headers (everything from the network is bounded): invalid HTTP or non-UTF-8
 * identity values are rejected; bounds apply before anything is read. */
static void hostile_headers_are_rejected_decisions(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_PROXY));
  static const uint8_t bad_name[] = {'X', '-', 'R', 'e', 'm', 'o', 't', 'e', '-', 0xff, 'U', 's', 'e', 'r'};
  static const uint8_t bad_utf8[] = {'a', 'l', 0xc3, 0x28, 'i'};
  static const uint8_t nul_name[] = {'X', 0, 'Y'};
  static frontproxy_header big_value[2];
  static unsigned char megabyte[(1 << 20) + 1];
  memset(megabyte, 'a', sizeof megabyte);
  big_value[0] = header_of("X-Remote-User", "alice");
  big_value[1] = (frontproxy_header){(const uint8_t *)"X-Pad", 5, megabyte, sizeof megabyte};
  frontproxy_header absurd_value[] = {header_of("X-Remote-User", "alice"), {(const uint8_t *)"X-Pad", 5, megabyte, SIZE_MAX}};
  static frontproxy_header many[8193];
  many[0] = header_of("X-Remote-User", "alice");
  for (size_t i = 1; i < 8193; i++) many[i] = header_of("X-Pad", "v");
  frontproxy_header name_not_utf8[] = {{bad_name, sizeof bad_name, (const uint8_t *)"alice", 5}};
  frontproxy_header user_not_utf8[] = {{(const uint8_t *)"X-Remote-User", 13, bad_utf8, sizeof bad_utf8}};
  frontproxy_header group_not_utf8[] = {header_of("X-Remote-User", "alice"),
                                        {(const uint8_t *)"X-Remote-Group", 14, bad_utf8, sizeof bad_utf8}};
  frontproxy_header extra_not_utf8[] = {header_of("X-Remote-User", "alice"),
                                        {(const uint8_t *)"X-Remote-Extra-K", 16, bad_utf8, sizeof bad_utf8}};
  frontproxy_header extra_key_not_utf8[] = {header_of("X-Remote-User", "alice"), header_of("X-Remote-Extra-%ff", "v")};
  frontproxy_header empty_name[] = {header_of("X-Remote-User", "alice"), header_of("", "v")};
  frontproxy_header newline[] = {header_of("X-Remote-User", "alice"), header_of("Accept", "a\nb")};
  frontproxy_header nul_in_name[] = {header_of("X-Remote-User", "alice"), {nul_name, sizeof nul_name, (const uint8_t *)"v", 1}};
  frontproxy_header other_not_utf8[] = {header_of("X-Remote-User", "alice"),
                                        {(const uint8_t *)"Accept", 6, bad_utf8, sizeof bad_utf8}};
  frontproxy_header empty_user[] = {header_of("X-Remote-User", "")};
  const struct {
    const char *name;
    const frontproxy_header *h;
    size_t n;
    frontproxy_outcome outcome;
    uint32_t reason;
  } cases[] = {
      {"a header name that is not UTF-8 (not a token)", name_not_utf8, 1, FRONTPROXY_OUTCOME_REJECTED,
       FRONTPROXY_REASON_INVALID_HEADER},
      {"an X-Remote-User value that is not UTF-8", user_not_utf8, 1, FRONTPROXY_OUTCOME_REJECTED,
       FRONTPROXY_REASON_INVALID_HEADER},
      {"an X-Remote-Group value that is not UTF-8", group_not_utf8, 2, FRONTPROXY_OUTCOME_REJECTED,
       FRONTPROXY_REASON_INVALID_HEADER},
      {"an extra value that is not UTF-8", extra_not_utf8, 2, FRONTPROXY_OUTCOME_REJECTED,
       FRONTPROXY_REASON_INVALID_HEADER},
      {"§1.5 r12: an extra key that decodes to invalid UTF-8", extra_key_not_utf8, 2, FRONTPROXY_OUTCOME_REJECTED,
       FRONTPROXY_REASON_INVALID_HEADER},
      {"an empty header name", empty_name, 2, FRONTPROXY_OUTCOME_REJECTED, FRONTPROXY_REASON_INVALID_HEADER},
      {"a newline in a value", newline, 2, FRONTPROXY_OUTCOME_REJECTED, FRONTPROXY_REASON_INVALID_HEADER},
      {"a NUL in a name", nul_in_name, 2, FRONTPROXY_OUTCOME_REJECTED, FRONTPROXY_REASON_INVALID_HEADER},
      {"a value of 1 MiB + 1 bytes", big_value, 2, FRONTPROXY_OUTCOME_REJECTED, FRONTPROXY_REASON_HEADERS_TOO_LARGE},
      {"a value of SIZE_MAX bytes (never read)", absurd_value, 2, FRONTPROXY_OUTCOME_REJECTED,
       FRONTPROXY_REASON_HEADERS_TOO_LARGE},
      {"8193 header lines (bound 8192)", many, 8193, FRONTPROXY_OUTCOME_REJECTED, FRONTPROXY_REASON_HEADERS_TOO_LARGE},
      {"SIZE_MAX header lines (never read)", many, SIZE_MAX, FRONTPROXY_OUTCOME_REJECTED,
       FRONTPROXY_REASON_HEADERS_TOO_LARGE},
      {"8192 header lines (at the bound)", many, 8192, FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_REASON_NONE},
      {"a non-UTF-8 value of a header that is not an identity header", other_not_utf8, 2,
       FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_REASON_NONE},
      {"§1.2 r6 + §1.8 r28: an empty X-Remote-User, no client CA: anonymous", empty_user, 1,
       FRONTPROXY_OUTCOME_ANONYMOUS, FRONTPROXY_REASON_NONE},
      {"§1.2 r6 + §1.8 r28: no headers at all, no client CA: anonymous", NULL, 0, FRONTPROXY_OUTCOME_ANONYMOUS,
       FRONTPROXY_REASON_NONE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (size_t p = 0; p < 2; p++) {
      char what[200];
      snprintf(what, sizeof what, "%s (%s)", cases[i].name, PATHS[p].name);
      frontproxy_decision *d = PATHS[p].run(auth, FP_CHAIN, 2, cases[i].h, cases[i].n);
      if (cases[i].outcome == FRONTPROXY_OUTCOME_REJECTED) {
        expect_rejected(d, cases[i].reason, what);
      } else {
        CHECK(frontproxy_decision_outcome(d) == cases[i].outcome, "%s: outcome %u (reason %s)", what,
              (unsigned)frontproxy_decision_outcome(d),
              frontproxy_reason_code(frontproxy_decision_reason(d)) ? frontproxy_reason_code(frontproxy_decision_reason(d))
                                                                    : "-");
      }
      frontproxy_decision_free(d);
    }
  }
  frontproxy_authenticator_free(auth);
}

/* Headers are checked before the chain's verdict (as the core orders them), also for chains
 * rejected at the boundary. */
static void invalid_headers_outrank_a_failing_chain(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_PROXY));
  static frontproxy_bytes many[64];
  for (size_t i = 0; i < 64; i++) many[i] = der(FP_LEAF);
  frontproxy_bytes other_ca[] = {der(CA2_LEAF)};
  frontproxy_header bad[] = {header_of("X-Remote-User", "alice"), header_of("Bad Name", "v")};
  for (size_t p = 0; p < 2; p++) {
    frontproxy_decision *d = PATHS[p].run(auth, many, 64, bad, 2);
    expect_rejected(d, FRONTPROXY_REASON_INVALID_HEADER, "64 certificates + invalid header");
    frontproxy_decision_free(d);
    d = PATHS[p].run(auth, other_ca, 1, bad, 2);
    expect_rejected(d, FRONTPROXY_REASON_INVALID_HEADER, "another CA + invalid header");
    frontproxy_decision_free(d);
  }
  frontproxy_authenticator_free(auth);
}

/* §1.8 rule 28: a valid proxy certificate without a username header, with a different client
 * CA configured, is 401 (the x509 authenticator's error), not anonymous. */
static void proxy_without_username_and_a_client_ca_is_rejected(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_FULL));
  frontproxy_decision *d = auth_peer(auth, FP_CHAIN, 2, NULL, 0);
  expect_rejected(d, FRONTPROXY_REASON_UNKNOWN_AUTHORITY, "proxy certificate, no X-Remote-User, client CA");
  frontproxy_decision_free(d);
  frontproxy_authenticator_free(auth);
}

/* ---- configuration failures ------------------------------------------------------------- */

static void expect_config_failure(frontproxy_result r, frontproxy_authenticator *auth, frontproxy_error *err,
                                  frontproxy_result want, const char *source, const char *needle, const char *what) {
  CHECK(r == want, "%s: result %u, want %u", what, (unsigned)r, (unsigned)want);
  CHECK(auth == (frontproxy_authenticator *)&harness_passed, "%s: *authenticator_out untouched", what);
  CHECK(err != NULL && frontproxy_error_code(err) == want, "%s: error object with the code", what);
  if (err) {
    char msg[4096];
    size_t len = 0;
    frontproxy_str src = {0};
    CHECK(frontproxy_error_message(err, msg, sizeof msg, &len) == FRONTPROXY_RESULT_OK && len > 0, "%s: message",
          what);
    CHECK(strstr(msg, needle) != NULL, "%s: message \"%s\" mentions \"%s\"", what, msg, needle);
    CHECK(frontproxy_error_source(err, &src) == FRONTPROXY_RESULT_OK && (source == NULL || str_is(src, source)),
          "%s: source is \"%.*s\", want \"%s\"", what, (int)src.len, src.data, source ? source : "(any)");
  }
  frontproxy_error_free(err);
}

/* A failed constructor stores nothing, returns the code and hands back an error object that
 * says which flag, key or file and why. */
static void constructors_report_configuration_errors(void) {
  static const uint8_t not_utf8[] = {'-', '-', 0xff};
  const frontproxy_bytes bad_utf8_args[] = {{not_utf8, sizeof not_utf8}};
  const char *missing[] = {FLAG_MISSING};
  const char *unknown[] = {"--bogus=1"};
  const char *no_value[] = {"--client-ca-file"};
  const char *no_ca[] = {"--requestheader-allowed-names=x"};
  char der_as_ca[4200];
  snprintf(der_as_ca, sizeof der_as_ca, "--requestheader-client-ca-file=%s", fixture_path("fp-leaf.der", 3));
  const char *not_pem[] = {der_as_ca};
  const char *uid_without_standard[] = {FLAG_FP_CA, "--requestheader-uid-headers=X-Custom-Uid"};
  const struct {
    const char *name;
    const char *const *argv; /* or NULL: use `raw` */
    const frontproxy_bytes *raw;
    size_t n;
    const char *source;
    const char *needle;
  } flag_cases[] = {
      {"a CA file that does not exist", missing, NULL, 1, "--requestheader-client-ca-file", "/nonexistent/front-proxy-ca.pem"},
      {"an unknown flag", unknown, NULL, 1, NULL, "unknown flag"},
      {"a flag without its value", no_value, NULL, 1, NULL, "needs a value"},
      {"a CA file that is not PEM", not_pem, NULL, 1, "--requestheader-client-ca-file", "fp-leaf.der"},
      {"§4.1 r3: a UID header list without X-Remote-Uid", uid_without_standard, NULL, 2,
       "--requestheader-uid-headers", "X-Remote-Uid"},
      {"requestheader flags without the CA flag", no_ca, NULL, 1, "--requestheader-allowed-names", "has no effect"},
      {"no flags at all (zero length)", NULL, NULL, 0, NULL, "nothing could ever authenticate"},
      {"a flag argument that is not UTF-8", NULL, bad_utf8_args, 1, "flag argument #1", "UTF-8"},
  };
  for (size_t i = 0; i < sizeof flag_cases / sizeof flag_cases[0]; i++) {
    frontproxy_authenticator *auth = (frontproxy_authenticator *)&harness_passed; /* sentinel */
    frontproxy_error *err = NULL;
    const frontproxy_bytes *args = flag_cases[i].argv ? argv_bytes(flag_cases[i].argv, flag_cases[i].n) : flag_cases[i].raw;
    frontproxy_result r = frontproxy_authenticator_new_from_flags(args, flag_cases[i].n, NULL, &auth, &err);
    expect_config_failure(r, auth, err, FRONTPROXY_RESULT_CONFIG_INVALID, flag_cases[i].source, flag_cases[i].needle,
                          flag_cases[i].name);
  }

  const char *not_configmap = "kind: Secret\ndata: {}\n";
  const char *not_yaml = "{ this is not json";
  const char *no_cas = "{\"kind\":\"ConfigMap\",\"data\":{}}";
  const struct {
    const char *name;
    const uint8_t *doc;
    size_t len;
    const char *needle;
  } doc_cases[] = {
      {"an empty document", NULL, 0, "configmap"},
      {"a document that is not JSON", (const uint8_t *)not_yaml, strlen(not_yaml), "invalid JSON"},
      {"a Secret, not a ConfigMap", (const uint8_t *)not_configmap, strlen(not_configmap), "not ConfigMap"},
      {"§2: a ConfigMap without either CA", (const uint8_t *)no_cas, strlen(no_cas), "neither"},
      {"a document of SIZE_MAX bytes (never read)", (const uint8_t *)no_cas, SIZE_MAX, "at most"},
  };
  for (size_t i = 0; i < sizeof doc_cases / sizeof doc_cases[0]; i++) {
    frontproxy_authenticator *auth = (frontproxy_authenticator *)&harness_passed;
    frontproxy_error *err = NULL;
    frontproxy_result r = frontproxy_authenticator_new_from_configmap(doc_cases[i].doc, doc_cases[i].len, NULL, &auth, &err);
    expect_config_failure(r, auth, err, FRONTPROXY_RESULT_CONFIG_INVALID, NULL, doc_cases[i].needle, doc_cases[i].name);
  }

  const char *nowhere = "/nonexistent/configmap.json";
  frontproxy_authenticator *auth = (frontproxy_authenticator *)&harness_passed;
  frontproxy_error *err = NULL;
  frontproxy_result r =
      frontproxy_authenticator_new_from_configmap_file((const uint8_t *)nowhere, strlen(nowhere), NULL, &auth, &err);
  expect_config_failure(r, auth, err, FRONTPROXY_RESULT_CONFIG_INVALID, "configmap", nowhere, "a missing ConfigMap file");
  err = NULL;
  r = frontproxy_authenticator_new_from_configmap_file(NULL, 0, NULL, &auth, &err);
  expect_config_failure(r, auth, err, FRONTPROXY_RESULT_CONFIG_INVALID, NULL, "cannot read", "an empty path");

  /* No error object asked for: the code alone. */
  r = frontproxy_authenticator_new_from_flags(argv_bytes(missing, 1), 1, NULL, &auth, NULL);
  CHECK(r == FRONTPROXY_RESULT_CONFIG_INVALID && auth == (frontproxy_authenticator *)&harness_passed,
        "error_out may be NULL");
}

/* INVALID_ARGUMENT: inputs no caller should pass (bounds on operator-supplied inputs). */
static void absurd_arguments_are_invalid(void) {
  static frontproxy_bytes args[1025];
  for (size_t i = 0; i < 1025; i++) args[i] = bytes_of("--requestheader-allowed-names=x");
  static unsigned char long_arg[64 * 1024 + 1];
  memset(long_arg, 'a', sizeof long_arg);
  frontproxy_bytes one_long[] = {{long_arg, sizeof long_arg}};
  static uint8_t long_path[4097];
  memset(long_path, 'p', sizeof long_path);
  const struct {
    const char *name;
    int which;
  } cases[] = {{"1025 flag arguments", 0}, {"a flag argument of 64 KiB + 1", 1}, {"a path of 4097 bytes", 2}};
  for (size_t i = 0; i < 3; i++) {
    frontproxy_authenticator *auth = (frontproxy_authenticator *)&harness_passed;
    frontproxy_error *err = NULL;
    frontproxy_result r;
    if (cases[i].which == 0)
      r = frontproxy_authenticator_new_from_flags(args, 1025, NULL, &auth, &err);
    else if (cases[i].which == 1)
      r = frontproxy_authenticator_new_from_flags(one_long, 1, NULL, &auth, &err);
    else
      r = frontproxy_authenticator_new_from_configmap_file(long_path, sizeof long_path, NULL, &auth, &err);
    expect_config_failure(r, auth, err, FRONTPROXY_RESULT_INVALID_ARGUMENT, NULL, "at most", cases[i].name);
  }
}

/* The error object's message renders like every message: too small a buffer gives the length. */
static void error_object_message_rendering(void) {
  const char *missing[] = {FLAG_MISSING};
  frontproxy_authenticator *auth = NULL;
  frontproxy_error *err = NULL;
  CHECK(frontproxy_authenticator_new_from_flags(argv_bytes(missing, 1), 1, NULL, &auth, &err) ==
            FRONTPROXY_RESULT_CONFIG_INVALID,
        "missing CA file");
  size_t needed = 0;
  CHECK(frontproxy_error_message(err, NULL, 0, &needed) == FRONTPROXY_RESULT_BUFFER_TOO_SMALL && needed > 0,
        "length query");
  char *buf = malloc(needed + 1);
  memset(buf, 'x', needed + 1);
  size_t len = 0;
  CHECK(frontproxy_error_message(err, buf, needed, &len) == FRONTPROXY_RESULT_BUFFER_TOO_SMALL && len == needed &&
            buf[0] == 'x',
        "needed bytes are one too few, nothing written");
  CHECK(frontproxy_error_message(err, buf, needed + 1, &len) == FRONTPROXY_RESULT_OK && len == needed &&
            strlen(buf) == needed,
        "needed + 1 fits");
  /* The error names the flag at fault, then the file it could not read. */
  CHECK(strncmp(buf, "--requestheader-client-ca-file: cannot read \"/nonexistent/front-proxy-ca.pem\"", 77) == 0,
        "message names the flag and the file: %s", buf);
  free(buf);
  frontproxy_error_free(err);
}

/* ---- PEM chains (frontproxy_chain) -------------------------------------------------------- */

/* Two blobs, concatenated (a malloc'd blob). */
static blob concat(blob a, blob b) {
  blob c = {malloc(a.len + b.len), a.len + b.len};
  memcpy(c.data, a.data, a.len);
  memcpy(c.data + a.len, b.data, b.len);
  return c;
}

/* frontproxy_chain_from_pem on the whole blob: a failure with `want`, no chain written, and an
 * error object with source "pem" whose message contains `needle`. */
static void expect_pem_refused(const uint8_t *pem, size_t len, frontproxy_result want, const char *needle,
                               const char *what) {
  frontproxy_chain *chain = (frontproxy_chain *)&harness_failed; /* a sentinel */
  frontproxy_error *err = NULL;
  frontproxy_result r = frontproxy_chain_from_pem(pem, len, &chain, &err);
  CHECK(r == want, "%s: result %u, want %u", what, (unsigned)r, (unsigned)want);
  CHECK(chain == (frontproxy_chain *)&harness_failed, "%s: *chain_out untouched on failure", what);
  CHECK(err != NULL && frontproxy_error_code(err) == want, "%s: an error object with the code", what);
  char msg[1024] = "";
  size_t mlen = 0;
  frontproxy_str source = {0};
  frontproxy_error_message(err, msg, sizeof msg, &mlen);
  CHECK(strstr(msg, needle) != NULL, "%s: message \"%s\" lacks \"%s\"", what, msg, needle);
  if (want == FRONTPROXY_RESULT_INVALID_ARGUMENT) {
    CHECK(frontproxy_error_source(err, &source) == FRONTPROXY_RESULT_OK && str_is(source, "pem"),
          "%s: the error's source is \"pem\" (%.*s)", what, (int)source.len, source.data);
  }
  frontproxy_error_free(err);
}

/* A PEM chain file (leaf first) or the leaf and intermediate files concatenated decode to the
 * DER list the TLS layer would hand over, and authenticate on both paths. The chain's array is
 * passed as it is; a peer keeps its own copy, so the chain may be freed first. */
static void pem_chains_decode_and_authenticate(void) {
  blob text = concat(FP_LEAF_PEM, FP_INT_PEM);
  frontproxy_chain *chain = NULL;
  frontproxy_error *err = NULL;
  CHECK(frontproxy_chain_from_pem(text.data, text.len, &chain, &err) == FRONTPROXY_RESULT_OK && chain && !err,
        "leaf.pem + intermediate.pem decode");
  const frontproxy_bytes *certs = frontproxy_chain_certs(chain);
  size_t n = frontproxy_chain_certs_len(chain);
  CHECK(certs != NULL && n == 2, "two certificates (%zu)", n);
  if (n == 2) {
    CHECK(certs[0].len == FP_LEAF.len && memcmp(certs[0].data, FP_LEAF.data, FP_LEAF.len) == 0, "leaf first, as DER");
    CHECK(certs[1].len == FP_INT.len && memcmp(certs[1].data, FP_INT.data, FP_INT.len) == 0, "then the intermediate");
  }
  free(text.data); /* the chain owns its DER */

  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_PROXY));
  for (size_t p = 0; p < sizeof PATHS / sizeof PATHS[0]; p++) {
    frontproxy_decision *d = PATHS[p].run(auth, certs, n, ALICE, NALICE);
    expect_user(d, FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER, "alice",
                ALICE_GROUPS, 2, PATHS[p].name);
    frontproxy_decision_free(d);
  }
  frontproxy_peer *peer = NULL;
  CHECK(frontproxy_authenticator_verify_peer(auth, frontproxy_chain_certs(chain), frontproxy_chain_certs_len(chain),
                                             false, &peer) == FRONTPROXY_RESULT_OK,
        "verify_peer takes the chain's array as it is");
  frontproxy_chain_free(chain);
  frontproxy_decision *d = NULL;
  CHECK(frontproxy_authenticator_authenticate(auth, peer, ALICE, NALICE, &d) == FRONTPROXY_RESULT_OK, "after free");
  expect_user(d, FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER, "alice", ALICE_GROUPS,
              2, "the peer outlives the chain it was verified from");
  frontproxy_decision_free(d);
  frontproxy_peer_free(peer);

  /* The leaf alone (kubeadm's front-proxy-client.crt is one certificate) decodes to one. */
  CHECK(frontproxy_chain_from_pem(FP_LEAF_PEM.data, FP_LEAF_PEM.len, &chain, NULL) == FRONTPROXY_RESULT_OK &&
            frontproxy_chain_certs_len(chain) == 1,
        "one PEM certificate, one element");
  frontproxy_chain_free(chain);
  frontproxy_authenticator_free(auth);
}

/* Convention: every pointer is checked, lengths before data; what is not a chain of PEM
 * certificates is INVALID_ARGUMENT with an error object naming the block. */
static void pem_chain_refusals(void) {
  const frontproxy_result NP = FRONTPROXY_RESULT_NULL_POINTER, INVAL = FRONTPROXY_RESULT_INVALID_ARGUMENT;
  frontproxy_chain *chain = NULL;
  frontproxy_error *err = NULL;
  CHECK(frontproxy_chain_from_pem(FP_LEAF_PEM.data, FP_LEAF_PEM.len, NULL, &err) == NP && err &&
            frontproxy_error_code(err) == NP,
        "chain_out NULL (with an error object)");
  frontproxy_error_free(err);
  expect_pem_refused(NULL, 10, NP, "NULL", "pem NULL with a length");
  CHECK(frontproxy_chain_from_pem(NULL, 10, &chain, NULL) == NP && chain == NULL, "NULL error_out: the code alone");
  expect_pem_refused(NULL, 0, INVAL, "no CERTIFICATE block", "empty input (NULL, 0)");
  expect_pem_refused((const uint8_t *)"", 0, INVAL, "no CERTIFICATE block", "empty input");
  expect_pem_refused((const uint8_t *)"hello, world\n", 13, INVAL, "no CERTIFICATE block", "not PEM");
  expect_pem_refused(FP_LEAF.data, FP_LEAF.len, INVAL, "DER is not PEM", "DER given as PEM");
  /* Never read: refused by its length alone (ASan/valgrind would see a read). */
  expect_pem_refused((const uint8_t *)"x", SIZE_MAX, INVAL, "at most 4194304", "SIZE_MAX length");

  blob with_key = concat(FP_LEAF_PEM, FP_LEAF_KEY);
  expect_pem_refused(with_key.data, with_key.len, INVAL, "PEM block #2 is \"PRIVATE KEY\"",
                     "a certificate and its key");
  free(with_key.data);
  expect_pem_refused(FP_LEAF_PEM.data, FP_LEAF_PEM.len / 2, INVAL, "not terminated", "a truncated file");

  /* NULL chains: the accessors fail closed (an empty chain: no certificate, no trust). */
  CHECK(frontproxy_chain_certs(NULL) == NULL && frontproxy_chain_certs_len(NULL) == 0, "accessors of NULL");
  frontproxy_chain_free(NULL);
}

/* ---- reloads ----------------------------------------------------------------------------- */

static void last_error_is(const frontproxy_authenticator *auth, const char *needle, const char *what) {
  char buf[4096];
  size_t len = 99;
  CHECK(frontproxy_authenticator_last_error(auth, buf, sizeof buf, &len) == FRONTPROXY_RESULT_OK, "%s: last_error",
        what);
  if (needle == NULL)
    CHECK(len == 0 && buf[0] == 0, "%s: no last error, got \"%s\"", what, buf);
  else
    CHECK(len > 0 && strstr(buf, needle) != NULL, "%s: last error \"%s\" mentions \"%s\"", what, buf, needle);
}

/* A failed reload keeps the old configuration and is reported by last_error (and the error
 * object); a good reload clears it. */
static void failed_reloads_keep_the_old_configuration(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_PROXY));
  last_error_is(auth, NULL, "fresh");
  char one[1];
  size_t len = 99;
  CHECK(frontproxy_authenticator_last_error(auth, one, 1, &len) == FRONTPROXY_RESULT_OK && len == 0 && one[0] == 0,
        "an empty message fits in one byte");
  CHECK(frontproxy_authenticator_last_error(auth, NULL, 0, &len) == FRONTPROXY_RESULT_BUFFER_TOO_SMALL && len == 0,
        "zero-length buffer: BUFFER_TOO_SMALL (no room for the NUL)");

  const char *missing[] = {FLAG_MISSING};
  frontproxy_error *err = NULL;
  CHECK(frontproxy_authenticator_reload_flags(auth, argv_bytes(missing, 1), 1, &err) ==
            FRONTPROXY_RESULT_CONFIG_INVALID,
        "reload with a missing CA file");
  CHECK(err && frontproxy_error_code(err) == FRONTPROXY_RESULT_CONFIG_INVALID, "reload error object");
  frontproxy_error_free(err);
  last_error_is(auth, "/nonexistent/front-proxy-ca.pem", "after a failed flags reload");
  frontproxy_decision *d = auth_chain(auth, FP_CHAIN, 2, ALICE, NALICE);
  expect_user(d, FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER, "alice",
              ALICE_GROUPS, 2, "the old configuration stays");
  frontproxy_decision_free(d);

  const char *garbage = "{ not json";
  CHECK(frontproxy_authenticator_reload_configmap(auth, (const uint8_t *)garbage, strlen(garbage), NULL) ==
            FRONTPROXY_RESULT_CONFIG_INVALID,
        "reload with a broken ConfigMap");
  last_error_is(auth, "invalid JSON", "after a failed ConfigMap reload");

  CHECK(frontproxy_authenticator_reload_configmap(auth, CM_CA2_JSON.data, CM_CA2_JSON.len, NULL) ==
            FRONTPROXY_RESULT_OK,
        "reload with CA #2");
  last_error_is(auth, NULL, "after a good reload");
  frontproxy_bytes other = der(CA2_LEAF);
  d = auth_chain(auth, &other, 1, ALICE, NALICE);
  expect_user(d, FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER, "alice",
              ALICE_GROUPS, 2, "CA #2 in force");
  frontproxy_decision_free(d);
  d = auth_chain(auth, FP_CHAIN, 2, ALICE, NALICE);
  expect_rejected(d, FRONTPROXY_REASON_UNKNOWN_AUTHORITY, "CA #1 no longer trusted");
  frontproxy_decision_free(d);

  bool reloaded = true;
  CHECK(frontproxy_authenticator_check_source(auth, &reloaded, NULL) == FRONTPROXY_RESULT_OK && !reloaded,
        "check_source of a flags authenticator whose files did not change");
  frontproxy_authenticator_free(auth);
}

static void write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
    fprintf(stderr, "cannot write %s\n", path);
    exit(2);
  }
}

/* §7: a file-backed ConfigMap is reloaded when its content changes; a broken file keeps the
 * last good configuration and is reported. */
static void configmap_file_reloads_on_change(void) {
  const char *path = fixture_path("live-configmap.json", 4);
  write_file(path, CM_CA1_JSON.data, CM_CA1_JSON.len);
  frontproxy_options *opts = NULL;
  frontproxy_options_new(&opts);
  frontproxy_options_set_reload_interval(opts, 0); /* only on demand */
  frontproxy_authenticator *auth = NULL;
  CHECK(frontproxy_authenticator_new_from_configmap_file((const uint8_t *)path, strlen(path), opts, &auth, NULL) ==
            FRONTPROXY_RESULT_OK,
        "new_from_configmap_file");
  frontproxy_options_free(opts);
  frontproxy_bytes other = der(CA2_LEAF);
  bool reloaded = true;
  CHECK(frontproxy_authenticator_check_source(auth, &reloaded, NULL) == FRONTPROXY_RESULT_OK && !reloaded,
        "unchanged file: no reload");

  write_file(path, CM_CA2_JSON.data, CM_CA2_JSON.len);
  frontproxy_decision *d = auth_chain(auth, &other, 1, ALICE, NALICE);
  expect_rejected(d, FRONTPROXY_REASON_UNKNOWN_AUTHORITY, "interval 0: not re-read on the request path");
  frontproxy_decision_free(d);
  CHECK(frontproxy_authenticator_check_source(auth, &reloaded, NULL) == FRONTPROXY_RESULT_OK && reloaded,
        "changed file: reloaded");
  d = auth_chain(auth, &other, 1, ALICE, NALICE);
  CHECK(frontproxy_decision_outcome(d) == FRONTPROXY_OUTCOME_AUTHENTICATED, "CA #2 now trusted");
  frontproxy_decision_free(d);

  write_file(path, "{ broken", 8);
  frontproxy_error *err = NULL;
  reloaded = true;
  CHECK(frontproxy_authenticator_check_source(auth, &reloaded, &err) == FRONTPROXY_RESULT_CONFIG_INVALID,
        "broken file: CONFIG_INVALID");
  CHECK(reloaded == true, "*reloaded_out is not written on failure");
  CHECK(err && frontproxy_error_code(err) == FRONTPROXY_RESULT_CONFIG_INVALID, "error object");
  frontproxy_error_free(err);
  last_error_is(auth, "invalid JSON", "broken file");
  d = auth_chain(auth, &other, 1, ALICE, NALICE);
  CHECK(frontproxy_decision_outcome(d) == FRONTPROXY_OUTCOME_AUTHENTICATED, "the last good configuration stays");
  frontproxy_decision_free(d);

  write_file(path, CM_CA1_JSON.data, CM_CA1_JSON.len);
  CHECK(frontproxy_authenticator_check_source(auth, &reloaded, NULL) == FRONTPROXY_RESULT_OK && reloaded,
        "fixed file: reloaded");
  last_error_is(auth, NULL, "fixed file");
  frontproxy_authenticator_free(auth);
  remove(path);
}

/* A peer verified before a reload keeps working: it is verified again under the new
 * configuration (never trusted past what made it true). Decisions outlive everything. */
static void handles_keep_working_after_reload(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_PROXY));
  frontproxy_peer *peer = NULL;
  frontproxy_authenticator_verify_peer(auth, FP_CHAIN, 2, false, &peer);
  frontproxy_decision *before = NULL;
  frontproxy_authenticator_authenticate(auth, peer, ALICE, NALICE, &before);
  expect_user(before, FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER, "alice",
              ALICE_GROUPS, 2, "before the reload");

  const char *other_names[] = {FLAG_FP_CA, "--requestheader-allowed-names=someone-else"};
  CHECK(frontproxy_authenticator_reload_flags(auth, argv_bytes(other_names, 2), 2, NULL) == FRONTPROXY_RESULT_OK,
        "reload: same CA, other allowed names");
  frontproxy_decision *d = NULL;
  CHECK(frontproxy_authenticator_authenticate(auth, peer, ALICE, NALICE, &d) == FRONTPROXY_RESULT_OK, "old peer");
  expect_rejected(d, FRONTPROXY_REASON_COMMON_NAME_NOT_ALLOWED, "the old peer is re-checked against the new names");
  frontproxy_decision_free(d);

  CHECK(frontproxy_authenticator_reload_configmap(auth, CM_CA1_JSON.data, CM_CA1_JSON.len, NULL) ==
            FRONTPROXY_RESULT_OK,
        "reload: CA #1 from the ConfigMap");
  CHECK(frontproxy_authenticator_authenticate(auth, peer, ALICE, NALICE, &d) == FRONTPROXY_RESULT_OK, "old peer");
  expect_user(d, FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER, "alice",
              ALICE_GROUPS, 2, "the old peer works again");
  frontproxy_decision_free(d);

  CHECK(frontproxy_authenticator_reload_configmap(auth, CM_CA2_JSON.data, CM_CA2_JSON.len, NULL) ==
            FRONTPROXY_RESULT_OK,
        "reload: CA #2");
  CHECK(frontproxy_authenticator_authenticate(auth, peer, ALICE, NALICE, &d) == FRONTPROXY_RESULT_OK, "old peer");
  expect_rejected(d, FRONTPROXY_REASON_UNKNOWN_AUTHORITY, "the old peer under CA #2");
  frontproxy_decision_free(d);

  /* A peer used with another authenticator is verified under that one's configuration. */
  frontproxy_authenticator *ca1 = new_from_configmap(CM_CA1_JSON, NULL);
  CHECK(frontproxy_authenticator_authenticate(ca1, peer, ALICE, NALICE, &d) == FRONTPROXY_RESULT_OK, "other auth");
  CHECK(frontproxy_decision_outcome(d) == FRONTPROXY_OUTCOME_AUTHENTICATED, "the peer under another authenticator");
  frontproxy_decision_free(d);
  frontproxy_authenticator_free(ca1);

  frontproxy_authenticator_free(auth);
  /* The decision made before the reloads outlives the authenticator. */
  expect_user(before, FRONTPROXY_OUTCOME_AUTHENTICATED, FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER, "alice",
              ALICE_GROUPS, 2, "after the authenticator is freed");
  frontproxy_decision_free(before);
  frontproxy_peer_free(peer);
}

/* ---- pointers, lengths and lifetimes ----------------------------------------------------- */

/* Convention: every pointer is checked; outputs are written only on success. */
static void null_for_every_pointer_argument(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_PROXY));
  frontproxy_peer *peer = NULL;
  frontproxy_authenticator_verify_peer(auth, FP_CHAIN, 2, false, &peer);
  frontproxy_decision *dec = auth_chain(auth, FP_CHAIN, 2, ALICE, NALICE);
  const char *missing[] = {FLAG_MISSING};
  frontproxy_error *err = NULL;
  frontproxy_authenticator *none = NULL;
  frontproxy_authenticator_new_from_flags(argv_bytes(missing, 1), 1, NULL, &none, &err);
  frontproxy_options *opts = NULL;
  frontproxy_options_new(&opts);

  const frontproxy_result NP = FRONTPROXY_RESULT_NULL_POINTER;
  void *const SENTINEL = (void *)&harness_failed;
  char buf[256];
  size_t len = 0;
  frontproxy_str s = {0};
  frontproxy_bytes b = {0};
  bool flag = false;
  frontproxy_cache_stats stats;
  const frontproxy_bytes proxy_args[] = {bytes_of(FLAGS_PROXY[0])};
  const frontproxy_bytes null_arg[] = {{NULL, 3}};
  const frontproxy_bytes null_cert[] = {der(FP_LEAF), {NULL, 10}};
  const frontproxy_header null_name[] = {{NULL, 3, (const uint8_t *)"v", 1}};
  const frontproxy_header null_value[] = {{(const uint8_t *)"X-A", 3, NULL, 1}};

  /* result, error */
  CHECK(frontproxy_result_message(0, buf, sizeof buf, NULL) == NP, "result_message out_len");
  CHECK(frontproxy_result_message(0, NULL, sizeof buf, &len) == NP, "result_message buf");
  CHECK(frontproxy_error_code(NULL) == NP, "error_code(NULL)");
  CHECK(frontproxy_error_message(NULL, buf, sizeof buf, &len) == NP, "error_message error");
  CHECK(frontproxy_error_message(err, buf, sizeof buf, NULL) == NP, "error_message out_len");
  CHECK(frontproxy_error_message(err, NULL, 5, &len) == NP, "error_message buf");
  CHECK(frontproxy_error_source(NULL, &s) == NP && frontproxy_error_source(err, NULL) == NP, "error_source");

  /* options */
  CHECK(frontproxy_options_new(NULL) == NP, "options_new");
  CHECK(frontproxy_options_set_cache(NULL, 1, 1) == NP, "options_set_cache");
  CHECK(frontproxy_options_set_cache_ttl(NULL, 1, 1) == NP, "options_set_cache_ttl");
  CHECK(frontproxy_options_set_reload_interval(NULL, 1) == NP, "options_set_reload_interval");

  /* constructors: the out-pointer, the arrays, an element's pointer */
  frontproxy_authenticator *out = (frontproxy_authenticator *)SENTINEL;
  frontproxy_error *e = NULL;
  CHECK(frontproxy_authenticator_new_from_flags(proxy_args, 1, NULL, NULL, &e) == NP && e &&
            frontproxy_error_code(e) == NP,
        "new_from_flags authenticator_out (with an error object)");
  frontproxy_error_free(e);
  CHECK(frontproxy_authenticator_new_from_flags(NULL, 1, opts, &out, NULL) == NP, "new_from_flags args");
  CHECK(frontproxy_authenticator_new_from_flags(null_arg, 1, opts, &out, NULL) == NP, "new_from_flags args[0].data");
  CHECK(frontproxy_authenticator_new_from_configmap(NULL, 10, opts, &out, NULL) == NP, "new_from_configmap doc");
  CHECK(frontproxy_authenticator_new_from_configmap(CM_CA1_JSON.data, CM_CA1_JSON.len, opts, NULL, NULL) == NP,
        "new_from_configmap authenticator_out");
  CHECK(frontproxy_authenticator_new_from_configmap_file(NULL, 10, opts, &out, NULL) == NP,
        "new_from_configmap_file path");
  CHECK(frontproxy_authenticator_new_from_configmap_file((const uint8_t *)"x", 1, opts, NULL, NULL) == NP,
        "new_from_configmap_file authenticator_out");
  CHECK(out == (frontproxy_authenticator *)SENTINEL, "no constructor wrote *authenticator_out");
  /* NULL options are the defaults, NULL error_out means "no details": both succeed. */
  CHECK(frontproxy_authenticator_new_from_flags(proxy_args, 1, NULL, &out, NULL) == FRONTPROXY_RESULT_OK, "defaults");
  frontproxy_authenticator_free(out);

  /* reloads */
  CHECK(frontproxy_authenticator_reload_flags(NULL, proxy_args, 1, NULL) == NP, "reload_flags authenticator");
  CHECK(frontproxy_authenticator_reload_flags(auth, NULL, 1, NULL) == NP, "reload_flags args");
  CHECK(frontproxy_authenticator_reload_configmap(NULL, CM_CA1_JSON.data, CM_CA1_JSON.len, NULL) == NP,
        "reload_configmap authenticator");
  CHECK(frontproxy_authenticator_reload_configmap(auth, NULL, 5, NULL) == NP, "reload_configmap doc");
  CHECK(frontproxy_authenticator_check_source(NULL, &flag, NULL) == NP, "check_source authenticator");
  CHECK(frontproxy_authenticator_check_source(auth, NULL, NULL) == NP, "check_source reloaded_out");
  CHECK(frontproxy_authenticator_last_error(NULL, buf, sizeof buf, &len) == NP, "last_error authenticator");
  CHECK(frontproxy_authenticator_last_error(auth, NULL, 5, &len) == NP, "last_error buf");
  CHECK(frontproxy_authenticator_last_error(auth, buf, sizeof buf, NULL) == NP, "last_error out_len");
  CHECK(frontproxy_authenticator_cache_stats(NULL, &stats) == NP, "cache_stats authenticator");
  CHECK(frontproxy_authenticator_cache_stats(auth, NULL) == NP, "cache_stats stats_out");

  /* verify_peer / authenticate / authenticate_chain */
  frontproxy_peer *p = (frontproxy_peer *)SENTINEL;
  CHECK(frontproxy_authenticator_verify_peer(NULL, FP_CHAIN, 2, false, &p) == NP, "verify_peer authenticator");
  CHECK(frontproxy_authenticator_verify_peer(auth, NULL, 2, false, &p) == NP, "verify_peer certs");
  CHECK(frontproxy_authenticator_verify_peer(auth, null_cert, 2, false, &p) == NP, "verify_peer certs[1].data");
  CHECK(frontproxy_authenticator_verify_peer(auth, FP_CHAIN, 2, false, NULL) == NP, "verify_peer peer_out");
  CHECK(p == (frontproxy_peer *)SENTINEL, "verify_peer wrote nothing on failure");
  frontproxy_decision *d = (frontproxy_decision *)SENTINEL;
  CHECK(frontproxy_authenticator_authenticate(NULL, peer, ALICE, NALICE, &d) == NP, "authenticate authenticator");
  CHECK(frontproxy_authenticator_authenticate(auth, NULL, ALICE, NALICE, &d) == NP, "authenticate peer");
  CHECK(frontproxy_authenticator_authenticate(auth, peer, NULL, 2, &d) == NP, "authenticate headers");
  CHECK(frontproxy_authenticator_authenticate(auth, peer, null_name, 1, &d) == NP, "authenticate headers[0].name");
  CHECK(frontproxy_authenticator_authenticate(auth, peer, null_value, 1, &d) == NP, "authenticate headers[0].value");
  CHECK(frontproxy_authenticator_authenticate(auth, peer, ALICE, NALICE, NULL) == NP, "authenticate decision_out");
  CHECK(frontproxy_authenticator_authenticate_chain(NULL, FP_CHAIN, 2, false, ALICE, NALICE, &d) == NP, "chain auth");
  CHECK(frontproxy_authenticator_authenticate_chain(auth, NULL, 2, false, ALICE, NALICE, &d) == NP, "chain certs");
  CHECK(frontproxy_authenticator_authenticate_chain(auth, null_cert, 2, false, ALICE, NALICE, &d) == NP, "chain certs[1]");
  CHECK(frontproxy_authenticator_authenticate_chain(auth, FP_CHAIN, 2, false, NULL, 2, &d) == NP, "chain headers");
  CHECK(frontproxy_authenticator_authenticate_chain(auth, FP_CHAIN, 2, false, null_name, 1, &d) == NP, "chain headers[0]");
  CHECK(frontproxy_authenticator_authenticate_chain(auth, FP_CHAIN, 2, false, ALICE, NALICE, NULL) == NP, "chain out");
  CHECK(d == (frontproxy_decision *)SENTINEL, "no authenticate call wrote *decision_out on failure");

  /* decision accessors: NULL decision, NULL outputs */
  CHECK(frontproxy_decision_outcome(NULL) == FRONTPROXY_OUTCOME_REJECTED, "outcome(NULL) fails closed");
  CHECK(frontproxy_decision_reason(NULL) == FRONTPROXY_REASON_INTERNAL_ERROR, "reason(NULL)");
  CHECK(frontproxy_decision_authenticator(NULL) == FRONTPROXY_AUTHENTICATOR_KIND_NONE, "authenticator(NULL)");
  CHECK(!frontproxy_decision_from_cache(NULL), "from_cache(NULL)");
  CHECK(frontproxy_decision_message(NULL, &s) == NP && frontproxy_decision_message(dec, NULL) == NP, "message");
  CHECK(frontproxy_decision_user_name(NULL, &s) == NP && frontproxy_decision_user_name(dec, NULL) == NP, "user_name");
  CHECK(frontproxy_decision_user_uid(NULL, &s) == NP && frontproxy_decision_user_uid(dec, NULL) == NP, "user_uid");
  CHECK(frontproxy_decision_group_count(NULL) == 0, "group_count(NULL)");
  CHECK(frontproxy_decision_group(NULL, 0, &s) == NP && frontproxy_decision_group(dec, 0, NULL) == NP, "group");
  CHECK(frontproxy_decision_extra_count(NULL) == 0, "extra_count(NULL)");
  CHECK(frontproxy_decision_extra_key(NULL, 0, &s) == NP && frontproxy_decision_extra_key(dec, 0, NULL) == NP,
        "extra_key");
  CHECK(frontproxy_decision_extra_value_count(NULL, 0) == 0, "extra_value_count(NULL)");
  CHECK(frontproxy_decision_extra_value(NULL, 0, 0, &s) == NP && frontproxy_decision_extra_value(dec, 0, 0, NULL) == NP,
        "extra_value");
  CHECK(frontproxy_decision_clear_header_count(NULL) == 0, "clear_header_count(NULL)");
  CHECK(frontproxy_decision_clear_header(NULL, 0, &b) == NP && frontproxy_decision_clear_header(dec, 0, NULL) == NP,
        "clear_header");

  /* free accepts NULL */
  frontproxy_authenticator_free(NULL);
  frontproxy_peer_free(NULL);
  frontproxy_decision_free(NULL);
  frontproxy_error_free(NULL);
  frontproxy_options_free(NULL);
  frontproxy_chain_free(NULL);
  CHECK(1, "every free accepts NULL");

  frontproxy_options_free(opts);
  frontproxy_error_free(err);
  frontproxy_decision_free(dec);
  frontproxy_peer_free(peer);
  frontproxy_authenticator_free(auth);
}

/* Zero lengths: an empty chain or header list is valid input (no certificate: anonymous);
 * NULL is accepted with length 0. */
static void zero_lengths_are_valid_input(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_PROXY));
  frontproxy_peer *peer = NULL;
  CHECK(frontproxy_authenticator_verify_peer(auth, NULL, 0, false, &peer) == FRONTPROXY_RESULT_OK && peer,
        "verify_peer of no certificate");
  frontproxy_decision *d = NULL;
  CHECK(frontproxy_authenticator_authenticate(auth, peer, NULL, 0, &d) == FRONTPROXY_RESULT_OK, "no headers");
  expect_user(d, FRONTPROXY_OUTCOME_ANONYMOUS, FRONTPROXY_AUTHENTICATOR_KIND_NONE, "system:anonymous", ANON_GROUPS, 1,
              "no certificate, no headers");
  frontproxy_str s = {(const char *)1, 99};
  CHECK(frontproxy_decision_user_uid(d, &s) == FRONTPROXY_RESULT_OK && s.len == 0, "empty uid has length 0");
  frontproxy_decision_free(d);
  frontproxy_peer_free(peer);
  /* Zero-length pointers may be anything: they are never read. */
  const frontproxy_header zero_value[] = {{(const uint8_t *)"X-Remote-User", 13, NULL, 0},
                                          {(const uint8_t *)"Accept", 6, (const uint8_t *)"ignored", 0}};
  d = auth_chain(auth, FP_CHAIN, 2, zero_value, 2);
  expect_user(d, FRONTPROXY_OUTCOME_ANONYMOUS, FRONTPROXY_AUTHENTICATOR_KIND_NONE, "system:anonymous", ANON_GROUPS, 1,
              "§1.2 r6: an empty username is no opinion");
  frontproxy_decision_free(d);
  const frontproxy_header zero_name[] = {{NULL, 0, (const uint8_t *)"v", 1}};
  d = auth_chain(auth, FP_CHAIN, 2, zero_name, 1);
  expect_rejected(d, FRONTPROXY_REASON_INVALID_HEADER, "a zero-length header name");
  frontproxy_decision_free(d);
  frontproxy_authenticator_free(auth);
}

/* Convention: handles are independent; freeing them in any order is safe, and a decision
 * stays readable until it is freed itself. */
static void freeing_in_every_order(void) {
  static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (int o = 0; o < 6; o++) {
    frontproxy_options *opts = NULL;
    frontproxy_options_new(&opts);
    frontproxy_authenticator *auth = NULL;
    frontproxy_authenticator_new_from_configmap(CM_CA1_JSON.data, CM_CA1_JSON.len, opts, &auth, NULL);
    if (o % 2) frontproxy_options_free(opts);
    frontproxy_peer *peer = NULL;
    frontproxy_authenticator_verify_peer(auth, FP_CHAIN, 2, false, &peer);
    frontproxy_decision *d = NULL;
    frontproxy_authenticator_authenticate(auth, peer, ALICE, NALICE, &d);
    frontproxy_error *err = NULL;
    frontproxy_authenticator_reload_configmap(auth, (const uint8_t *)"x", 1, &err);
    for (int i = 0; i < 3; i++) {
      switch (orders[o][i]) {
        case 0: frontproxy_authenticator_free(auth); auth = NULL; break;
        case 1: frontproxy_peer_free(peer); peer = NULL; break;
        case 2:
          CHECK(frontproxy_decision_outcome(d) == FRONTPROXY_OUTCOME_AUTHENTICATED, "order %d: decision readable", o);
          frontproxy_str s = {0};
          CHECK(frontproxy_decision_user_name(d, &s) == FRONTPROXY_RESULT_OK && str_is(s, "alice"),
                "order %d: user readable", o);
          frontproxy_decision_free(d);
          d = NULL;
          break;
      }
      if (peer && !auth) {
        /* The peer outlives its authenticator and works with another one. */
        frontproxy_authenticator *other = new_from_configmap(CM_CA1_JSON, NULL);
        frontproxy_decision *d2 = NULL;
        CHECK(frontproxy_authenticator_authenticate(other, peer, ALICE, NALICE, &d2) == FRONTPROXY_RESULT_OK &&
                  frontproxy_decision_outcome(d2) == FRONTPROXY_OUTCOME_AUTHENTICATED,
              "order %d: the peer after its authenticator", o);
        frontproxy_decision_free(d2);
        frontproxy_authenticator_free(other);
      }
    }
    CHECK(err && frontproxy_error_code(err) == FRONTPROXY_RESULT_CONFIG_INVALID, "order %d: error outlives all", o);
    frontproxy_error_free(err);
    if (o % 2 == 0) frontproxy_options_free(opts);
  }
}


/* Kubernetes takes intermediates only from the presented chain: a full handshake presenting the
 * leaf alone is rejected whatever was seen before; only a host that says the session was
 * resumed (nginx: SSL_session_reused) reuses the verdict reached with the intermediate. */
static void a_lone_leaf_reuses_a_verdict_only_on_a_resumed_session(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_PROXY));
  frontproxy_bytes leaf_only[1] = {der(FP_LEAF)};
  frontproxy_decision *d = auth_chain(auth, FP_CHAIN, 2, ALICE, NALICE);
  CHECK(frontproxy_decision_outcome(d) == FRONTPROXY_OUTCOME_AUTHENTICATED, "full chain authenticates");
  frontproxy_decision_free(d);
  for (int resumed = 0; resumed <= 1; resumed++) {
    d = NULL;
    CHECK(frontproxy_authenticator_authenticate_chain(auth, leaf_only, 1, resumed, ALICE, NALICE, &d) ==
              FRONTPROXY_RESULT_OK,
          "authenticate_chain leaf only");
    const frontproxy_decision_view *v = frontproxy_decision_get_view(d);
    if (resumed) {
      CHECK(v->outcome == FRONTPROXY_OUTCOME_AUTHENTICATED && v->from_cache, "resumed: the cached verdict");
    } else {
      CHECK(v->outcome == FRONTPROXY_OUTCOME_REJECTED && v->reason == FRONTPROXY_REASON_UNKNOWN_AUTHORITY,
            "full handshake, leaf only: rejected (reason %u)", (unsigned)v->reason);
    }
    frontproxy_decision_free(d);
    frontproxy_peer *peer = NULL;
    CHECK(frontproxy_authenticator_verify_peer(auth, leaf_only, 1, resumed, &peer) == FRONTPROXY_RESULT_OK, "peer");
    d = NULL;
    CHECK(frontproxy_authenticator_authenticate(auth, peer, ALICE, NALICE, &d) == FRONTPROXY_RESULT_OK, "auth");
    CHECK(frontproxy_decision_outcome(d) ==
              (resumed ? FRONTPROXY_OUTCOME_AUTHENTICATED : FRONTPROXY_OUTCOME_REJECTED),
          "peer path, resumed=%d", resumed);
    frontproxy_decision_free(d);
    frontproxy_peer_free(peer);
  }
  frontproxy_authenticator_free(auth);
}

/* One call returns the whole decision: the view agrees with every per-field accessor. */
static void the_decision_view_holds_the_whole_decision(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_PROXY));
  static const frontproxy_header H[] = {
      {(const uint8_t *)"X-Remote-User", 13, (const uint8_t *)"alice", 5},
      {(const uint8_t *)"X-Remote-Uid", 12, (const uint8_t *)"u-1", 3},
      {(const uint8_t *)"X-Remote-Group", 14, (const uint8_t *)"admins", 6},
      {(const uint8_t *)"X-Remote-Extra-Scopes", 21, (const uint8_t *)"b", 1},
      {(const uint8_t *)"X-Remote-Extra-Acme.io%2fteam", 29, (const uint8_t *)"x", 1},
      {(const uint8_t *)"x-remote-extra-scopes", 21, (const uint8_t *)"", 0},
      {(const uint8_t *)"Authorization", 13, (const uint8_t *)"Bearer t", 8},
  };
  frontproxy_decision *d = auth_chain(auth, FP_CHAIN, 2, H, sizeof H / sizeof H[0]);
  const frontproxy_decision_view *v = frontproxy_decision_get_view(d);
  CHECK(v != NULL && v->outcome == FRONTPROXY_OUTCOME_AUTHENTICATED, "authenticated");
  CHECK(v->authenticator == FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER && v->reason == 0, "kind");
  CHECK(str_is(v->user_name, "alice") && str_is(v->user_uid, "u-1") && v->message.len == 0, "name, uid");
  CHECK(v->groups_len == frontproxy_decision_group_count(d) && v->groups_len == 2, "group count");
  CHECK(str_is(v->groups[0], "admins") && str_is(v->groups[1], "system:authenticated"), "groups");
  /* Extra keys sorted, values in arrival order (empty kept). */
  CHECK(v->extra_len == 2 && v->extra_len == frontproxy_decision_extra_count(d), "extra count");
  CHECK(str_is(v->extra[0].key, "acme.io/team") && v->extra[0].values_len == 1 && str_is(v->extra[0].values[0], "x"),
        "extra acme.io/team");
  CHECK(str_is(v->extra[1].key, "scopes") && v->extra[1].values_len == 2 && str_is(v->extra[1].values[0], "b") &&
            v->extra[1].values[1].len == 0,
        "extra scopes");
  frontproxy_str s = {0};
  CHECK(frontproxy_decision_extra_value(d, 1, 1, &s) == FRONTPROXY_RESULT_OK && s.data == v->extra[1].values[1].data,
        "accessors and view share storage");
  CHECK(v->clear_headers_len == 6 && v->clear_headers_len == frontproxy_decision_clear_header_count(d), "clear count");
  frontproxy_bytes b = {0};
  CHECK(frontproxy_decision_clear_header(d, 5, &b) == FRONTPROXY_RESULT_OK && b.len == 13 &&
            memcmp(b.data, "Authorization", 13) == 0 && b.data == v->clear_headers[5].data,
        "clear header 5");
  frontproxy_decision_free(d);
  /* A rejection: the reason and message, no user, nothing to clear. */
  frontproxy_bytes intruder[2] = {der(FP_INTRUDER), der(FP_INT)};
  d = auth_chain(auth, intruder, 2, H, 1);
  v = frontproxy_decision_get_view(d);
  CHECK(v->outcome == FRONTPROXY_OUTCOME_REJECTED && v->reason == FRONTPROXY_REASON_COMMON_NAME_NOT_ALLOWED, "rejected");
  CHECK(v->message.len > 0 && v->user_name.len == 0 && v->groups_len == 0 && v->extra_len == 0 &&
            v->clear_headers_len == 0,
        "rejection fields");
  frontproxy_decision_free(d);
  CHECK(frontproxy_decision_get_view(NULL) == NULL, "NULL decision, NULL view");
  frontproxy_authenticator_free(auth);
}

/* A ConfigMap with custom header lists but no request-header CA: Kubernetes still clears the
 * configured names after every success, the x509 one included (spec §1.9 rule 32). */
static void configured_names_are_cleared_without_a_requestheader_ca(void) {
  frontproxy_authenticator *auth = new_from_configmap(CM_LISTS_ONLY, NULL);
  static const frontproxy_header SPOOFED[] = {
      {(const uint8_t *)"X-Custom-User", 13, (const uint8_t *)"system:admin", 12},
      {(const uint8_t *)"X-Custom-Group", 14, (const uint8_t *)"system:masters", 14},
      {(const uint8_t *)"X-Custom-Extra-Scopes", 21, (const uint8_t *)"all", 3},
      {(const uint8_t *)"X-Unrelated", 11, (const uint8_t *)"kept", 4},
  };
  frontproxy_bytes bob[1] = {der(CLIENT_BOB)};
  frontproxy_decision *d = auth_chain(auth, bob, 1, SPOOFED, 4);
  const frontproxy_decision_view *v = frontproxy_decision_get_view(d);
  CHECK(v->outcome == FRONTPROXY_OUTCOME_AUTHENTICATED && v->authenticator == FRONTPROXY_AUTHENTICATOR_KIND_X509 &&
            str_is(v->user_name, "bob"),
        "x509 user bob");
  CHECK(v->clear_headers_len == 3, "3 headers to clear, got %zu", v->clear_headers_len);
  const char *expected[] = {"X-Custom-User", "X-Custom-Group", "X-Custom-Extra-Scopes"};
  for (size_t i = 0; i < 3 && i < v->clear_headers_len; i++) {
    CHECK(v->clear_headers[i].len == strlen(expected[i]) &&
              memcmp(v->clear_headers[i].data, expected[i], v->clear_headers[i].len) == 0,
          "clear header %zu is %s", i, expected[i]);
  }
  frontproxy_decision_free(d);
  frontproxy_authenticator_free(auth);
}

/* ---- metrics ------------------------------------------------------------------------------ */

#define DAY (24LL * 3600)

/* The numeric snapshot counts decisions by outcome, authenticator and reason number, and
 * reports the cache, the generation and the expiries (gen-certs.sh: CAs 3650 days, issued
 * certificates 365 days). */
static void metrics_count_decisions_by_outcome_and_reason(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_FULL));
  frontproxy_metrics m;
  memset(&m, 0xAB, sizeof m);
  CHECK(frontproxy_authenticator_metrics(auth, &m) == FRONTPROXY_RESULT_OK, "metrics");
  CHECK(m.authenticated == 0 && m.anonymous == 0 && m.rejected == 0, "a new authenticator counted nothing");
  CHECK(!m.has_front_proxy_expiry, "no front-proxy chain seen yet");
  CHECK(m.has_requestheader_ca_expiry && m.has_client_ca_expiry, "both CAs are configured");

  frontproxy_decision *d = auth_chain(auth, FP_CHAIN, 2, ALICE, NALICE);
  uint64_t generation = frontproxy_decision_get_view(d)->generation;
  frontproxy_decision_free(d);
  frontproxy_decision_free(auth_chain(auth, FP_CHAIN, 2, ALICE, NALICE));
  frontproxy_decision_free(auth_chain(auth, NULL, 0, ALICE, NALICE));
  frontproxy_bytes other = der(CA2_LEAF), bob = der(CLIENT_BOB);
  frontproxy_decision_free(auth_chain(auth, &other, 1, ALICE, NALICE));
  frontproxy_decision_free(auth_peer(auth, &bob, 1, NULL, 0));

  CHECK(frontproxy_authenticator_metrics(auth, &m) == FRONTPROXY_RESULT_OK, "metrics");
  CHECK(m.authenticated == 3 && m.anonymous == 1 && m.rejected == 1, "outcomes %llu/%llu/%llu, want 3/1/1",
        (unsigned long long)m.authenticated, (unsigned long long)m.anonymous, (unsigned long long)m.rejected);
  CHECK(m.authenticated_requestheader == 2 && m.authenticated_x509 == 1, "by authenticator %llu/%llu",
        (unsigned long long)m.authenticated_requestheader, (unsigned long long)m.authenticated_x509);
  uint64_t sum = 0;
  size_t slots = sizeof m.rejections_by_reason / sizeof m.rejections_by_reason[0];
  for (size_t i = 0; i < slots; i++) sum += m.rejections_by_reason[i];
  CHECK(slots == 32 && m.rejections_by_reason[0] == 0, "32 slots, none for reason 0");
  CHECK(m.rejections_by_reason[FRONTPROXY_REASON_UNKNOWN_AUTHORITY] == 1 && sum == 1,
        "one unknown_authority rejection, indexed by its number");
  CHECK(m.cache_hits == 1 && m.cache_misses == 3, "cache %llu hits / %llu misses, want 1/3",
        (unsigned long long)m.cache_hits, (unsigned long long)m.cache_misses);
  CHECK(m.cache_entries >= 1 && m.cache_bytes > 0 && m.cache_evictions == 0, "cache holds entries");
  CHECK(m.reloads == 0 && m.reload_failures == 0, "no reloads");
  CHECK(m.generation == generation, "the generation in force is the decisions'");
  CHECK(m.requestheader_ca_expiry_seconds > 3649 * DAY && m.requestheader_ca_expiry_seconds <= 3651 * DAY,
        "request-header CA expires in about 3650 days: %lld s", (long long)m.requestheader_ca_expiry_seconds);
  CHECK(m.client_ca_expiry_seconds > 3649 * DAY && m.client_ca_expiry_seconds <= 3651 * DAY,
        "client CA expires in about 3650 days");
  CHECK(m.has_front_proxy_expiry && m.front_proxy_expiry_seconds > 364 * DAY &&
            m.front_proxy_expiry_seconds <= 366 * DAY,
        "the front-proxy chain expires in about 365 days: %lld s", (long long)m.front_proxy_expiry_seconds);

  /* A failed reload is counted; the configuration stays. */
  const char *missing[] = {FLAG_MISSING};
  CHECK(frontproxy_authenticator_reload_flags(auth, ARGV(missing), NULL) ==
            FRONTPROXY_RESULT_CONFIG_INVALID,
        "a missing CA file does not load");
  CHECK(frontproxy_authenticator_metrics(auth, &m) == FRONTPROXY_RESULT_OK && m.reload_failures == 1 &&
            m.reloads == 0 && m.generation == generation && m.has_front_proxy_expiry,
        "one failure, the same generation");
  /* A good reload: a new generation, whose front-proxy expiry starts over. */
  CHECK(frontproxy_authenticator_reload_flags(auth, ARGV(FLAGS_FULL), NULL) == FRONTPROXY_RESULT_OK, "reload");
  CHECK(frontproxy_authenticator_metrics(auth, &m) == FRONTPROXY_RESULT_OK && m.reloads == 1 &&
            m.generation != generation && !m.has_front_proxy_expiry,
        "one reload, a new generation, the front-proxy expiry reset");

  CHECK(frontproxy_authenticator_metrics(NULL, &m) == FRONTPROXY_RESULT_NULL_POINTER, "NULL authenticator");
  CHECK(frontproxy_authenticator_metrics(auth, NULL) == FRONTPROXY_RESULT_NULL_POINTER, "NULL metrics_out");
  frontproxy_authenticator_free(auth);
}

/* The Prometheus text renders like every message: BUFFER_TOO_SMALL writes only out_len. */
static void metrics_render_as_prometheus_text(void) {
  frontproxy_authenticator *auth = new_from_flags(ARGV(FLAGS_FULL));
  frontproxy_decision_free(auth_chain(auth, FP_CHAIN, 2, ALICE, NALICE));
  frontproxy_decision_free(auth_chain(auth, NULL, 0, ALICE, NALICE));
  frontproxy_bytes other = der(CA2_LEAF);
  frontproxy_decision_free(auth_chain(auth, &other, 1, ALICE, NALICE));

  size_t len = 0;
  CHECK(frontproxy_authenticator_metrics_prometheus(auth, NULL, 0, &len) == FRONTPROXY_RESULT_BUFFER_TOO_SMALL &&
            len > 1000,
        "a size query gives the length: %zu", len);
  char small[16];
  memset(small, 'x', sizeof small);
  size_t small_len = 0;
  CHECK(frontproxy_authenticator_metrics_prometheus(auth, small, sizeof small, &small_len) ==
            FRONTPROXY_RESULT_BUFFER_TOO_SMALL &&
            small_len == len,
        "too small: the length only");
  int untouched = 1;
  for (size_t i = 0; i < sizeof small; i++) untouched &= small[i] == 'x';
  CHECK(untouched, "nothing written into a buffer that is too small");
  char *buf = malloc(len + 1);
  size_t got = 0;
  CHECK(frontproxy_authenticator_metrics_prometheus(auth, buf, len, &got) == FRONTPROXY_RESULT_BUFFER_TOO_SMALL,
        "exactly the length leaves no room for the NUL");
  CHECK(frontproxy_authenticator_metrics_prometheus(auth, buf, len + 1, &got) == FRONTPROXY_RESULT_OK &&
            got == len && buf[len] == '\0' && strlen(buf) == len,
        "rendered, NUL-terminated");
  const char *expected[] = {
      "# HELP frontproxy_authentication_attempts_total ",
      "# TYPE frontproxy_authentication_attempts_total counter\n",
      "\nfrontproxy_authentication_attempts_total{result=\"success\"} 1\n",
      "\nfrontproxy_authentication_attempts_total{result=\"anonymous\"} 1\n",
      "\nfrontproxy_authentication_attempts_total{result=\"failure\"} 1\n",
      "\nfrontproxy_authenticated_requests_total{authenticator=\"requestheader\"} 1\n",
      "\nfrontproxy_authenticated_requests_total{authenticator=\"x509\"} 0\n",
      "\nfrontproxy_authentication_rejections_total{reason=\"unknown_authority\"} 1\n",
      "\nfrontproxy_authentication_rejections_total{reason=\"internal_error\"} 0\n",
      "\nfrontproxy_verdict_cache_requests_total{result=\"miss\"} 2\n",
      "\nfrontproxy_config_reloads_total{result=\"success\"} 0\n",
      "# TYPE frontproxy_config_generation gauge\n",
      "\nfrontproxy_certificate_expiry_seconds{kind=\"requestheader_ca\"} ",
      "\nfrontproxy_certificate_expiry_seconds{kind=\"client_ca\"} ",
      "\nfrontproxy_certificate_expiry_seconds{kind=\"front_proxy\"} ",
  };
  for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
    CHECK(strstr(buf, expected[i]) != NULL, "the text has %s", expected[i]);
  free(buf);

  CHECK(frontproxy_authenticator_metrics_prometheus(NULL, small, sizeof small, &got) ==
            FRONTPROXY_RESULT_NULL_POINTER,
        "NULL authenticator");
  CHECK(frontproxy_authenticator_metrics_prometheus(auth, small, sizeof small, NULL) ==
            FRONTPROXY_RESULT_NULL_POINTER,
        "NULL out_len");
  CHECK(frontproxy_authenticator_metrics_prometheus(auth, NULL, 8, &got) == FRONTPROXY_RESULT_NULL_POINTER,
        "NULL buffer with a length");
  frontproxy_authenticator_free(auth);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s CERTS_DIR\n", argv[0]);
    return 2;
  }
  harness_certs_dir = argv[1];
  setup_fixtures();
  FP_CHAIN[0] = der(FP_LEAF);
  FP_CHAIN[1] = der(FP_INT);

  RUN(version_is_the_crate_version);
  RUN(result_codes_are_stable_and_render_their_messages);
  RUN(reason_codes_are_the_cli_codes);
  RUN(happy_path_flags_peer_gives_the_user_from_the_headers);
  RUN(happy_path_configmap_chain_uses_the_decision_cache);
  RUN(happy_path_configmap_yaml);
  RUN(options_disable_the_cache);
  RUN(x509_client_certificate_gives_cn_and_organizations);
  RUN(no_certificate_is_anonymous_and_headers_are_not_trusted);
  RUN(failing_chains_are_rejected_decisions);
  RUN(hostile_headers_are_rejected_decisions);
  RUN(invalid_headers_outrank_a_failing_chain);
  RUN(proxy_without_username_and_a_client_ca_is_rejected);
  RUN(constructors_report_configuration_errors);
  RUN(absurd_arguments_are_invalid);
  RUN(error_object_message_rendering);
  RUN(failed_reloads_keep_the_old_configuration);
  RUN(configmap_file_reloads_on_change);
  RUN(handles_keep_working_after_reload);
  RUN(null_for_every_pointer_argument);
  RUN(zero_lengths_are_valid_input);
  RUN(freeing_in_every_order);
  RUN(a_lone_leaf_reuses_a_verdict_only_on_a_resumed_session);
  RUN(the_decision_view_holds_the_whole_decision);
  RUN(configured_names_are_cleared_without_a_requestheader_ca);
  RUN(metrics_count_decisions_by_outcome_and_reason);
  RUN(metrics_render_as_prometheus_text);
  RUN(pem_chains_decode_and_authenticate);
  RUN(pem_chain_refusals);

  free_fixtures();
  return harness_finish();
}

/*
 * Convention: an authenticator is shared by all threads and a reload swaps its configuration
 * atomically. Several threads authenticate (per-connection peers and the chain/cache path)
 * while another thread reloads between two request-header CAs (from flags and from the
 * ConfigMap). Every decision must be exactly what one of the two configurations gives.
 *
 * usage: test_threads CERTS_DIR [ITERATIONS]
 */
#include <pthread.h>
#include <stdint.h>

#include "harness.h"

#define WORKERS 4

typedef struct {
  unsigned char *data;
  size_t len;
} blob;

static blob FP_LEAF, FP_INT, CA2_LEAF, CM_CA2;
static frontproxy_bytes CHAIN1[2], CHAIN2[1];
static char FLAG_FP_CA[4200];
static frontproxy_bytes FLAGS_CA1[3];
static frontproxy_authenticator *AUTH;
static long ITERATIONS = 2000;
static atomic_int workers_done;
static atomic_long seen_authenticated, seen_rejected, reloads;

static const frontproxy_header ALICE[] = {
    {(const uint8_t *)"X-Remote-User", 13, (const uint8_t *)"alice", 5},
    {(const uint8_t *)"X-Remote-Group", 14, (const uint8_t *)"admins", 6},
    {(const uint8_t *)"X-Remote-Extra-Scopes", 21, (const uint8_t *)"read", 4},
};

/* Under either configuration a chain is either trusted (alice, exactly) or rejected as
 * unknown_authority; anything else is a torn or mixed decision. */
static void check_consistent(const frontproxy_decision *d, const char *what) {
  frontproxy_outcome outcome = frontproxy_decision_outcome(d);
  if (outcome == FRONTPROXY_OUTCOME_REJECTED) {
    CHECK(frontproxy_decision_reason(d) == FRONTPROXY_REASON_UNKNOWN_AUTHORITY, "%s: rejected with reason %u", what,
          (unsigned)frontproxy_decision_reason(d));
    atomic_fetch_add(&seen_rejected, 1);
    return;
  }
  frontproxy_str s = {0};
  CHECK(outcome == FRONTPROXY_OUTCOME_AUTHENTICATED, "%s: outcome %u", what, (unsigned)outcome);
  CHECK(frontproxy_decision_authenticator(d) == FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER, "%s: kind", what);
  CHECK(frontproxy_decision_user_name(d, &s) == FRONTPROXY_RESULT_OK && str_is(s, "alice"), "%s: alice", what);
  CHECK(frontproxy_decision_group_count(d) == 2, "%s: 2 groups", what);
  CHECK(frontproxy_decision_group(d, 0, &s) == FRONTPROXY_RESULT_OK && str_is(s, "admins"), "%s: admins", what);
  CHECK(frontproxy_decision_group(d, 1, &s) == FRONTPROXY_RESULT_OK && str_is(s, "system:authenticated"),
        "%s: system:authenticated", what);
  CHECK(frontproxy_decision_extra_count(d) == 1 && frontproxy_decision_extra_value_count(d, 0) == 1, "%s: extra", what);
  CHECK(frontproxy_decision_clear_header_count(d) == 3, "%s: 3 headers to clear", what);
  atomic_fetch_add(&seen_authenticated, 1);
}

static void *worker(void *arg) {
  long id = (long)(intptr_t)arg;
  frontproxy_peer *peer1 = NULL, *peer2 = NULL;
  CHECK(frontproxy_authenticator_verify_peer(AUTH, CHAIN1, 2, false, &peer1) == FRONTPROXY_RESULT_OK, "verify_peer 1");
  CHECK(frontproxy_authenticator_verify_peer(AUTH, CHAIN2, 1, false, &peer2) == FRONTPROXY_RESULT_OK, "verify_peer 2");
  for (long i = 0; i < ITERATIONS; i++) {
    frontproxy_decision *d = NULL;
    /* Alternate the paths and the chains, and sometimes a brand-new peer. */
    switch ((i + id) % 5) {
      case 0:
        CHECK(frontproxy_authenticator_authenticate(AUTH, peer1, ALICE, 3, &d) == FRONTPROXY_RESULT_OK, "peer 1");
        break;
      case 1:
        CHECK(frontproxy_authenticator_authenticate(AUTH, peer2, ALICE, 3, &d) == FRONTPROXY_RESULT_OK, "peer 2");
        break;
      case 2:
        CHECK(frontproxy_authenticator_authenticate_chain(AUTH, CHAIN1, 2, false, ALICE, 3, &d) == FRONTPROXY_RESULT_OK,
              "chain 1");
        break;
      case 3:
        CHECK(frontproxy_authenticator_authenticate_chain(AUTH, CHAIN2, 1, false, ALICE, 3, &d) == FRONTPROXY_RESULT_OK,
              "chain 2");
        break;
      default: {
        frontproxy_peer *fresh = NULL;
        CHECK(frontproxy_authenticator_verify_peer(AUTH, CHAIN1, 2, false, &fresh) == FRONTPROXY_RESULT_OK, "fresh peer");
        CHECK(frontproxy_authenticator_authenticate(AUTH, fresh, ALICE, 3, &d) == FRONTPROXY_RESULT_OK, "fresh");
        frontproxy_peer_free(fresh);
        frontproxy_cache_stats stats;
        CHECK(frontproxy_authenticator_cache_stats(AUTH, &stats) == FRONTPROXY_RESULT_OK, "cache_stats");
        char buf[512];
        size_t len;
        CHECK(frontproxy_authenticator_last_error(AUTH, buf, sizeof buf, &len) == FRONTPROXY_RESULT_OK, "last_error");
      }
    }
    if (d) check_consistent(d, "worker");
    frontproxy_decision_free(d);
  }
  frontproxy_peer_free(peer1);
  frontproxy_peer_free(peer2);
  atomic_fetch_add(&workers_done, 1);
  return NULL;
}

static void *reloader(void *arg) {
  (void)arg;
  long n = 0;
  while (atomic_load(&workers_done) < WORKERS) {
    frontproxy_result r = (n % 2 == 0)
                              ? frontproxy_authenticator_reload_configmap(AUTH, CM_CA2.data, CM_CA2.len, NULL)
                              : frontproxy_authenticator_reload_flags(AUTH, FLAGS_CA1, 3, NULL);
    CHECK(r == FRONTPROXY_RESULT_OK, "reload %ld returned %u", n, (unsigned)r);
    if (n % 7 == 3) {
      /* A failing reload in the mix: it must change nothing. */
      CHECK(frontproxy_authenticator_reload_configmap(AUTH, (const uint8_t *)"{", 1, NULL) ==
                FRONTPROXY_RESULT_CONFIG_INVALID,
            "bad reload");
    }
    n++;
  }
  atomic_store(&reloads, n);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s CERTS_DIR [ITERATIONS]\n", argv[0]);
    return 2;
  }
  harness_certs_dir = argv[1];
  if (argc > 2) ITERATIONS = atol(argv[2]);
  harness_case = "threads";
  FP_LEAF.data = read_fixture("fp-leaf.der", &FP_LEAF.len);
  FP_INT.data = read_fixture("fp-int.der", &FP_INT.len);
  CA2_LEAF.data = read_fixture("ca2-leaf.der", &CA2_LEAF.len);
  CM_CA2.data = read_fixture("configmap-ca2.json", &CM_CA2.len);
  CHAIN1[0] = (frontproxy_bytes){FP_LEAF.data, FP_LEAF.len};
  CHAIN1[1] = (frontproxy_bytes){FP_INT.data, FP_INT.len};
  CHAIN2[0] = (frontproxy_bytes){CA2_LEAF.data, CA2_LEAF.len};
  snprintf(FLAG_FP_CA, sizeof FLAG_FP_CA, "--requestheader-client-ca-file=%s", fixture_path("fp-ca.pem", 0));
  FLAGS_CA1[0] = bytes_of(FLAG_FP_CA);
  FLAGS_CA1[1] = bytes_of("--requestheader-allowed-names=front-proxy-client");
  FLAGS_CA1[2] = bytes_of("--requestheader-uid-headers=X-Remote-Uid");

  CHECK(frontproxy_authenticator_new_from_flags(FLAGS_CA1, 3, NULL, &AUTH, NULL) == FRONTPROXY_RESULT_OK, "new");
  pthread_t workers[WORKERS], reload_thread;
  pthread_create(&reload_thread, NULL, reloader, NULL);
  for (long i = 0; i < WORKERS; i++) pthread_create(&workers[i], NULL, worker, (void *)(intptr_t)i);
  for (int i = 0; i < WORKERS; i++) pthread_join(workers[i], NULL);
  pthread_join(reload_thread, NULL);

  /* After the storm, the configuration is whichever was loaded last: settle it and check
   * both chains deterministically. */
  CHECK(frontproxy_authenticator_reload_flags(AUTH, FLAGS_CA1, 3, NULL) == FRONTPROXY_RESULT_OK, "final reload");
  frontproxy_decision *d = NULL;
  frontproxy_authenticator_authenticate_chain(AUTH, CHAIN1, 2, false, ALICE, 3, &d);
  CHECK(frontproxy_decision_outcome(d) == FRONTPROXY_OUTCOME_AUTHENTICATED, "CA #1 trusted at the end");
  frontproxy_decision_free(d);
  frontproxy_authenticator_authenticate_chain(AUTH, CHAIN2, 1, false, ALICE, 3, &d);
  CHECK(frontproxy_decision_reason(d) == FRONTPROXY_REASON_UNKNOWN_AUTHORITY, "CA #2 rejected at the end");
  frontproxy_decision_free(d);
  long total = (long)WORKERS * ITERATIONS;
  CHECK(atomic_load(&seen_authenticated) + atomic_load(&seen_rejected) == total, "every decision was checked");
  printf("threads: %d workers x %ld requests, %ld reloads, %ld authenticated, %ld rejected\n", WORKERS, ITERATIONS,
         (long)atomic_load(&reloads), (long)atomic_load(&seen_authenticated), (long)atomic_load(&seen_rejected));

  frontproxy_authenticator_free(AUTH);
  free(FP_LEAF.data);
  free(FP_INT.data);
  free(CA2_LEAF.data);
  free(CM_CA2.data);
  return harness_finish();
}

/*
 * A tiny test harness for the C tests: named checks, a closing "N passed, N failed" line,
 * and helpers to read the PKI that tests/gen-certs.sh generated.
 */
#ifndef FRONTPROXY_TEST_HARNESS_H
#define FRONTPROXY_TEST_HARNESS_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontproxy.h"

static atomic_int harness_passed;
static atomic_int harness_failed;
static const char *harness_case = "";
static const char *harness_certs_dir = ".";

/* Records one check; prints only failures (and the case they belong to). */
#define CHECK(cond, ...) harness_check((cond) ? 1 : 0, __FILE__, __LINE__, __VA_ARGS__)

static inline void harness_check(int ok, const char *file, int line, const char *fmt, ...) {
  if (ok) {
    atomic_fetch_add(&harness_passed, 1);
    return;
  }
  atomic_fetch_add(&harness_failed, 1);
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL [%s] %s:%d: ", harness_case, file, line);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
}

/* Runs one named case. */
#define RUN(fn)                        \
  do {                                 \
    harness_case = #fn;                \
    int before = harness_failed;       \
    fn();                              \
    printf("%s %s\n", harness_failed == before ? "ok  " : "FAIL", #fn); \
  } while (0)

/* Prints the closing line; the process exit status. */
static inline int harness_finish(void) {
  printf("%d passed, %d failed\n", (int)harness_passed, (int)harness_failed);
  return harness_failed == 0 ? 0 : 1;
}

/* Reads a whole file from the certificates directory (or aborts: a broken fixture is not a
 * test result). The buffer is malloc'd. */
static inline unsigned char *read_fixture(const char *name, size_t *len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", harness_certs_dir, name);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open fixture %s\n", path);
    exit(2);
  }
  size_t cap = 4096, n = 0;
  unsigned char *buf = malloc(cap);
  for (;;) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) break;
    cap *= 2;
    buf = realloc(buf, cap);
  }
  fclose(f);
  *len = n;
  return buf;
}

/* The path of a fixture, in a static buffer per slot. */
static inline const char *fixture_path(const char *name, int slot) {
  static char paths[8][4096];
  snprintf(paths[slot], sizeof paths[slot], "%s/%s", harness_certs_dir, name);
  return paths[slot];
}

/* frontproxy_bytes for a C string (no NUL). */
static inline frontproxy_bytes bytes_of(const char *s) {
  frontproxy_bytes b = {(const uint8_t *)s, strlen(s)};
  return b;
}

/* A header from two C strings (no NULs). */
static inline frontproxy_header header_of(const char *name, const char *value) {
  frontproxy_header h = {(const uint8_t *)name, strlen(name), (const uint8_t *)value, strlen(value)};
  return h;
}

/* Whether a library string equals a C string. */
static inline int str_is(frontproxy_str s, const char *expected) {
  return s.len == strlen(expected) && (s.len == 0 || memcmp(s.data, expected, s.len) == 0);
}

#endif

/* A minimal test harness for C: CHECK records a failure and goes on; main prints
 * "N passed, N failed" as its closing line. */
#ifndef GM_TEST_CHECK_H
#define GM_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include <genmodels/genmodels.h>

static int g_passed = 0;
static int g_failed = 0;

static void check_at(int ok, const char* what, const char* file, int line) {
  if (ok) {
    ++g_passed;
  } else {
    ++g_failed;
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what);
  }
}
#define CHECK(cond) check_at((cond) != 0, #cond, __FILE__, __LINE__)

/* The call must succeed; on failure its message is printed. Use ERR as the last argument. */
#define EXPECT_OK(call)                                                                       \
  do {                                                                                        \
    gm_error* e_ = NULL;                                                                      \
    int32_t s_ = (call);                                                                      \
    if (s_ != GM_OK) fprintf(stderr, "  %s: %s\n", gm_status_name(s_), gm_error_message(e_)); \
    check_at(s_ == GM_OK && e_ == NULL, #call, __FILE__, __LINE__);                           \
    gm_error_free(e_);                                                                        \
  } while (0)

/* The call must fail with `expected`, and the error object must carry the same code and a
 * non-empty message. */
#define EXPECT_ERR(expected, call)                                                                                   \
  do {                                                                                                               \
    gm_error* e_ = NULL;                                                                                             \
    int32_t s_ = (call);                                                                                             \
    int ok_ = s_ == (expected) && e_ != NULL && gm_error_code(e_) == (expected) && strlen(gm_error_message(e_)) > 0; \
    if (!ok_)                                                                                                        \
      fprintf(stderr, "  got %s (%s), expected %s\n", gm_status_name(s_), gm_error_message(e_),                      \
              gm_status_name(expected));                                                                             \
    check_at(ok_, #call, __FILE__, __LINE__);                                                                        \
    gm_error_free(e_);                                                                                               \
  } while (0)

#define ERR (&e_)

/* gm_sample_options_init_sized for a binding whose struct ends at byte `small` (a field
 * appended later): it writes exactly those bytes and records that size. */
static inline void check_sample_options_sized_init(uint32_t small) {
  unsigned char raw[sizeof(gm_sample_options) + 8];
  memset(raw, 0xcd, sizeof raw);
  gm_sample_options_init_sized((gm_sample_options*)raw, small);
  CHECK(((gm_sample_options*)raw)->struct_size == small);
  CHECK(raw[small] == 0xcd);
}

#endif

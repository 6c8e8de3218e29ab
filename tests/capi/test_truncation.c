/* gm_sample_options.truncation (appended in issue 17) from C: the default and the sized
 * initialiser, a tiny dcgan sampled with and without truncation (the same seed gives the same
 * rows; a bound near 0 gives every row the image of z = 0, which decode confirms; a smaller bound
 * narrows the spread), a caller whose struct ends before the field (read as 0), and the
 * refusals: negative or not finite, decode, a kind without a Gaussian latent (bernoulli).
 * Prints "N passed, N failed". */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "check.h"

enum { N = 32, S = 8, D = S * S, NS = 64, L = 4 };

static float g_x[N * D];

static void make_images(void) {
  /* A bright square at a place that depends on the row, on a dark ground. */
  for (int r = 0; r < N; ++r)
    for (int i = 0; i < S; ++i)
      for (int j = 0; j < S; ++j) g_x[r * D + i * S + j] = (i / 4 == r % 2 && j / 4 == (r / 2) % 2) ? 0.9f : 0.1f;
}

static void test_options(void) {
  gm_sample_options o;
  memset(&o, 0xab, sizeof o);
  gm_sample_options_init(&o);
  CHECK(o.struct_size == sizeof o);
  CHECK(o.truncation == 0.0);
  /* A binding that knows only the fields before truncation gets exactly those written. */
  check_sample_options_sized_init((uint32_t)offsetof(gm_sample_options, truncation));
}

/* Mean over pixels of the samples' standard deviation. */
static double spread(const float* x) {
  double total = 0;
  for (int d = 0; d < D; ++d) {
    double a = 0, a2 = 0;
    for (int i = 0; i < NS; ++i) a += x[i * D + d], a2 += (double)x[i * D + d] * x[i * D + d];
    const double v = a2 / NS - (a / NS) * (a / NS);
    total += sqrt(v > 0 ? v : 0);
  }
  return total / D;
}

static void test_dcgan(void) {
  gm_data data;
  gm_data_init(&data);
  data.x = g_x, data.n = N, data.d = D, data.channels = 1, data.height = S, data.width = S;
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("dcgan", "{\"ngf\": 4, \"ndf\": 4, \"latent\": 4}", &m, ERR));
  if (!m) return;
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 2, fo.batch_size = 16, fo.threads = 1, fo.seed = 5;
  EXPECT_OK(gm_model_fit(m, &data, &fo, ERR));
  static float full[NS * D], half[NS * D], again[NS * D], tiny[NS * D], mode[D];
  gm_sample_options o;
  gm_sample_options_init(&o);
  o.seed = 7, o.threads = 1;
  EXPECT_OK(gm_model_sample(m, NS, &o, full, NS * D, ERR));
  o.truncation = 0.5;
  EXPECT_OK(gm_model_sample(m, NS, &o, half, NS * D, ERR));
  EXPECT_OK(gm_model_sample(m, NS, &o, again, NS * D, ERR));
  CHECK(memcmp(half, again, sizeof half) == 0);
  CHECK(memcmp(half, full, sizeof half) != 0);
  CHECK(spread(half) < 0.8 * spread(full));
  o.truncation = 1e-7;
  EXPECT_OK(gm_model_sample(m, NS, &o, tiny, NS * D, ERR));
  float zero[L] = {0};
  gm_data codes;
  gm_data_init(&codes);
  codes.x = zero, codes.n = 1, codes.d = L;
  gm_sample_options plain;
  gm_sample_options_init(&plain);
  plain.threads = 1;
  EXPECT_OK(gm_model_decode(m, &codes, &plain, mode, D, ERR));
  int near = 1;
  for (int i = 0; i < NS * D; ++i) near &= fabsf(tiny[i] - mode[i % D]) <= 1e-4f;
  CHECK(near);

  /* A caller whose struct ends before truncation: whatever lies past it, it is 0. */
  unsigned char raw[sizeof(gm_sample_options)];
  memset(raw, 0x7f, sizeof raw);
  gm_sample_options_init_sized((gm_sample_options*)raw, (uint32_t)offsetof(gm_sample_options, truncation));
  ((gm_sample_options*)raw)->seed = 7;
  ((gm_sample_options*)raw)->threads = 1;
  EXPECT_OK(gm_model_sample(m, NS, (const gm_sample_options*)raw, again, NS * D, ERR));
  CHECK(memcmp(again, full, sizeof full) == 0);

  /* Refusals; the output is left alone. */
  memcpy(again, full, sizeof full);
  const double bad[3] = {-1.0, NAN, INFINITY};
  for (int k = 0; k < 3; ++k) {
    o.truncation = bad[k];
    EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, NS, &o, again, NS * D, ERR));
  }
  CHECK(memcmp(again, full, sizeof full) == 0);
  o.truncation = 1.0;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_decode(m, &codes, &o, mode, D, ERR));
  gm_model_free(m);
}

static void test_kind_without_latent(void) {
  static float b[N * D], out[NS * D];
  for (int i = 0; i < N * D; ++i) b[i] = g_x[i] > 0.5f;
  gm_data data;
  gm_data_init(&data);
  data.x = b, data.n = N, data.d = D;
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("bernoulli", NULL, &m, ERR));
  if (!m) return;
  EXPECT_OK(gm_model_fit(m, &data, NULL, ERR));
  gm_sample_options o;
  gm_sample_options_init(&o);
  o.truncation = 1.0;
  gm_error* e = NULL;
  CHECK(gm_model_sample(m, NS, &o, out, NS * D, &e) == GM_INVALID_ARGUMENT);
  CHECK(e && strstr(gm_error_message(e), "Gaussian latent") != NULL);
  gm_error_free(e);
  o.truncation = 0.0;
  EXPECT_OK(gm_model_sample(m, NS, &o, out, NS * D, ERR));
  gm_model_free(m);
}

int main(void) {
  make_images();
  test_options();
  test_dcgan();
  test_kind_without_latent();
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

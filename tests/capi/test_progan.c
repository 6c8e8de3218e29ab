/* gm_sample_options.stage (appended in issue 16) from C: the default and the sized initialiser,
 * a tiny progan on 16×16 grey images (stages 4, 8, 16) fitted through every stage and sampled
 * at each one (a lower stage's images come back upsampled, nearest, to 16×16: constant on
 * 4×4 and 2×2 blocks), the same through decode and after a save / load, and the refusals: a
 * stage beyond the model's, a stage the model has not reached yet, a negative stage, a stage
 * on kinds that do not grow (bernoulli, dcgan), and a caller whose struct ends before the
 * field (stage read as 0). Prints "N passed, N failed". */
#include <stddef.h>
#include <stdlib.h>

#include "check.h"

enum { N = 16, S = 16, D = S * S, NS = 6 };

static float g_x[N * D];

static void make_images(void) {
  /* Bright bars at a place that depends on the row, on a dark ground. */
  for (int r = 0; r < N; ++r)
    for (int i = 0; i < S; ++i)
      for (int j = 0; j < S; ++j)
        g_x[r * D + i * S + j] = ((r % 2 ? j : i) / 4 == r % 4) ? 0.9f : 0.1f + 0.01f * (float)((i + j + r) % 5);
}

static void test_options(void) {
  gm_sample_options o;
  memset(&o, 0xab, sizeof o);
  gm_sample_options_init(&o);
  CHECK(o.struct_size == sizeof o);
  CHECK(o.stage == 0);
  /* A binding that knows only the fields before stage gets exactly those written. */
  check_sample_options_sized_init((uint32_t)offsetof(gm_sample_options, stage));
}

/* A progan fitted on g_x for `epochs` epochs (16 images each); fade and stable phases of 8
 * images: stage 1 for images [0, 8), stage 2 fades over [8, 16) and is stable over [16, 24),
 * stage 3 fades over [24, 32) and stays from 32 on. */
static gm_model* fitted_progan(int epochs) {
  gm_data data;
  gm_data_init(&data);
  data.x = g_x, data.n = N, data.d = D, data.channels = 1, data.height = S, data.width = S;
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("progan",
                            "{\"latent\": 8, \"fmap_base\": 16, \"fmap_max\": 8, \"fade_images\": 8, "
                            "\"stable_images\": 8, \"mbstd_group\": 4}",
                            &m, ERR));
  if (!m) return NULL;
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = epochs, fo.batch_size = 8, fo.threads = 1, fo.seed = 5;
  EXPECT_OK(gm_model_fit(m, &data, &fo, ERR));
  return m;
}

/* 1 when every image of out (n rows of S×S) is constant on b×b blocks. */
static int blocky(const float* out, int n, int b) {
  for (int r = 0; r < n; ++r)
    for (int i = 0; i < S; ++i)
      for (int j = 0; j < S; ++j)
        if (out[r * D + i * S + j] != out[r * D + (i / b * b) * S + j / b * b]) return 0;
  return 1;
}

static int in_unit(const float* out, int count) {
  for (int i = 0; i < count; ++i)
    if (!(out[i] >= 0.0f && out[i] <= 1.0f)) return 0;
  return 1;
}

static void test_stages(void) {
  gm_model* m = fitted_progan(3); /* 48 images: the last stage, stable */
  if (!m) return;
  static float at[4][NS * D], again[NS * D];
  gm_sample_options o;
  for (int k = 0; k <= 3; ++k) {
    gm_sample_options_init(&o);
    o.seed = 11, o.threads = 1, o.stage = k;
    EXPECT_OK(gm_model_sample(m, NS, &o, at[k], NS * D, ERR));
    CHECK(in_unit(at[k], NS * D));
  }
  /* Stage k's images are 4·2^(k−1) wide, upsampled to 16: blocks of 4, 2, 1. */
  CHECK(blocky(at[1], NS, 4));
  CHECK(blocky(at[2], NS, 2) && !blocky(at[2], NS, 4));
  CHECK(!blocky(at[3], NS, 2));
  /* The model has grown to its last stage and stabilised: stage 0 (its own) is stage 3. */
  CHECK(memcmp(at[0], at[3], sizeof at[0]) == 0);
  CHECK(memcmp(at[1], at[2], sizeof at[1]) != 0 && memcmp(at[2], at[3], sizeof at[2]) != 0);
  /* The same seed gives the same images, whatever the thread count. */
  gm_sample_options_init(&o);
  o.seed = 11, o.threads = 2, o.stage = 2;
  EXPECT_OK(gm_model_sample(m, NS, &o, again, NS * D, ERR));
  CHECK(memcmp(again, at[2], sizeof again) == 0);

  /* decode takes the stage too: the same codes at stage 1 are blocky, at stage 3 not. */
  int64_t z = 0;
  EXPECT_OK(gm_model_latent_dim(m, &z, ERR));
  CHECK(z == 8);
  float codes[NS * 8];
  for (int i = 0; i < NS * 8; ++i) codes[i] = (float)((i * 37) % 11 - 5) / 3.0f;
  gm_data c;
  gm_data_init(&c);
  c.x = codes, c.n = NS, c.d = 8;
  static float dec1[NS * D], dec3[NS * D], dec0[NS * D];
  gm_sample_options_init(&o);
  o.threads = 1, o.stage = 1;
  EXPECT_OK(gm_model_decode(m, &c, &o, dec1, NS * D, ERR));
  CHECK(blocky(dec1, NS, 4) && in_unit(dec1, NS * D));
  o.stage = 3;
  EXPECT_OK(gm_model_decode(m, &c, &o, dec3, NS * D, ERR));
  o.stage = 0;
  EXPECT_OK(gm_model_decode(m, &c, &o, dec0, NS * D, ERR));
  CHECK(!blocky(dec3, NS, 2) && memcmp(dec0, dec3, sizeof dec0) == 0);

  /* Refusals: beyond the model's three stages, negative. The output is left alone. */
  gm_sample_options_init(&o);
  o.seed = 11, o.threads = 1, o.stage = 4;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, NS, &o, again, NS * D, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_decode(m, &c, &o, again, NS * D, ERR));
  o.stage = 64;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, NS, &o, again, NS * D, ERR));
  o.stage = -1;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, NS, &o, again, NS * D, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_decode(m, &c, &o, again, NS * D, ERR));
  o.stage = INT64_MIN;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, NS, &o, again, NS * D, ERR));
  /* A lower stage still needs room for full-size rows. */
  o.stage = 1;
  EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_sample(m, NS, &o, again, NS * D - 1, ERR));

  /* A caller whose struct ends before stage: whatever lies past it, stage is 0. */
  unsigned char raw[sizeof(gm_sample_options)];
  memset(raw, 0x7f, sizeof raw); /* stage's bytes: a huge positive number */
  gm_sample_options_init_sized((gm_sample_options*)raw, (uint32_t)offsetof(gm_sample_options, stage));
  ((gm_sample_options*)raw)->seed = 11;
  ((gm_sample_options*)raw)->threads = 1;
  EXPECT_OK(gm_model_sample(m, NS, (const gm_sample_options*)raw, again, NS * D, ERR));
  CHECK(memcmp(again, at[3], sizeof again) == 0);

  /* The growth state is saved with the model: a loaded copy samples each stage alike. */
  gm_buffer* file = NULL;
  EXPECT_OK(gm_model_save_buffer(m, &file, ERR));
  gm_model* back = NULL;
  if (file) EXPECT_OK(gm_model_load_buffer(gm_buffer_data(file), gm_buffer_size(file), &back, ERR));
  gm_buffer_free(file);
  if (back) {
    for (int k = 1; k <= 3; ++k) {
      gm_sample_options_init(&o);
      o.seed = 11, o.threads = 1, o.stage = k;
      EXPECT_OK(gm_model_sample(back, NS, &o, again, NS * D, ERR));
      CHECK(memcmp(again, at[k], sizeof again) == 0);
    }
    o.stage = 4;
    EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(back, NS, &o, again, NS * D, ERR));
    gm_model_free(back);
  }
  gm_model_free(m);
}

static void test_not_reached(void) {
  /* One epoch: 16 images, the start of stage 2's stable phase; stage 3 is not trained yet. */
  gm_model* m = fitted_progan(1);
  if (!m) return;
  static float out[NS * D], own[NS * D];
  gm_sample_options o;
  gm_sample_options_init(&o);
  o.seed = 2, o.threads = 1, o.stage = 1;
  EXPECT_OK(gm_model_sample(m, NS, &o, out, NS * D, ERR));
  CHECK(blocky(out, NS, 4));
  o.stage = 2;
  EXPECT_OK(gm_model_sample(m, NS, &o, out, NS * D, ERR));
  CHECK(blocky(out, NS, 2));
  o.stage = 0; /* its own stage: 2 */
  EXPECT_OK(gm_model_sample(m, NS, &o, own, NS * D, ERR));
  CHECK(memcmp(own, out, sizeof own) == 0);
  o.stage = 3; /* exists, not reached */
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, NS, &o, out, NS * D, ERR));
  o.stage = 4; /* does not exist */
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, NS, &o, out, NS * D, ERR));
  gm_model_free(m);

  /* Unfitted: nothing to sample at any stage. */
  gm_model* fresh = NULL;
  EXPECT_OK(gm_model_create("progan", NULL, &fresh, ERR));
  o.stage = 1;
  EXPECT_ERR(GM_NOT_FITTED, gm_model_sample(fresh, NS, &o, out, NS * D, ERR));
  gm_model_free(fresh);
}

static void test_kinds_that_do_not_grow(void) {
  gm_data data;
  gm_data_init(&data);
  data.x = g_x, data.n = N, data.d = D, data.channels = 1, data.height = S, data.width = S;
  static float out[NS * D];
  const char* kinds[2] = {"bernoulli", "dcgan"};
  const char* configs[2] = {NULL, "{\"ngf\": 2, \"ndf\": 2, \"latent\": 4}"};
  for (int k = 0; k < 2; ++k) {
    gm_model* m = NULL;
    EXPECT_OK(gm_model_create(kinds[k], configs[k], &m, ERR));
    if (!m) continue;
    gm_fit_options fo;
    gm_fit_options_init(&fo);
    fo.epochs = 1, fo.batch_size = 8, fo.threads = 1;
    gm_data bin = data;
    static float b[N * D];
    if (k == 0) { /* bernoulli wants 0/1 values */
      for (int i = 0; i < N * D; ++i) b[i] = g_x[i] > 0.5f;
      bin.x = b;
    }
    EXPECT_OK(gm_model_fit(m, &bin, &fo, ERR));
    gm_sample_options o;
    gm_sample_options_init(&o);
    o.threads = 1;
    EXPECT_OK(gm_model_sample(m, NS, &o, out, NS * D, ERR));
    o.stage = 1;
    EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, NS, &o, out, NS * D, ERR));
    o.stage = -1;
    EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, NS, &o, out, NS * D, ERR));
    gm_model_free(m);
  }
}

int main(void) {
  make_images();
  test_options();
  test_stages();
  test_not_reached();
  test_kinds_that_do_not_grow();
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

/* gm_model_complete_from_parts from C: a fitted puzzlegan generating images from patches cut
 * out of its training images, the capability flag, and the errors a caller can make (a patch
 * outside the image, a wrong patch size, k = 0, a count that does not split into images, NULL
 * pointers, a small output buffer, a kind without the verb). Prints "N passed, N failed". */
#include <stdlib.h>

#include "check.h"

/* 12 images 1×8×8: a bright 3×3 square on a dark background, placed by the row number. */
enum { N = 12, S = 8, D = S * S, P = 4, K = 2 };
static float g_x[N * D];

static void make_images(void) {
  for (int r = 0; r < N; ++r)
    for (int y = 0; y < S; ++y)
      for (int x = 0; x < S; ++x) {
        const int on = y >= r % 5 && y < r % 5 + 3 && x >= (r * 3) % 5 && x < (r * 3) % 5 + 3;
        g_x[r * D + y * S + x] = on ? 0.9f : 0.1f;
      }
}

/* Image r's patch at (top, left) into out (P×P). */
static void cut(int r, int top, int left, float* out) {
  for (int y = 0; y < P; ++y)
    for (int x = 0; x < P; ++x) out[y * P + x] = g_x[r * D + (top + y) * S + left + x];
}

static gm_model* fitted_puzzlegan(void) {
  gm_data data;
  gm_data_init(&data);
  data.x = g_x, data.n = N, data.d = D, data.channels = 1, data.height = S, data.width = S;
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create(
      "puzzlegan", "{\"parts\": 2, \"patch_size\": 4, \"nef\": 2, \"ngf\": 2, \"ndf\": 2, \"noise\": 2}", &m, ERR));
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 1, fo.batch_size = 6, fo.threads = 1, fo.seed = 3;
  EXPECT_OK(gm_model_fit(m, &data, &fo, ERR));
  return m;
}

static void test_kinds(void) {
  uint32_t caps = 0;
  EXPECT_OK(gm_kind_capabilities("puzzlegan", &caps, ERR));
  CHECK((caps & GM_CAP_COMPLETE_FROM_PARTS) != 0 && (caps & GM_CAP_FIT) != 0 && (caps & GM_CAP_SAMPLE) == 0);
  EXPECT_OK(gm_kind_capabilities("dcgan", &caps, ERR));
  CHECK((caps & GM_CAP_COMPLETE_FROM_PARTS) == 0);
}

static void test_puzzlegan(void) {
  gm_model* m = fitted_puzzlegan();
  if (!m) return;
  uint32_t caps = 0;
  EXPECT_OK(gm_model_capabilities(m, &caps, ERR));
  CHECK((caps & GM_CAP_COMPLETE_FROM_PARTS) != 0);

  /* Three images from two patches each: image i's patches at (0, 0) and (4, 3). */
  enum { n = 3 };
  static float patches[n * K * P * P];
  int64_t positions[n * K * 2];
  for (int i = 0; i < n; ++i) {
    positions[4 * i + 0] = 0, positions[4 * i + 1] = 0;
    positions[4 * i + 2] = 4, positions[4 * i + 3] = 3;
    cut(i, 0, 0, patches + (i * K) * P * P);
    cut(i, 4, 3, patches + (i * K + 1) * P * P);
  }
  gm_data parts;
  gm_data_init(&parts);
  parts.x = patches, parts.n = n * K, parts.d = P * P, parts.channels = 1, parts.height = P, parts.width = P;
  gm_sample_options so;
  gm_sample_options_init(&so);
  so.seed = 5;
  static float out[n * D], again[n * D];
  EXPECT_OK(gm_model_complete_from_parts(m, &parts, positions, K, &so, out, n * D, ERR));
  int in_range = 1;
  for (int i = 0; i < n * D; ++i) in_range &= out[i] >= 0.0f && out[i] <= 1.0f;
  CHECK(in_range);
  /* The same seed: the same images, on any thread count; NULL options are the defaults. */
  so.threads = 2;
  EXPECT_OK(gm_model_complete_from_parts(m, &parts, positions, K, &so, again, n * D, ERR));
  CHECK(memcmp(out, again, sizeof out) == 0);
  EXPECT_OK(gm_model_complete_from_parts(m, &parts, positions, K, NULL, again, n * D, ERR));
  /* Flat rows of the right width are patches too. */
  gm_data flat = parts;
  flat.channels = 0, flat.height = 0, flat.width = 0;
  so.threads = 1;
  EXPECT_OK(gm_model_complete_from_parts(m, &flat, positions, K, &so, again, n * D, ERR));
  CHECK(memcmp(out, again, sizeof out) == 0);
  /* Another k is taken: the six patches as six images of one patch. */
  static float singles[2 * n * D];
  EXPECT_OK(gm_model_complete_from_parts(m, &parts, positions, 1, &so, singles, 2 * n * D, ERR));

  /* A patch outside the image: top or left beyond S − P, or negative. */
  positions[3] = S - P + 1;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_complete_from_parts(m, &parts, positions, K, &so, out, n * D, ERR));
  positions[3] = -1;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_complete_from_parts(m, &parts, positions, K, &so, out, n * D, ERR));
  positions[3] = 3;
  /* The wrong patch size: 2×2 patches (also as flat rows of 4 values) for a model of 4×4. */
  gm_data small_patches = parts;
  small_patches.d = 4, small_patches.height = 2, small_patches.width = 2, small_patches.n = 4;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_complete_from_parts(m, &small_patches, positions, K, &so, out, n * D, ERR));
  small_patches.channels = 0, small_patches.height = 0, small_patches.width = 0;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_complete_from_parts(m, &small_patches, positions, K, &so, out, n * D, ERR));
  gm_data wrong_layout = parts;
  wrong_layout.height = 2, wrong_layout.width = 8; /* 16 values, but not 4×4 */
  EXPECT_ERR(GM_INVALID_DATA, gm_model_complete_from_parts(m, &wrong_layout, positions, K, &so, out, n * D, ERR));
  /* k = 0, and a count that does not split into images of k. */
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_complete_from_parts(m, &parts, positions, 0, &so, out, n * D, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_complete_from_parts(m, &parts, positions, 4, &so, out, n * D, ERR));
  /* Values outside [0, 1]. */
  const float saved = patches[5];
  patches[5] = 1.5f;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_complete_from_parts(m, &parts, positions, K, &so, out, n * D, ERR));
  patches[5] = saved;
  /* NULL pointers and a small buffer. */
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_complete_from_parts(m, &parts, NULL, K, &so, out, n * D, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_complete_from_parts(m, NULL, positions, K, &so, out, n * D, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_complete_from_parts(m, &parts, positions, K, &so, NULL, n * D, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_complete_from_parts(NULL, &parts, positions, K, &so, out, n * D, ERR));
  EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_complete_from_parts(m, &parts, positions, K, &so, out, n * D - 1, ERR));
  /* puzzlegan samples nothing: it needs patches. */
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_sample(m, 1, &so, out, D, ERR));

  /* Save and load: the same images. */
  gm_buffer* bytes = NULL;
  EXPECT_OK(gm_model_save_buffer(m, &bytes, ERR));
  gm_model* back = NULL;
  if (bytes) EXPECT_OK(gm_model_load_buffer(gm_buffer_data(bytes), gm_buffer_size(bytes), &back, ERR));
  if (back) {
    EXPECT_OK(gm_model_complete_from_parts(back, &parts, positions, K, &so, again, n * D, ERR));
    CHECK(memcmp(out, again, sizeof out) == 0);
  }
  gm_model_free(back);
  gm_buffer_free(bytes);
  gm_model_free(m);

  /* Before a fit: not fitted. */
  EXPECT_OK(gm_model_create("puzzlegan", "{\"patch_size\": 4}", &m, ERR));
  EXPECT_ERR(GM_NOT_FITTED, gm_model_complete_from_parts(m, &parts, positions, K, &so, out, n * D, ERR));
  gm_model_free(m);
}

/* A kind without the verb answers unsupported, with its reason, before anything else. */
static void test_kind_without_the_verb(void) {
  gm_data data;
  gm_data_init(&data);
  float x[4 * 16];
  for (int i = 0; i < 4 * 16; ++i) x[i] = (float)((i * 7) % 3 == 0);
  data.x = x, data.n = 4, data.d = 16;
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("bernoulli", NULL, &m, ERR));
  EXPECT_OK(gm_model_fit(m, &data, NULL, ERR));
  float out[16];
  int64_t positions[2] = {0, 0};
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_complete_from_parts(m, &data, positions, 1, NULL, out, 16, ERR));
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_complete_from_parts(m, NULL, NULL, 0, NULL, NULL, 0, ERR));
  gm_error* e = NULL;
  gm_model_complete_from_parts(m, &data, positions, 1, NULL, out, 16, &e);
  CHECK(e != NULL && strstr(gm_error_message(e), "bernoulli") != NULL &&
        strstr(gm_error_message(e), "puzzlegan") != NULL);
  gm_error_free(e);
  gm_model_free(m);
}

int main(void) {
  make_images();
  test_kinds();
  test_puzzlegan();
  test_kind_without_the_verb();
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

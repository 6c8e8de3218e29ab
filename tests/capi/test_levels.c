/* M-level pixels through the C ABI, from C: gm_data.levels, gm_dataset_options.levels,
 * gm_model_levels, GM_CAP_LEVELS, and the errors a caller can get wrong. argv[1] is a
 * writable folder, argv[2] a prefix for this run's files. Prints "N passed, N failed". */
#include <math.h>
#include <stdlib.h>

#include "check.h"

static char g_path[4200];
static const char* g_dir = ".";
static const char* g_prefix = "";

static const char* tmp_path(const char* name) {
  snprintf(g_path, sizeof g_path, "%s/%s%s", g_dir, g_prefix, name);
  return g_path;
}

static gm_data level_view(const float* x, int64_t n, int64_t d, int64_t levels) {
  gm_data v;
  gm_data_init(&v);
  v.x = x;
  v.n = n;
  v.d = d;
  v.levels = levels;
  return v;
}

/* n x 4 pseudo-random levels in [0, 4) from an LCG seeded with seed. */
static void lcg_levels(float* x, int n, uint32_t seed) {
  for (int i = 0; i < n * 4; ++i) {
    seed = seed * 1103515245u + 12345u;
    x[i] = (float)((seed >> 16) % 4);
  }
}

/* Every 2x2 image of 4 levels: row k holds the base-4 digits of k. */
static float* all_images_2x2_m4(void) {
  float* x = malloc(sizeof(float) * 256 * 4);
  for (int k = 0; k < 256; ++k)
    for (int j = 0; j < 4; ++j) x[k * 4 + j] = (float)((k >> (2 * j)) & 3);
  return x;
}

static void test_categorical_from_c(void) {
  uint32_t caps = 0;
  EXPECT_OK(gm_kind_capabilities("categorical", &caps, ERR));
  CHECK((caps & GM_CAP_LEVELS) != 0);
  CHECK((caps & GM_CAP_BINARY_DATA) == 0);

  /* Train on 64 pseudo-random images, then sum exp(log_prob) over all 256. */
  float train[64 * 4];
  lcg_levels(train, 64, 12345u);
  gm_data data = level_view(train, 64, 4, 4);
  data.channels = 1, data.height = 2, data.width = 2;
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("categorical", "{\"alpha\": 0.5}", &m, ERR));
  int64_t levels = -1;
  EXPECT_OK(gm_model_levels(m, &levels, ERR));
  CHECK(levels == 2);
  EXPECT_OK(gm_model_fit(m, &data, NULL, ERR));
  EXPECT_OK(gm_model_levels(m, &levels, ERR));
  CHECK(levels == 4);

  float* all = all_images_2x2_m4();
  gm_data every = level_view(all, 256, 4, 4);
  double lp[256];
  EXPECT_OK(gm_model_log_prob(m, &every, NULL, lp, 256, ERR));
  double total = 0.0;
  for (int k = 0; k < 256; ++k) total += exp(lp[k]);
  CHECK(fabs(total - 1.0) < 1e-9);
  /* Not stating the levels: the model's own. */
  every.levels = 0;
  EXPECT_OK(gm_model_log_prob(m, &every, NULL, lp, 256, ERR));
  /* Stating other levels, or values outside them. */
  every.levels = 5;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_log_prob(m, &every, NULL, lp, 256, ERR));
  every.levels = 300;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_log_prob(m, &every, NULL, lp, 256, ERR));
  float bad[4] = {0, 1, 4, 2};
  gm_data badv = level_view(bad, 1, 4, 4);
  EXPECT_ERR(GM_INVALID_DATA, gm_model_log_prob(m, &badv, NULL, lp, 1, ERR));
  bad[2] = 2.5f;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_log_prob(m, &badv, NULL, lp, 1, ERR));

  /* Samples are levels; a save / load round trip keeps M. */
  float out[100 * 4];
  EXPECT_OK(gm_model_sample(m, 100, NULL, out, 400, ERR));
  int in_range = 1;
  for (int i = 0; i < 400; ++i) in_range &= out[i] >= 0 && out[i] <= 3 && out[i] == floorf(out[i]);
  CHECK(in_range);
  EXPECT_OK(gm_model_save(m, tmp_path("levels.safetensors"), ERR));
  gm_model* loaded = NULL;
  EXPECT_OK(gm_model_load(tmp_path("levels.safetensors"), &loaded, ERR));
  EXPECT_OK(gm_model_levels(loaded, &levels, ERR));
  CHECK(levels == 4);
  remove(tmp_path("levels.safetensors"));

  /* A PNG grid of level data. */
  gm_data img = level_view(out, 16, 4, 4);
  img.channels = 1, img.height = 2, img.width = 2;
  EXPECT_OK(gm_png_grid_write(tmp_path("levels.png"), &img, 0, ERR));
  remove(tmp_path("levels.png"));

  /* A caller compiled against the header before levels existed: its gm_data ends at
   * condition_dim, and the library does not read past it. */
  gm_data old;
  gm_data_init_sized(&old, (uint32_t)offsetof(gm_data, levels));
  old.x = all;
  old.n = 256;
  old.d = 4;
  EXPECT_OK(gm_model_log_prob(loaded, &old, NULL, lp, 256, ERR));

  gm_model_free(loaded);
  gm_model_free(m);
  free(all);
}

/* pixelcnn through the C ABI: fit on 2x2 images of 4 levels, exp(log_prob) sums to 1 over all
 * 256 images, samples are levels, complete keeps the observed pixels. */
static void test_pixelcnn_from_c(void) {
  float train[64 * 4];
  lcg_levels(train, 64, 777u);
  gm_data data = level_view(train, 64, 4, 4);
  data.channels = 1, data.height = 2, data.width = 2;
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("pixelcnn", "{\"channels\": 4, \"layers\": 1, \"first_kernel\": 3}", &m, ERR));
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 3;
  fo.batch_size = 16;
  EXPECT_OK(gm_model_fit(m, &data, &fo, ERR));
  int64_t levels = 0;
  EXPECT_OK(gm_model_levels(m, &levels, ERR));
  CHECK(levels == 4);
  float* all = all_images_2x2_m4();
  gm_data every = level_view(all, 256, 4, 4);
  every.channels = 1, every.height = 2, every.width = 2;
  double lp[256];
  EXPECT_OK(gm_model_log_prob(m, &every, NULL, lp, 256, ERR));
  double total = 0.0;
  for (int k = 0; k < 256; ++k) total += exp(lp[k]);
  CHECK(fabs(total - 1.0) < 1e-5);
  float out[16 * 4];
  EXPECT_OK(gm_model_sample(m, 16, NULL, out, 64, ERR));
  int in_range = 1;
  for (int i = 0; i < 64; ++i) in_range &= out[i] >= 0 && out[i] <= 3 && out[i] == floorf(out[i]);
  CHECK(in_range);
  uint8_t observed[4 * 4];
  for (int i = 0; i < 16; ++i) observed[i] = (uint8_t)(i % 4 != 3); /* the last pixel hidden */
  gm_data four = level_view(all + 4 * 100, 4, 4, 4);
  EXPECT_OK(gm_model_complete(m, &four, observed, NULL, out, 16, ERR));
  int kept = 1;
  for (int i = 0; i < 16; ++i) kept &= !observed[i] || out[i] == all[4 * 100 + i];
  CHECK(kept);
  gm_model_free(m);
  free(all);
}

static void test_datasets_with_levels(void) {
  gm_dataset_options o;
  gm_dataset_options_init(&o);
  CHECK(o.levels == 0);
  o.levels = 4;
  gm_dataset* ds = NULL;
  EXPECT_OK(gm_dataset_load("builtin:bars-and-stripes:3", &o, &ds, ERR));
  gm_data v;
  EXPECT_OK(gm_dataset_view(ds, &v, ERR));
  CHECK(v.levels == 4);
  int levels_ok = 1;
  for (int64_t i = 0; i < v.n * v.d; ++i) levels_ok &= v.x[i] == 0.0f || v.x[i] == 3.0f; /* 1 -> min(3, 4) */
  CHECK(levels_ok);

  /* Binary and real-valued kinds refuse M-level data with a message naming the way out. */
  gm_model* b = NULL;
  EXPECT_OK(gm_model_create("bernoulli", NULL, &b, ERR));
  EXPECT_ERR(GM_INVALID_DATA, gm_model_fit(b, &v, NULL, ERR));
  int64_t levels = -1;
  EXPECT_OK(gm_model_levels(b, &levels, ERR));
  CHECK(levels == 2);
  gm_model* vae = NULL; /* the Bernoulli decoder's vae is a binary kind */
  EXPECT_OK(gm_model_create("vae", "{\"hidden\": [4], \"latent\": 2}", &vae, ERR));
  EXPECT_ERR(GM_INVALID_DATA, gm_model_fit(vae, &v, NULL, ERR));
  EXPECT_OK(gm_model_levels(vae, &levels, ERR));
  CHECK(levels == 2);
  gm_model_free(vae);
  vae = NULL; /* the Gaussian decoder's models real values */
  EXPECT_OK(gm_model_create("vae", "{\"hidden\": [4], \"latent\": 2, \"decoder\": \"gaussian\"}", &vae, ERR));
  EXPECT_ERR(GM_INVALID_DATA, gm_model_fit(vae, &v, NULL, ERR));
  EXPECT_OK(gm_model_levels(vae, &levels, ERR));
  CHECK(levels == 0);
  gm_dataset_free(ds);

  /* levels = 2 is binarize at 0.5, and any kind of binary data takes it. */
  o.levels = 2;
  EXPECT_OK(gm_dataset_load("builtin:bars-and-stripes:3", &o, &ds, ERR));
  EXPECT_OK(gm_dataset_view(ds, &v, ERR));
  CHECK(v.levels == 2);
  EXPECT_OK(gm_model_fit(b, &v, NULL, ERR));
  gm_dataset_free(ds);

  /* Option errors. */
  o.levels = 1;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_dataset_load("builtin:bars-and-stripes:3", &o, &ds, ERR));
  o.levels = 257;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_dataset_load("builtin:bars-and-stripes:3", &o, &ds, ERR));
  o.levels = 4;
  o.binarize = 0.5;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_dataset_load("builtin:bars-and-stripes:3", &o, &ds, ERR));
  gm_model_free(b);
  gm_model_free(vae);
}

int main(int argc, char** argv) {
  if (argc > 1) g_dir = argv[1];
  if (argc > 2) g_prefix = argv[2];
  test_categorical_from_c();
  test_pixelcnn_from_c();
  test_datasets_with_levels();
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

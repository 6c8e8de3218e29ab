/* Drives the whole C ABI from C, including every error path. Closing line:
 * "N passed, N failed". argv[1] is a writable folder for model files. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <genmodels/genmodels.h>

#include "check.h"

static char g_tmp[4096];
/* argv[2]: a prefix for the files of this run, so that two variants (shared, static) run
 * side by side in one folder without reading each other's half-written files. */
static char g_prefix[64];

static const char* tmp_path(const char* name) {
  static char path[4200];
  snprintf(path, sizeof path, "%s/%s%s", g_tmp, g_prefix, name);
  return path;
}

/* All 2^d binary vectors, row k holding the bits of k. */
static float* all_binary(int d) {
  const int64_t n = (int64_t)1 << d;
  float* x = malloc(sizeof(float) * (size_t)(n * d));
  for (int64_t k = 0; k < n; ++k)
    for (int j = 0; j < d; ++j) x[k * d + j] = (float)((k >> j) & 1);
  return x;
}

static gm_data view(const float* x, int64_t n, int64_t d) {
  gm_data v;
  gm_data_init(&v);
  v.x = x;
  v.n = n;
  v.d = d;
  return v;
}

static void test_library(void) {
  CHECK(strlen(gm_version()) >= 5);
  CHECK(gm_abi_version() == GM_ABI_VERSION);
  CHECK(gm_build_info()[0] == '{');
  CHECK(strstr(gm_build_info(), "onednn") != NULL);
  CHECK(strcmp(gm_status_name(GM_CORRUPT_FILE), "GM_CORRUPT_FILE") == 0);
  CHECK(strcmp(gm_status_name(12345), "GM_UNKNOWN_STATUS") == 0);
  CHECK(gm_error_code(NULL) == GM_INTERNAL);
  CHECK(strcmp(gm_error_message(NULL), "") == 0);
  gm_error_free(NULL);
  gm_buffer_free(NULL);
  gm_model_free(NULL);
  gm_dataset_free(NULL);
  CHECK(gm_model_kind(NULL) == NULL);
  CHECK(gm_buffer_data(NULL) == NULL && gm_buffer_size(NULL) == 0);

  gm_buffer* kinds = NULL;
  EXPECT_OK(gm_kinds_json(&kinds, ERR));
  CHECK(kinds && strstr((const char*)gm_buffer_data(kinds), "\"markov\"") != NULL);
  CHECK(kinds && gm_buffer_size(kinds) == (int64_t)strlen((const char*)gm_buffer_data(kinds)));
  gm_buffer_free(kinds);
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_kinds_json(NULL, ERR));

  uint32_t caps = 0;
  EXPECT_OK(gm_kind_capabilities("markov", &caps, ERR));
  CHECK((caps & GM_CAP_LOG_PROB) && (caps & GM_CAP_EXACT_LOG_PROB) && (caps & GM_CAP_COMPLETE));
  CHECK(!(caps & GM_CAP_ENCODE));
  EXPECT_ERR(GM_UNKNOWN_KIND, gm_kind_capabilities("nonesuch", &caps, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_kind_capabilities(NULL, &caps, ERR));
  /* err may be NULL: the status alone still tells. */
  CHECK(gm_kind_capabilities("nonesuch", &caps, NULL) == GM_UNKNOWN_KIND);

  /* Only the image-to-image kinds translate (tests/capi/test_translate.c); these do not */
  const char* const kinds_known[] = {"bernoulli", "markov", "fvsbn", "nade", "vae", "gan", "dcgan", "cgan", "infogan"};
  for (size_t i = 0; i < sizeof kinds_known / sizeof kinds_known[0]; ++i) {
    EXPECT_OK(gm_kind_capabilities(kinds_known[i], &caps, ERR));
    CHECK(caps != 0 && !(caps & GM_CAP_TRANSLATE));
  }

  /* the typed enums keep the numbers the macros had, and the names still #ifdef */
  gm_status st = GM_VERSION_MISMATCH;
  gm_capability cap = GM_CAP_EXACT_LOG_PROB;
  gm_condition_kind ck = GM_CONDITION_TEXT;
  CHECK(GM_OK == 0 && GM_INVALID_ARGUMENT == 1 && st == 13 && GM_INTERNAL == 99);
  CHECK(GM_CAP_FIT == 1u && GM_CAP_TRANSLATE == (1u << 6) && cap == (1u << 9));
  CHECK(GM_CONDITION_NONE == 0 && GM_CONDITION_LABEL == 1 && GM_CONDITION_VECTOR == 2 && ck == 3);
#if !defined(GM_OK) || !defined(GM_CAP_TRANSLATE) || !defined(GM_CONDITION_TEXT)
  CHECK(!"the enumerators are #defined to themselves");
#endif
}

/* gm_model_condition on unfitted models: the kind from the configuration, the size once known. */
static void test_condition_query(void) {
  int32_t kind = -1;
  int64_t dim = -1;
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("markov", NULL, &m, ERR));
  EXPECT_OK(gm_model_condition(m, &kind, &dim, ERR));
  CHECK(kind == GM_CONDITION_NONE && dim == 0);
  gm_model_free(m);
  EXPECT_OK(gm_model_create("cgan", "{\"condition\": \"vector\", \"condition_dim\": 5}", &m, ERR));
  EXPECT_OK(gm_model_condition(m, &kind, &dim, ERR));
  CHECK(kind == GM_CONDITION_VECTOR && dim == 5);
  gm_model_free(m);
  EXPECT_OK(gm_model_create("cgan", NULL, &m, ERR));
  EXPECT_OK(gm_model_condition(m, &kind, &dim, ERR));
  CHECK(kind == GM_CONDITION_LABEL && dim == 0); /* classes come from the labels at fit */
  gm_model_free(m);
  EXPECT_OK(gm_model_create("infogan", NULL, &m, ERR)); /* codes, not conditions */
  EXPECT_OK(gm_model_condition(m, &kind, &dim, ERR));
  CHECK(kind == GM_CONDITION_NONE);
  gm_model_free(m);
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_condition(NULL, &kind, &dim, ERR));
}

/* pixelcnn is label-conditional only with "conditional": true; its classes once known. */
static void test_pixelcnn_condition(void) {
  int32_t kind = -1;
  int64_t dim = -1;
  uint32_t caps = 0;
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("pixelcnn", NULL, &m, ERR));
  EXPECT_OK(gm_model_condition(m, &kind, &dim, ERR));
  CHECK(kind == GM_CONDITION_NONE && dim == 0);
  EXPECT_OK(gm_model_capabilities(m, &caps, ERR));
  CHECK((caps & GM_CAP_CONDITIONAL) == 0);
  gm_model_free(m);
  EXPECT_OK(gm_model_create("pixelcnn", "{\"conditional\": true, \"classes\": 10}", &m, ERR));
  EXPECT_OK(gm_model_condition(m, &kind, &dim, ERR));
  CHECK(kind == GM_CONDITION_LABEL && dim == 10);
  EXPECT_OK(gm_model_capabilities(m, &caps, ERR));
  CHECK((caps & GM_CAP_CONDITIONAL) != 0);
  gm_model_free(m);
}

/* The deprecated names issue 11 replaced still link and behave like the new ones. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
static void test_deprecated_aliases(void) {
  gm_eval_options old_opts;
  gm_score_options new_opts;
  memset(&old_opts, 0x5A, sizeof old_opts);
  memset(&new_opts, 0xA5, sizeof new_opts);
  gm_eval_options_init(&old_opts);
  gm_score_options_init(&new_opts);
  CHECK(old_opts.struct_size == sizeof(gm_score_options) && old_opts.samples == new_opts.samples &&
        old_opts.seed == new_opts.seed && old_opts.threads == new_opts.threads);
  gm_eval_options small;
  memset(&small, 0x5A, sizeof small);
  gm_eval_options_init_sized(&small, (uint32_t)offsetof(gm_eval_options, samples));
  CHECK(small.struct_size == offsetof(gm_eval_options, samples) && small.threads == 0);

  float v[16], w[16];
  EXPECT_OK(gm_text_features("a pair of trousers", 16, v, ERR));
  EXPECT_OK(gm_text_features_compute("a pair of trousers", 16, w, ERR));
  CHECK(memcmp(v, w, sizeof v) == 0);
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_text_features("x", 0, v, ERR));

  float x[4] = {1, 0, 0, 1};
  gm_data img = view(x, 1, 4);
  img.channels = 1, img.height = 2, img.width = 2;
  EXPECT_OK(gm_write_png_grid(tmp_path("old_name.png"), &img, 0, ERR));
  img.channels = img.height = img.width = 0;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_write_png_grid(tmp_path("old_name_flat.png"), &img, 0, ERR));
}
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

static void test_create_errors(void) {
  gm_model* m = (gm_model*)&m; /* garbage that create must overwrite with NULL */
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_create(NULL, NULL, &m, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_create("markov", NULL, NULL, ERR));
  EXPECT_ERR(GM_UNKNOWN_KIND, gm_model_create("markow", NULL, &m, ERR));
  CHECK(m == NULL);
  EXPECT_ERR(GM_INVALID_CONFIG, gm_model_create("markov", "{order: 2", &m, ERR));
  EXPECT_ERR(GM_INVALID_CONFIG, gm_model_create("markov", "[2]", &m, ERR));
  EXPECT_ERR(GM_INVALID_CONFIG, gm_model_create("markov", "{\"ordr\": 2}", &m, ERR));
  EXPECT_ERR(GM_INVALID_CONFIG, gm_model_create("markov", "{\"order\": 0}", &m, ERR));
  EXPECT_ERR(GM_INVALID_CONFIG, gm_model_create("bernoulli", "{\"alpha\": -1}", &m, ERR));
  EXPECT_ERR(GM_INVALID_CONFIG, gm_model_create("bernoulli", "{\"alpha\": \"one\"}", &m, ERR));

  EXPECT_OK(gm_model_create("markov", "{\"order\": 2}", &m, ERR));
  CHECK(m != NULL && strcmp(gm_model_kind(m), "markov") == 0);
  gm_buffer* cfg = NULL;
  EXPECT_OK(gm_model_config_json(m, &cfg, ERR));
  CHECK(cfg && strstr((const char*)gm_buffer_data(cfg), "\"order\":2") != NULL);
  CHECK(cfg && strstr((const char*)gm_buffer_data(cfg), "\"alpha\"") != NULL);
  gm_buffer_free(cfg);

  /* An unfitted model answers queries but refuses the verbs that need parameters. */
  int32_t fitted = -1;
  EXPECT_OK(gm_model_is_fitted(m, &fitted, ERR));
  CHECK(fitted == 0);
  float out[16];
  EXPECT_ERR(GM_NOT_FITTED, gm_model_sample(m, 1, NULL, out, 16, ERR));
  EXPECT_ERR(GM_NOT_FITTED, gm_model_save(m, tmp_path("unfitted.safetensors"), ERR));
  gm_buffer* bytes = NULL;
  EXPECT_ERR(GM_NOT_FITTED, gm_model_save_buffer(m, &bytes, ERR));
  gm_model_free(m);

  /* NULL handles everywhere. */
  uint32_t caps;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_capabilities(NULL, &caps, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(NULL, 1, NULL, out, 16, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_fit(NULL, NULL, NULL, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_save(NULL, tmp_path("x"), ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_config_json(NULL, &bytes, ERR));
  /* A NULL out on a live model: refused, and nothing leaks (issue 12; the ASan run checks). */
  gm_model* live = NULL;
  EXPECT_OK(gm_model_create("bernoulli", NULL, &live, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_config_json(live, NULL, ERR));
  gm_model_free(live);
}

static gm_model* fit_bars(const char* kind, const char* config) {
  gm_dataset* ds = NULL;
  gm_model* m = NULL;
  gm_data data;
  EXPECT_OK(gm_dataset_load("builtin:bars-and-stripes:3", NULL, &ds, ERR));
  EXPECT_OK(gm_dataset_view(ds, &data, ERR));
  CHECK(data.n == 14 && data.d == 9 && data.height == 3 && data.width == 3);
  EXPECT_OK(gm_model_create(kind, config, &m, ERR));
  gm_fit_options opts;
  gm_fit_options_init(&opts);
  opts.seed = 3;
  EXPECT_OK(gm_model_fit(m, &data, &opts, ERR));
  gm_dataset_free(ds);
  return m;
}

/* Σ exp(log_prob) over all 2^9 inputs is 1. */
static void check_normalised(gm_model* m) {
  float* x = all_binary(9);
  double* lp = malloc(sizeof(double) * 512);
  gm_data v = view(x, 512, 9);
  EXPECT_OK(gm_model_log_prob(m, &v, NULL, lp, 512, ERR));
  double total = 0;
  for (int k = 0; k < 512; ++k) total += exp(lp[k]);
  CHECK(fabs(total - 1.0) < 1e-9);
  free(lp);
  free(x);
}

static void test_fitted_verbs(const char* kind, const char* config) {
  gm_model* m = fit_bars(kind, config);
  check_normalised(m);

  int64_t d = 0, c = 0, h = 0, w = 0;
  EXPECT_OK(gm_model_data_shape(m, &d, &c, &h, &w, ERR));
  CHECK(d == 9 && c == 1 && h == 3 && w == 3);

  /* sample: capacity, range, seeds */
  float a[9 * 200], b[9 * 200];
  gm_sample_options so;
  gm_sample_options_init(&so);
  so.seed = 11;
  EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_sample(m, 200, &so, a, 9 * 200 - 1, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, -1, &so, a, 9 * 200, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, 200, &so, NULL, 9 * 200, ERR));
  EXPECT_OK(gm_model_sample(m, 200, &so, a, 9 * 200, ERR));
  EXPECT_OK(gm_model_sample(m, 200, &so, b, 9 * 200, ERR));
  CHECK(memcmp(a, b, sizeof a) == 0);
  int binary = 1;
  for (int i = 0; i < 9 * 200; ++i) binary &= (a[i] == 0.0f || a[i] == 1.0f);
  CHECK(binary);
  so.seed = 12;
  EXPECT_OK(gm_model_sample(m, 200, &so, b, 9 * 200, ERR));
  CHECK(memcmp(a, b, sizeof a) != 0);
  so.threads = -1;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, 1, &so, a, 9, ERR));
  so.struct_size = 0;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, 1, &so, a, 9, ERR));

  /* log_prob: bad inputs */
  double lp[4];
  float x[4 * 9] = {0};
  gm_data v = view(x, 4, 9);
  EXPECT_OK(gm_model_log_prob(m, &v, NULL, lp, 4, ERR));
  EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_log_prob(m, &v, NULL, lp, 3, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_log_prob(m, &v, NULL, NULL, 4, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_log_prob(m, NULL, NULL, lp, 4, ERR));
  gm_data wrong = view(x, 4, 8);
  EXPECT_ERR(GM_INVALID_DATA, gm_model_log_prob(m, &wrong, NULL, lp, 4, ERR));
  gm_data no_x = view(NULL, 4, 9);
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_log_prob(m, &no_x, NULL, lp, 4, ERR));
  gm_data bad_shape = view(x, 4, 9);
  bad_shape.channels = 1, bad_shape.height = 2, bad_shape.width = 2;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_log_prob(m, &bad_shape, NULL, lp, 4, ERR));
  gm_data old = view(x, 4, 9);
  old.struct_size = 4;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_log_prob(m, &old, NULL, lp, 4, ERR));
  x[5] = NAN;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_log_prob(m, &v, NULL, lp, 4, ERR));
  x[5] = 0.5f;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_log_prob(m, &v, NULL, lp, 4, ERR));
  x[5] = 0.0f;
  int32_t labels[4] = {0, 1, 2, 7};
  gm_data labelled = view(x, 4, 9);
  labelled.labels = labels;
  labelled.num_classes = 3;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_log_prob(m, &labelled, NULL, lp, 4, ERR));
  labelled.num_classes = 0;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_log_prob(m, &labelled, NULL, lp, 4, ERR));
  /* an image layout other than the model's 1x3x3 is GM_INVALID_DATA (the message names
   * both); flat rows of the right width, and the model's own layout, are accepted */
  gm_data strip = view(x, 4, 9);
  strip.channels = 1, strip.height = 1, strip.width = 9;
  {
    gm_error* e = NULL;
    CHECK(gm_model_log_prob(m, &strip, NULL, lp, 4, &e) == GM_INVALID_DATA);
    CHECK(e && strstr(gm_error_message(e), "1x1x9") && strstr(gm_error_message(e), "1x3x3"));
    gm_error_free(e);
  }
  gm_data square = view(x, 4, 9);
  square.channels = 1, square.height = 3, square.width = 3;
  EXPECT_OK(gm_model_log_prob(m, &square, NULL, lp, 4, ERR));
  EXPECT_OK(gm_model_log_prob(m, &v, NULL, lp, 4, ERR));
  /* zero rows is fine and writes nothing */
  gm_data empty = view(x, 0, 9);
  EXPECT_OK(gm_model_log_prob(m, &empty, NULL, NULL, 0, ERR));

  /* encode / decode are not verbs of the closed-form kinds */
  float f[64];
  int64_t width;
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_encode(m, &v, NULL, f, 64, ERR));
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_encode_dim(m, &width, ERR));
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_latent_dim(m, &width, ERR));
  gm_data codes = view(f, 1, 2);
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_decode(m, &codes, NULL, f, 64, ERR));

  /* complete: observed entries stay, the rest is drawn; NaN marks missing values */
  float partial[2 * 9] = {1, 1, 1, NAN, NAN, NAN, NAN, NAN, NAN, 0, NAN, 0, NAN, 1, NAN, 0, NAN, 0};
  uint8_t mask[2 * 9] = {1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1};
  float filled[2 * 9];
  gm_data pv = view(partial, 2, 9);
  gm_sample_options_init(&so);
  EXPECT_OK(gm_model_complete(m, &pv, mask, &so, filled, 18, ERR));
  int kept = 1, bin = 1;
  for (int i = 0; i < 18; ++i) {
    if (mask[i]) kept &= filled[i] == partial[i];
    bin &= filled[i] == 0.0f || filled[i] == 1.0f;
  }
  CHECK(kept && bin);
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_complete(m, &pv, NULL, &so, filled, 18, ERR));
  EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_complete(m, &pv, mask, &so, filled, 17, ERR));
  pv.channels = 3, pv.height = 3, pv.width = 1;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_complete(m, &pv, mask, &so, filled, 18, ERR));
  pv.channels = 0, pv.height = 0, pv.width = 0;
  partial[0] = 0.25f;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_complete(m, &pv, mask, &so, filled, 18, ERR));

  /* fit errors */
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 0;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_fit(m, &v, &fo, ERR));
  gm_fit_options_init(&fo);
  x[3] = 2.0f;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_fit(m, &v, &fo, ERR));
  gm_data none = view(x, 0, 9);
  EXPECT_ERR(GM_INVALID_DATA, gm_model_fit(m, &none, &fo, ERR));
  check_normalised(m); /* failed fits leave the model as it was */
  gm_model_free(m);
}

static int cancel_at_first(int64_t step, int64_t total, double loss, void* user) {
  (void)step, (void)total, (void)loss;
  ++*(int*)user;
  return 1;
}

static void test_cancel(void) {
  gm_dataset* ds = NULL;
  gm_data data;
  gm_model* m = NULL;
  EXPECT_OK(gm_dataset_load("builtin:bars-and-stripes:3", NULL, &ds, ERR));
  EXPECT_OK(gm_dataset_view(ds, &data, ERR));
  EXPECT_OK(gm_model_create("markov", NULL, &m, ERR));
  int calls = 0;
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.progress = cancel_at_first;
  fo.user_data = &calls;
  EXPECT_ERR(GM_CANCELLED, gm_model_fit(m, &data, &fo, ERR));
  CHECK(calls == 1);
  int32_t fitted = -1;
  EXPECT_OK(gm_model_is_fitted(m, &fitted, ERR));
  CHECK(fitted == 0);
  gm_model_free(m);
  gm_dataset_free(ds);
}

static void test_files(void) {
  gm_model* m = fit_bars("markov", "{\"order\": 2, \"alpha\": 0.5}");
  float* x = all_binary(9);
  gm_data v = view(x, 512, 9);
  double lp1[512], lp2[512];
  EXPECT_OK(gm_model_log_prob(m, &v, NULL, lp1, 512, ERR));

  /* file round trip */
  const char* path = tmp_path("capi_markov.safetensors");
  EXPECT_OK(gm_model_save(m, path, ERR));
  gm_model* loaded = NULL;
  EXPECT_OK(gm_model_load(path, &loaded, ERR));
  EXPECT_OK(gm_model_log_prob(loaded, &v, NULL, lp2, 512, ERR));
  CHECK(memcmp(lp1, lp2, sizeof lp1) == 0);
  float s1[9 * 50], s2[9 * 50];
  EXPECT_OK(gm_model_sample(m, 50, NULL, s1, 450, ERR));
  EXPECT_OK(gm_model_sample(loaded, 50, NULL, s2, 450, ERR));
  CHECK(memcmp(s1, s2, sizeof s1) == 0);

  /* buffer round trip, and saving the loaded model gives the same bytes */
  gm_buffer* b1 = NULL;
  gm_buffer* b2 = NULL;
  EXPECT_OK(gm_model_save_buffer(m, &b1, ERR));
  EXPECT_OK(gm_model_save_buffer(loaded, &b2, ERR));
  CHECK(gm_buffer_size(b1) == gm_buffer_size(b2) &&
        memcmp(gm_buffer_data(b1), gm_buffer_data(b2), (size_t)gm_buffer_size(b1)) == 0);
  gm_model* from_buf = NULL;
  EXPECT_OK(gm_model_load_buffer(gm_buffer_data(b1), gm_buffer_size(b1), &from_buf, ERR));
  EXPECT_OK(gm_model_log_prob(from_buf, &v, NULL, lp2, 512, ERR));
  CHECK(memcmp(lp1, lp2, sizeof lp1) == 0);
  gm_model_free(from_buf);

  /* truncated at every length: always GM_CORRUPT_FILE, never a crash */
  const int64_t size = gm_buffer_size(b1);
  int all_corrupt = 1;
  for (int64_t cut = 0; cut < size; ++cut) {
    gm_model* t = NULL;
    gm_error* e = NULL;
    int32_t s = gm_model_load_buffer(gm_buffer_data(b1), cut, &t, &e);
    all_corrupt &= (s == GM_CORRUPT_FILE && t == NULL && gm_error_code(e) == GM_CORRUPT_FILE);
    gm_error_free(e);
    gm_model_free(t);
  }
  CHECK(all_corrupt);

  /* a corrupted copy on disk: a probability outside (0,1) in the tensor data */
  uint8_t* bad = malloc((size_t)size);
  memcpy(bad, gm_buffer_data(b1), (size_t)size);
  memset(bad + size - 8, 0xff, 8); /* last f64 becomes NaN */
  gm_model* t = NULL;
  EXPECT_ERR(GM_CORRUPT_FILE, gm_model_load_buffer(bad, size, &t, ERR));
  CHECK(t == NULL);
  FILE* f = fopen(tmp_path("truncated.safetensors"), "wb");
  fwrite(gm_buffer_data(b1), 1, (size_t)size / 2, f);
  fclose(f);
  EXPECT_ERR(GM_CORRUPT_FILE, gm_model_load(tmp_path("truncated.safetensors"), &t, ERR));
  memcpy(bad, gm_buffer_data(b1), (size_t)size);
  bad[8] = '['; /* header no longer a JSON object */
  EXPECT_ERR(GM_CORRUPT_FILE, gm_model_load_buffer(bad, size, &t, ERR));
  free(bad);
  EXPECT_ERR(GM_IO_ERROR, gm_model_load(tmp_path("does-not-exist.safetensors"), &t, ERR));
  EXPECT_ERR(GM_IO_ERROR, gm_model_save(m, "/nonexistent-folder/m.safetensors", ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_load(NULL, &t, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_load_buffer(NULL, 10, &t, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_load_buffer(gm_buffer_data(b1), -1, &t, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_save_buffer(m, NULL, ERR));

  gm_buffer_free(b1);
  gm_buffer_free(b2);
  gm_model_free(loaded);
  gm_model_free(m);
  free(x);
}

/* An "old caller" whose structs end early: the sized initialisers must not write past them. */
static void test_sized_init(void) {
  struct {
    gm_fit_options prefix_holder;
    unsigned char guard[64];
  } buf;
  memset(&buf, 0xAB, sizeof buf);
  const uint32_t old_size = (uint32_t)offsetof(gm_fit_options, validation_fraction);
  gm_fit_options_init_sized(&buf.prefix_holder, old_size);
  const unsigned char* bytes = (const unsigned char*)&buf.prefix_holder;
  int untouched = 1;
  for (size_t i = old_size; i < sizeof buf; ++i) untouched &= bytes[i] == 0xAB;
  CHECK(untouched);
  CHECK(buf.prefix_holder.struct_size == old_size && buf.prefix_holder.epochs == 10);

  gm_data view_buf[2];
  memset(view_buf, 0xCD, sizeof view_buf);
  gm_dataset* ds = NULL;
  EXPECT_OK(gm_dataset_load("builtin:bars-and-stripes:3", NULL, &ds, ERR));
  const uint32_t small = (uint32_t)offsetof(gm_data, channels);
  EXPECT_OK(gm_dataset_view_sized(ds, &view_buf[0], small, ERR));
  CHECK(view_buf[0].n == 14 && view_buf[0].d == 9 && view_buf[0].struct_size == small);
  CHECK(((const unsigned char*)&view_buf[0])[small] == 0xCD);
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_dataset_view_sized(ds, &view_buf[0], 4, ERR));
  gm_dataset_free(ds);
  /* a model fitted with the old-size options works */
  gm_model* m = NULL;
  gm_data data;
  gm_dataset* ds2 = NULL;
  EXPECT_OK(gm_dataset_load("builtin:bars-and-stripes:3", NULL, &ds2, ERR));
  EXPECT_OK(gm_dataset_view(ds2, &data, ERR));
  EXPECT_OK(gm_model_create("markov", NULL, &m, ERR));
  EXPECT_OK(gm_model_fit(m, &data, &buf.prefix_holder, ERR));
  gm_model_free(m);
  gm_dataset_free(ds2);
}

static void test_datasets(void) {
  gm_dataset* ds = NULL;
  gm_data data;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_dataset_load("nonsense:spec", NULL, &ds, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_dataset_load(NULL, NULL, &ds, ERR));
  EXPECT_ERR(GM_IO_ERROR, gm_dataset_load("idx:/nonexistent/images.gz", NULL, &ds, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_dataset_view(NULL, &data, ERR));

  gm_dataset_options opts;
  gm_dataset_options_init(&opts);
  opts.max_examples = 5;
  EXPECT_OK(gm_dataset_load("builtin:bars-and-stripes:4", &opts, &ds, ERR));
  EXPECT_OK(gm_dataset_view(ds, &data, ERR));
  CHECK(data.n == 5 && data.d == 16);
  EXPECT_OK(gm_png_grid_write(tmp_path("bars.png"), &data, 0, ERR));
  FILE* f = fopen(tmp_path("bars.png"), "rb");
  unsigned char sig[8] = {0};
  CHECK(f && fread(sig, 1, 8, f) == 8 && sig[1] == 'P' && sig[2] == 'N' && sig[3] == 'G');
  if (f) fclose(f);
  gm_data flat = data;
  flat.channels = flat.height = flat.width = 0;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_png_grid_write(tmp_path("flat.png"), &flat, 0, ERR));
  gm_dataset_free(ds);

  /* binarised grey images */
  gm_dataset_options_init(&opts);
  opts.binarize = 0.5;
  opts.max_examples = 100;
  if (gm_dataset_load("fashion-mnist:test", &opts, &ds, NULL) == GM_OK) {
    EXPECT_OK(gm_dataset_view(ds, &data, ERR));
    int bin = data.n == 100 && data.d == 784 && data.num_classes == 10 && data.labels != NULL;
    for (int64_t i = 0; i < data.n * data.d; ++i) bin &= data.x[i] == 0.0f || data.x[i] == 1.0f;
    CHECK(bin);
    gm_dataset_free(ds);
  } else {
    printf("note: fashion-mnist is not installed; skipped its check\n");
  }
}

static int cancel_at_third(int64_t step, int64_t total, double loss, void* user) {
  int* calls = (int*)user;
  ++*calls;
  if (total != 10 || !(loss > 0) || step != *calls) *calls = -1000; /* flags a wrong report */
  return step == 3;
}

/* A gradient-trained kind through the ABI: fit with progress, cancel mid-fit, normalisation,
 * and encode/decode shapes where the kind has them. */
static void test_trained_kind(const char* kind, const char* config, int exact) {
  gm_dataset* ds = NULL;
  gm_data data;
  gm_model* m = NULL;
  EXPECT_OK(gm_dataset_load("builtin:bars-and-stripes:3", NULL, &ds, ERR));
  EXPECT_OK(gm_dataset_view(ds, &data, ERR));
  EXPECT_OK(gm_model_create(kind, config, &m, ERR));
  uint32_t caps = 0;
  EXPECT_OK(gm_model_capabilities(m, &caps, ERR));

  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 5;
  fo.batch_size = 7; /* 14 rows: 2 steps an epoch, 10 in all */
  fo.learning_rate = 0.01;
  int calls = 0;
  fo.progress = cancel_at_third;
  fo.user_data = &calls;
  EXPECT_ERR(GM_CANCELLED, gm_model_fit(m, &data, &fo, ERR));
  CHECK(calls == 3);
  fo.progress = NULL;
  fo.epochs = 50;
  EXPECT_OK(gm_model_fit(m, &data, &fo, ERR));
  if (exact) {
    float* x = all_binary(9);
    double* lp = malloc(sizeof(double) * 512);
    gm_data v = view(x, 512, 9);
    EXPECT_OK(gm_model_log_prob(m, &v, NULL, lp, 512, ERR));
    double total = 0;
    for (int k = 0; k < 512; ++k) total += exp(lp[k]);
    CHECK(fabs(total - 1.0) < 1e-5);
    free(lp);
    free(x);
  }
  if (caps & GM_CAP_ENCODE) {
    int64_t width = 0;
    EXPECT_OK(gm_model_encode_dim(m, &width, ERR));
    CHECK(width > 0);
    float* codes = malloc(sizeof(float) * (size_t)(data.n * width));
    EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_encode(m, &data, NULL, codes, data.n * width - 1, ERR));
    EXPECT_OK(gm_model_encode(m, &data, NULL, codes, data.n * width, ERR));
    int finite = 1;
    for (int64_t i = 0; i < data.n * width; ++i) finite &= isfinite(codes[i]) != 0;
    CHECK(finite);
    free(codes);
  }
  if (caps & GM_CAP_DECODE) {
    int64_t z = 0;
    EXPECT_OK(gm_model_latent_dim(m, &z, ERR));
    CHECK(z > 0);
    float* codes = calloc((size_t)(3 * z), sizeof(float));
    float out[3 * 9];
    gm_data cv = view(codes, 3, z);
    EXPECT_OK(gm_model_decode(m, &cv, NULL, out, 27, ERR));
    EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_decode(m, &cv, NULL, out, 26, ERR));
    gm_data wrong = view(codes, 3, z + 1);
    EXPECT_ERR(GM_INVALID_DATA, gm_model_decode(m, &wrong, NULL, out, 27, ERR));
    codes[0] = NAN;
    EXPECT_ERR(GM_INVALID_DATA, gm_model_decode(m, &cv, NULL, out, 27, ERR));
    free(codes);
  }
  float s[9 * 4];
  EXPECT_OK(gm_model_sample(m, 4, NULL, s, 36, ERR));
  gm_buffer* b = NULL;
  gm_model* loaded = NULL;
  EXPECT_OK(gm_model_save_buffer(m, &b, ERR));
  EXPECT_OK(gm_model_load_buffer(gm_buffer_data(b), gm_buffer_size(b), &loaded, ERR));
  double lp1[14], lp2[14];
  EXPECT_OK(gm_model_log_prob(m, &data, NULL, lp1, 14, ERR));
  EXPECT_OK(gm_model_log_prob(loaded, &data, NULL, lp2, 14, ERR));
  CHECK(memcmp(lp1, lp2, sizeof lp1) == 0);
  gm_buffer_free(b);
  gm_model_free(loaded);
  gm_model_free(m);
  gm_dataset_free(ds);
}

/* ---------------------------------------------------------------- the GAN family */

#define GAN_N 32
#define GAN_D 64
static const char* const kSmallConv = "{\"ngf\": 4, \"ndf\": 4, \"latent\": 8}";

/* GAN_N images 1x8x8 in [0, 1]: a bright quarter whose place is the class (row mod 4). */
static void gan_images(float* x, int32_t* labels) {
  uint32_t state = 12345u;
  for (int r = 0; r < GAN_N; ++r) {
    labels[r] = r % 4;
    for (int i = 0; i < GAN_D; ++i) {
      const int y = i / 8, c = i % 8;
      const int on = (y / 4) * 2 + (c / 4) == labels[r];
      state = state * 1664525u + 1013904223u;
      const float u = (float)(state >> 8) / 16777216.0f;
      x[r * GAN_D + i] = on ? 0.8f + 0.2f * u : 0.1f * u;
    }
  }
}

static const char* const kCaptions[4] = {"a square at the top left", "a square at the top right",
                                         "a square at the bottom left", "a square at the bottom right"};
#define TEXT_DIM 64

static gm_data gan_view(const float* x) {
  gm_data v = view(x, GAN_N, GAN_D);
  v.channels = 1, v.height = 8, v.width = 8;
  return v;
}

static gm_model* fit_gan(const char* kind, const char* config, const gm_data* data) {
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create(kind, config, &m, ERR));
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 2;
  fo.batch_size = 8;
  fo.seed = 1;
  fo.threads = 1;
  EXPECT_OK(gm_model_fit(m, data, &fo, ERR));
  return m;
}

static int in_unit_range(const float* x, int64_t count) {
  int ok = 1;
  for (int64_t i = 0; i < count; ++i) ok &= x[i] >= 0.0f && x[i] <= 1.0f;
  return ok;
}

/* Sample and decode shapes and range, the same seed twice, log_prob and encode refused,
 * save -> load -> sample bit-identical. so carries the condition a conditional kind needs. */
static void check_gan_verbs(gm_model* m, const gm_sample_options* so, const gm_data* data) {
  uint32_t caps = 0;
  EXPECT_OK(gm_model_capabilities(m, &caps, ERR));
  CHECK((caps & GM_CAP_SAMPLE) && (caps & GM_CAP_DECODE) && !(caps & GM_CAP_LOG_PROB));
  int64_t d = 0, c = 0, h = 0, w = 0;
  EXPECT_OK(gm_model_data_shape(m, &d, &c, &h, &w, ERR));
  CHECK(d == GAN_D && c == 1 && h == 8 && w == 8);

  float a[4 * GAN_D], b[4 * GAN_D];
  EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_sample(m, 4, so, a, 4 * GAN_D - 1, ERR));
  EXPECT_OK(gm_model_sample(m, 4, so, a, 4 * GAN_D, ERR));
  EXPECT_OK(gm_model_sample(m, 4, so, b, 4 * GAN_D, ERR));
  CHECK(in_unit_range(a, 4 * GAN_D));
  CHECK(memcmp(a, b, sizeof a) == 0);

  int64_t z = 0;
  EXPECT_OK(gm_model_latent_dim(m, &z, ERR));
  CHECK(z >= 4);
  float* codes = calloc((size_t)(4 * z), sizeof(float));
  for (int64_t i = 0; i < 4 * z; ++i) codes[i] = (float)((i % 7) - 3) / 3.0f;
  gm_data cv = view(codes, 4, z);
  EXPECT_OK(gm_model_decode(m, &cv, so, a, 4 * GAN_D, ERR));
  CHECK(in_unit_range(a, 4 * GAN_D));
  EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_decode(m, &cv, so, a, 4 * GAN_D - 1, ERR));
  gm_data wrong = view(codes, 4, z + 1);
  EXPECT_ERR(GM_INVALID_DATA, gm_model_decode(m, &wrong, so, a, 4 * GAN_D, ERR));
  free(codes);

  /* An implicit model has no likelihood: the message points at `genmodels eval`. */
  double lp[GAN_N];
  gm_error* e = NULL;
  CHECK(gm_model_log_prob(m, data, NULL, lp, GAN_N, &e) == GM_UNSUPPORTED);
  CHECK(gm_error_code(e) == GM_UNSUPPORTED && strstr(gm_error_message(e), "genmodels eval") != NULL);
  gm_error_free(e);
  if (!(caps & GM_CAP_ENCODE)) {
    float f[GAN_N * 16];
    int64_t width = 0;
    e = NULL;
    CHECK(gm_model_encode(m, data, NULL, f, GAN_N * 16, &e) == GM_UNSUPPORTED);
    CHECK(gm_error_code(e) == GM_UNSUPPORTED && strstr(gm_error_message(e), "encoder") != NULL);
    gm_error_free(e);
    EXPECT_ERR(GM_UNSUPPORTED, gm_model_encode_dim(m, &width, ERR));
  }
  uint8_t mask[GAN_N * GAN_D] = {0};
  float filled[GAN_N * GAN_D];
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_complete(m, data, mask, so, filled, GAN_N * GAN_D, ERR));

  /* save -> load -> sample: bit-identical for a fixed seed */
  const char* path = tmp_path("capi_gan.safetensors");
  EXPECT_OK(gm_model_save(m, path, ERR));
  gm_model* loaded = NULL;
  EXPECT_OK(gm_model_load(path, &loaded, ERR));
  CHECK(loaded && strcmp(gm_model_kind(loaded), gm_model_kind(m)) == 0);
  EXPECT_OK(gm_model_sample(m, 4, so, a, 4 * GAN_D, ERR));
  EXPECT_OK(gm_model_sample(loaded, 4, so, b, 4 * GAN_D, ERR));
  CHECK(memcmp(a, b, sizeof a) == 0);
  gm_model_free(loaded);
}

static void test_gan_unconditional(const char* kind, const char* config) {
  float x[GAN_N * GAN_D];
  int32_t labels[GAN_N];
  gan_images(x, labels);
  gm_data data = gan_view(x);
  gm_model* m = fit_gan(kind, config, &data);
  gm_sample_options so;
  gm_sample_options_init(&so);
  so.seed = 5;
  check_gan_verbs(m, &so, &data);
  /* values outside [0, 1] are refused with what to do */
  x[7] = 1.5f;
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 1;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_fit(m, &data, &fo, ERR));
  gm_model_free(m);
}

static void test_cgan_labels(void) {
  float x[GAN_N * GAN_D];
  int32_t labels[GAN_N];
  gan_images(x, labels);
  gm_data data = gan_view(x);
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("cgan", kSmallConv, &m, ERR));
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 1;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_fit(m, &data, &fo, ERR)); /* no labels */
  gm_model_free(m);
  data.labels = labels;
  data.num_classes = 4;
  m = fit_gan("cgan", kSmallConv, &data);
  uint32_t caps = 0;
  EXPECT_OK(gm_model_capabilities(m, &caps, ERR));
  CHECK(caps & GM_CAP_CONDITIONAL);
  gm_buffer* cfg = NULL;
  EXPECT_OK(gm_model_config_json(m, &cfg, ERR));
  CHECK(cfg && strstr((const char*)gm_buffer_data(cfg), "\"classes\":4") != NULL);
  gm_buffer_free(cfg);
  int32_t ckind = -1;
  int64_t cdim = -1;
  EXPECT_OK(gm_model_condition(m, &ckind, &cdim, ERR));
  CHECK(ckind == GM_CONDITION_LABEL && cdim == 4);

  int32_t want[4] = {3, 2, 1, 0};
  gm_sample_options so;
  gm_sample_options_init(&so);
  so.seed = 9;
  so.labels = want;
  check_gan_verbs(m, &so, &data);
  /* without labels, sample draws them; decode needs them */
  float out[4 * GAN_D];
  EXPECT_OK(gm_model_sample(m, 4, NULL, out, 4 * GAN_D, ERR));
  int64_t z = 0;
  EXPECT_OK(gm_model_latent_dim(m, &z, ERR));
  float* codes = calloc((size_t)(4 * z), sizeof(float));
  gm_data cv = view(codes, 4, z);
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_decode(m, &cv, NULL, out, 4 * GAN_D, ERR));
  /* the label changes the image for the same z */
  float one[GAN_D], other[GAN_D];
  gm_data cv1 = view(codes, 1, z);
  so.labels = &want[0];
  EXPECT_OK(gm_model_decode(m, &cv1, &so, one, GAN_D, ERR));
  so.labels = &want[3];
  EXPECT_OK(gm_model_decode(m, &cv1, &so, other, GAN_D, ERR));
  CHECK(memcmp(one, other, sizeof one) != 0);
  free(codes);
  /* out-of-range labels are refused */
  int32_t bad[4] = {0, 1, 4, 0};
  so.labels = bad;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, 4, &so, out, 4 * GAN_D, ERR));
  bad[2] = -1;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, 4, &so, out, 4 * GAN_D, ERR));
  gm_model_free(m);
}

static void test_text_features(void) {
  float v[TEXT_DIM], w[TEXT_DIM];
  EXPECT_OK(gm_text_features_compute("A pair of Trousers", TEXT_DIM, v, ERR));
  EXPECT_OK(gm_text_features_compute("a pair of trousers", TEXT_DIM, w, ERR));
  CHECK(memcmp(v, w, sizeof v) == 0);
  double norm = 0;
  for (int i = 0; i < TEXT_DIM; ++i) norm += (double)v[i] * v[i];
  CHECK(fabs(norm - 1.0) < 1e-6);
  EXPECT_OK(gm_text_features_compute("trousers of pair a", TEXT_DIM, w, ERR));
  CHECK(memcmp(v, w, sizeof v) != 0); /* bigrams see the order */
  EXPECT_OK(gm_text_features_compute("", TEXT_DIM, w, ERR));
  int zeros = 1;
  for (int i = 0; i < TEXT_DIM; ++i) zeros &= w[i] == 0.0f;
  CHECK(zeros);
  /* "a": one token in bucket FNV-1a("a") mod 1024 = 140 */
  float wide[1024];
  EXPECT_OK(gm_text_features_compute("a", 1024, wide, ERR));
  CHECK(wide[140] == 1.0f);
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_text_features_compute(NULL, TEXT_DIM, v, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_text_features_compute("x", 0, v, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_text_features_compute("x", TEXT_DIM, NULL, ERR));

  /* versioned: words-v1 is gm_text_features_compute; subword-v2 shares a plural's n-grams */
  EXPECT_OK(gm_text_features_compute("a pair of trousers", TEXT_DIM, v, ERR));
  EXPECT_OK(gm_text_features_compute_v("a pair of trousers", "words-v1", TEXT_DIM, w, ERR));
  CHECK(memcmp(v, w, sizeof v) == 0);
  EXPECT_OK(gm_text_features_compute_v("a pair of trousers", "subword-v2", TEXT_DIM, w, ERR));
  CHECK(memcmp(v, w, sizeof v) != 0);
  float s1[1024], s2[1024];
  EXPECT_OK(gm_text_features_compute_v("sneakers", "subword-v2", 1024, s1, ERR));
  EXPECT_OK(gm_text_features_compute_v("sneaker", "subword-v2", 1024, s2, ERR));
  double dot = 0;
  for (int i = 0; i < 1024; ++i) dot += (double)s1[i] * s2[i];
  CHECK(fabs(dot - 0.73367) < 1e-4);
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_text_features_compute_v("x", "subword-v3", TEXT_DIM, w, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_text_features_compute_v("x", NULL, TEXT_DIM, w, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_text_features_compute_v("x", "words-v1", 0, w, ERR));
}

static void test_cgan_text(void) {
  float x[GAN_N * GAN_D];
  int32_t labels[GAN_N];
  gan_images(x, labels);
  float* cond = malloc(sizeof(float) * GAN_N * TEXT_DIM);
  /* a new text cgan takes subword-v2 features (its "text_features") */
  for (int r = 0; r < GAN_N; ++r)
    EXPECT_OK(gm_text_features_compute_v(kCaptions[labels[r]], "subword-v2", TEXT_DIM, cond + r * TEXT_DIM, ERR));
  gm_data data = gan_view(x);
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("cgan", "{\"condition\": \"text\", \"ngf\": 4, \"ndf\": 4, \"latent\": 8, \"embed\": 8}",
                            &m, ERR));
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 1;
  int32_t ckind = -1;
  int64_t cdim = -1;
  EXPECT_OK(gm_model_condition(m, &ckind, &cdim, ERR)); /* unfitted: the width is not known yet */
  CHECK(ckind == GM_CONDITION_TEXT && cdim == 0);
  EXPECT_ERR(GM_INVALID_DATA, gm_model_fit(m, &data, &fo, ERR)); /* no sentences */
  float one[TEXT_DIM], one_v[TEXT_DIM];
  EXPECT_ERR(GM_NOT_FITTED, gm_model_text_features(m, "a bag", one, ERR)); /* its width is not known yet */
  gm_model_free(m);
  data.conditions = cond;
  data.condition_dim = TEXT_DIM;
  m = fit_gan("cgan", "{\"condition\": \"text\", \"ngf\": 4, \"ndf\": 4, \"latent\": 8, \"embed\": 8}", &data);
  EXPECT_OK(gm_model_condition(m, &ckind, &cdim, ERR));
  CHECK(ckind == GM_CONDITION_TEXT && cdim == TEXT_DIM);
  EXPECT_OK(gm_model_condition(m, NULL, NULL, ERR));

  /* four rows, four sentences (one of them never seen in training) */
  float asked[4 * TEXT_DIM];
  const char* sentences[4] = {"a square at the top left", "bottom right", "a square at the top right",
                              "top left, please"};
  for (int r = 0; r < 4; ++r) EXPECT_OK(gm_model_text_features(m, sentences[r], asked + r * TEXT_DIM, ERR));
  EXPECT_OK(gm_text_features_compute_v(sentences[0], "subword-v2", TEXT_DIM, one_v, ERR));
  CHECK(memcmp(asked, one_v, sizeof one_v) == 0);
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_text_features(m, NULL, one, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_text_features(m, "a bag", NULL, ERR));
  gm_sample_options so;
  gm_sample_options_init(&so);
  so.seed = 4;
  so.conditions = asked;
  so.condition_dim = TEXT_DIM;
  check_gan_verbs(m, &so, &data);
  float out[4 * GAN_D];
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, 4, NULL, out, 4 * GAN_D, ERR)); /* needs sentences */
  so.condition_dim = TEXT_DIM + 1;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_sample(m, 4, &so, out, 4 * GAN_D, ERR));
  gm_model_free(m);
  EXPECT_OK(gm_model_create("cgan", "{\"condition\": \"label\"}", &m, ERR));
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_text_features(m, "a bag", one, ERR)); /* not a text model */
  gm_model_free(m);
  free(cond);
}

static void test_infogan(void) {
  float x[GAN_N * GAN_D];
  int32_t labels[GAN_N];
  gan_images(x, labels);
  gm_data data = gan_view(x);
  gm_model* m =
      fit_gan("infogan", "{\"ngf\": 4, \"ndf\": 4, \"latent\": 8, \"categorical\": [4, 3], \"continuous\": 2}", &data);
  gm_sample_options so;
  gm_sample_options_init(&so);
  so.seed = 2;
  check_gan_verbs(m, &so, &data);
  int64_t width = 0, z = 0;
  EXPECT_OK(gm_model_encode_dim(m, &width, ERR));
  CHECK(width == 4 + 3 + 2);
  EXPECT_OK(gm_model_latent_dim(m, &z, ERR));
  CHECK(z == 8 + 9);
  float enc[GAN_N * 9];
  EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_encode(m, &data, NULL, enc, GAN_N * 9 - 1, ERR));
  EXPECT_OK(gm_model_encode(m, &data, NULL, enc, GAN_N * 9, ERR));
  int softmax = 1;
  for (int r = 0; r < GAN_N; ++r) {
    double a = 0, b = 0;
    for (int j = 0; j < 4; ++j) a += enc[r * 9 + j];
    for (int j = 4; j < 7; ++j) b += enc[r * 9 + j];
    softmax &= fabs(a - 1.0) < 1e-5 && fabs(b - 1.0) < 1e-5 && isfinite(enc[r * 9 + 7]) && isfinite(enc[r * 9 + 8]);
  }
  CHECK(softmax);
  /* decode with chosen codes: the same z with category 0 and category 3 */
  float codes[2 * 17] = {0};
  for (int r = 0; r < 2; ++r) {
    for (int j = 0; j < 8; ++j) codes[r * 17 + j] = 0.5f * (float)(j % 3) - 0.5f;
    codes[r * 17 + 8 + (r == 0 ? 0 : 3)] = 1.0f; /* first code: one-hot of 4 */
    codes[r * 17 + 12 + 1] = 1.0f;               /* second code: one-hot of 3 */
    codes[r * 17 + 15] = -0.5f, codes[r * 17 + 16] = 0.5f;
  }
  float out[2 * GAN_D];
  gm_data cv = view(codes, 2, 17);
  EXPECT_OK(gm_model_decode(m, &cv, NULL, out, 2 * GAN_D, ERR));
  CHECK(in_unit_range(out, 2 * GAN_D));
  CHECK(memcmp(out, out + GAN_D, GAN_D * sizeof(float)) != 0);
  gm_model_free(m);
}

static int cancel_gan_at_second(int64_t step, int64_t total, double loss, void* user) {
  int* calls = (int*)user;
  ++*calls;
  if (total != 8 || !isfinite(loss) || step != *calls) *calls = -1000; /* flags a wrong report */
  return step == 2;
}

static void test_gan_cancel(void) {
  float x[GAN_N * GAN_D];
  int32_t labels[GAN_N];
  gan_images(x, labels);
  gm_data data = gan_view(x);
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("gan", "{\"g_hidden\": [16], \"d_hidden\": [16], \"latent\": 4}", &m, ERR));
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 2;
  fo.batch_size = 8; /* 4 steps an epoch, 8 in all */
  int calls = 0;
  fo.progress = cancel_gan_at_second;
  fo.user_data = &calls;
  EXPECT_ERR(GM_CANCELLED, gm_model_fit(m, &data, &fo, ERR));
  CHECK(calls == 2);
  gm_model_free(m);
}

/* The limits of genmodels.h: threads above the cap and a model beyond the memory budget are
 * refused with their status, and the budget is the caller's to set (issue 12). */
static void test_limits(void) {
  gm_dataset* ds = NULL;
  gm_data data;
  EXPECT_OK(gm_dataset_load("builtin:bars-and-stripes:3", NULL, &ds, ERR));
  EXPECT_OK(gm_dataset_view(ds, &data, ERR));
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 1;
  fo.threads = 2147483647;
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("nade", "{\"hidden\": 50000}", &m, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_fit(m, &data, &fo, ERR));
  fo.threads = 1;
  const int64_t budget = gm_memory_budget();
  CHECK(budget > 0);
  gm_set_memory_budget(1 << 20);
  CHECK(gm_memory_budget() == (1 << 20));
  EXPECT_ERR(GM_OUT_OF_MEMORY, gm_model_fit(m, &data, &fo, ERR));
  int32_t fitted = 1;
  EXPECT_OK(gm_model_is_fitted(m, &fitted, ERR));
  CHECK(fitted == 0);
  gm_set_memory_budget(0);
  CHECK(gm_memory_budget() == budget);

  /* n x d that wraps int64: n = 2^62, d = 4 read past the buffer (ASan) before issue 12. */
  float four[4] = {0, 1, 0, 1};
  gm_data huge;
  gm_data_init(&huge);
  huge.x = four;
  huge.n = (int64_t)1 << 62;
  huge.d = 4;
  gm_model* b = NULL;
  EXPECT_OK(gm_model_create("bernoulli", NULL, &b, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_fit(b, &huge, NULL, ERR));
  gm_model_free(b);
  EXPECT_OK(gm_model_fit(m, &data, &fo, ERR));
  gm_model_free(m);
  gm_dataset_free(ds);
}

/* Issue 13 from C: the epoch callback sees every epoch; warm start 1 + 1 epochs equals 2 (the
 * same log_prob bit for bit); a fit cancelled by the epoch callback after a checkpoint is
 * resumed from the file to the uninterrupted model's bytes; bernoulli accumulates. */
typedef struct {
  int64_t epochs[8];
  double losses[8];
  int count, cancel_at;
} epoch_log;

static int32_t record_epoch(const gm_epoch_report* r, void* user) {
  epoch_log* log = (epoch_log*)user;
  if (log->count < 8) {
    log->epochs[log->count] = r->epoch;
    log->losses[log->count] = r->train_loss;
  }
  ++log->count;
  CHECK(r->struct_size == sizeof(gm_epoch_report));
  CHECK(r->last_epoch >= r->epoch);
  CHECK(r->validation_loss != r->validation_loss); /* NaN: no validation split */
  return r->epoch == log->cancel_at;
}

static void bars_log_probs(const gm_model* m, const gm_data* data, double* out) {
  EXPECT_OK(gm_model_log_prob(m, data, NULL, out, data->n, ERR));
}

static void test_training_state(void) {
  gm_dataset* ds = NULL;
  gm_data data;
  EXPECT_OK(gm_dataset_load("builtin:bars-and-stripes:3", NULL, &ds, ERR));
  EXPECT_OK(gm_dataset_view(ds, &data, ERR));
  const char* cfg = "{\"hidden\": 8}";
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  CHECK(fo.warm_start == 0 && fo.epoch_callback == NULL && fo.checkpoint_every == 0 && fo.checkpoint_path == NULL);
  CHECK(fo.distributed == 0 && fo.mpi_comm == NULL && fo.sync_batch_norm == 0 && fo.sharded == 0);
  fo.batch_size = 7;
  fo.seed = 9;

  /* Two epochs at once, with the epoch callback. */
  gm_model* whole = NULL;
  EXPECT_OK(gm_model_create("nade", cfg, &whole, ERR));
  epoch_log log;
  memset(&log, 0, sizeof log);
  fo.epochs = 2;
  fo.epoch_callback = record_epoch;
  fo.epoch_user_data = &log;
  EXPECT_OK(gm_model_fit(whole, &data, &fo, ERR));
  CHECK(log.count == 2 && log.epochs[0] == 1 && log.epochs[1] == 2);
  CHECK(log.losses[0] > 0 && log.losses[1] > 0);
  int64_t done = -1, planned = -1;
  EXPECT_OK(gm_model_training_progress(whole, &done, &planned, ERR));
  CHECK(done == 2 && planned == 2);
  double a[16], b[16];
  bars_log_probs(whole, &data, a);

  /* 1 + 1 warm-started epochs. */
  gm_model* warm = NULL;
  EXPECT_OK(gm_model_create("nade", cfg, &warm, ERR));
  fo.epochs = 1;
  fo.epoch_callback = NULL;
  EXPECT_OK(gm_model_fit(warm, &data, &fo, ERR));
  fo.warm_start = 1;
  EXPECT_OK(gm_model_fit(warm, &data, &fo, ERR));
  bars_log_probs(warm, &data, b);
  CHECK(memcmp(a, b, sizeof(double) * (size_t)data.n) == 0);
  fo.warm_start = 2;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_fit(warm, &data, &fo, ERR));
  fo.warm_start = 1;
  fo.distributed = 2; /* 0 or 1 (docs/distributed.md; tests/mpi runs distributed fits) */
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_fit(warm, &data, &fo, ERR));
  fo.distributed = 0;
  fo.sync_batch_norm = 1; /* only with distributed = 1 */
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_fit(warm, &data, &fo, ERR));
  fo.sync_batch_norm = 0;
  fo.sharded = 1; /* only with distributed = 1 */
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_fit(warm, &data, &fo, ERR));
  fo.sharded = 0;

  /* Stopped after a checkpoint (the epoch callback cancels epoch 2, the checkpoint of epoch 1
   * is on disk), then resumed from the file. */
  const char* ckpt = "test_capi_training.ckpt";
  remove(ckpt);
  gm_model* stopped = NULL;
  EXPECT_OK(gm_model_create("nade", cfg, &stopped, ERR));
  memset(&log, 0, sizeof log);
  log.cancel_at = 2;
  fo.warm_start = 0;
  fo.epochs = 2;
  fo.epoch_callback = record_epoch;
  fo.checkpoint_every = 1;
  fo.checkpoint_path = ckpt;
  EXPECT_ERR(GM_CANCELLED, gm_model_fit(stopped, &data, &fo, ERR));
  gm_model* resumed = NULL;
  EXPECT_OK(gm_model_load(ckpt, &resumed, ERR));
  EXPECT_OK(gm_model_training_progress(resumed, &done, &planned, ERR));
  CHECK(done == 1 && planned == 2);
  fo.epochs = planned - done;
  fo.warm_start = 1;
  fo.epoch_callback = NULL;
  fo.checkpoint_every = 0;
  EXPECT_OK(gm_model_fit(resumed, &data, &fo, ERR));
  gm_buffer *wb = NULL, *rb = NULL;
  EXPECT_OK(gm_model_save_buffer(whole, &wb, ERR));
  EXPECT_OK(gm_model_save_buffer(resumed, &rb, ERR));
  CHECK(gm_buffer_size(wb) == gm_buffer_size(rb) &&
        memcmp(gm_buffer_data(wb), gm_buffer_data(rb), (size_t)gm_buffer_size(wb)) == 0);
  gm_buffer_free(wb);
  gm_buffer_free(rb);
  EXPECT_OK(gm_model_save_checkpoint(resumed, ckpt, ERR));
  remove(ckpt);

  /* checkpoint_every without a path; a closed-form kind has no checkpoint. */
  fo.warm_start = 0;
  fo.checkpoint_every = 1;
  fo.checkpoint_path = NULL;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_fit(warm, &data, &fo, ERR));
  gm_model* bern = fit_bars("bernoulli", NULL);
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_save_checkpoint(bern, ckpt, ERR));
  EXPECT_OK(gm_model_training_progress(bern, &done, &planned, ERR));
  CHECK(done == 0 && planned == 0);

  gm_model_free(bern);
  gm_model_free(whole);
  gm_model_free(warm);
  gm_model_free(stopped);
  gm_model_free(resumed);
  gm_dataset_free(ds);
}

int main(int argc, char** argv) {
  snprintf(g_tmp, sizeof g_tmp, "%s", argc > 1 ? argv[1] : ".");
  snprintf(g_prefix, sizeof g_prefix, "%s", argc > 2 ? argv[2] : "");
  test_library();
  test_create_errors();
  test_deprecated_aliases();
  test_condition_query();
  test_pixelcnn_condition();
  test_fitted_verbs("bernoulli", NULL);
  test_fitted_verbs("markov", "{\"order\": 1}");
  test_fitted_verbs("markov", "{\"order\": 3}");
  test_cancel();
  test_trained_kind("fvsbn", NULL, 1);
  test_trained_kind("nade", "{\"hidden\": 8}", 1);
  test_trained_kind("vae", "{\"hidden\": [8], \"latent\": 2}", 0);
  test_files();
  test_datasets();
  test_sized_init();
  test_text_features();
  test_gan_unconditional("gan", "{\"g_hidden\": [16], \"d_hidden\": [16], \"latent\": 4}");
  test_gan_unconditional("dcgan", kSmallConv);
  test_cgan_labels();
  test_cgan_text();
  test_infogan();
  test_gan_cancel();
  test_limits();
  test_training_state();
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

/* gm_model_translate and gm_model_domains_json from C: the options' defaults and sized
 * initialiser, a fitted cyclegan translating by index, by name and per row, and the errors
 * every caller can get wrong (unknown domain, no target or two, a kind that cannot translate,
 * wrong widths, a small output buffer). Prints "N passed, N failed". */
#include <stdlib.h>

#include "check.h"

static void test_options(void) {
  gm_translate_options o;
  memset(&o, 0xab, sizeof o);
  gm_translate_options_init(&o);
  CHECK(o.struct_size == sizeof o);
  CHECK(o.seed == 0);
  CHECK(o.threads == 0);
  CHECK(o.domain == -1); /* not given: the caller names the target */
  CHECK(o.domain_name == NULL);
  CHECK(o.domains == NULL);

  /* A binding that knows only the first three fields gets exactly those written. */
  unsigned char raw[sizeof(gm_translate_options) + 8];
  memset(raw, 0xcd, sizeof raw);
  const uint32_t small = (uint32_t)offsetof(gm_translate_options, domain);
  gm_translate_options_init_sized((gm_translate_options*)raw, small);
  gm_translate_options head;
  memcpy(&head, raw, small);
  CHECK(head.struct_size == small);
  CHECK(head.seed == 0 && head.threads == 0);
  CHECK(raw[small] == 0xcd); /* nothing written past the caller's struct */
  gm_translate_options_init(NULL);
  gm_translate_options_init_sized(NULL, sizeof o);
}

static void test_kinds_without_translate(void) {
  /* Only the image-to-image kinds report the capability. */
  uint32_t kind_caps = 0;
  EXPECT_OK(gm_kind_capabilities("bernoulli", &kind_caps, ERR));
  CHECK((kind_caps & GM_CAP_TRANSLATE) == 0);
  for (int k = 0; k < 2; ++k) {
    EXPECT_OK(gm_kind_capabilities(k == 0 ? "cyclegan" : "stargan", &kind_caps, ERR));
    CHECK((kind_caps & GM_CAP_TRANSLATE) != 0 && (kind_caps & GM_CAP_SAMPLE) == 0);
  }

  float x[4 * 16];
  for (int i = 0; i < 4 * 16; ++i) x[i] = (float)((i * 7) % 3 == 0);
  gm_data data;
  gm_data_init(&data);
  data.x = x, data.n = 4, data.d = 16;
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("bernoulli", NULL, &m, ERR));
  EXPECT_OK(gm_model_fit(m, &data, NULL, ERR));
  uint32_t caps = 0;
  EXPECT_OK(gm_model_capabilities(m, &caps, ERR));
  CHECK((caps & GM_CAP_TRANSLATE) == 0);

  gm_translate_options o;
  gm_translate_options_init(&o);
  o.domain = 0;
  float out[4 * 16];
  /* The capability comes first: unsupported, whatever else is wrong with the call. */
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_translate(m, &data, &o, out, 4 * 16, ERR));
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_translate(m, &data, NULL, NULL, 0, ERR));
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_translate(m, NULL, &o, out, 4 * 16, ERR));
  gm_buffer* names = NULL;
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_domains_json(m, &names, ERR));
  CHECK(names == NULL);

  /* A NULL model or output pointer is an invalid argument. */
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_translate(NULL, &data, &o, out, 4 * 16, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_domains_json(NULL, &names, ERR));
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_domains_json(m, NULL, ERR));
  gm_model_free(m);
}

/* 16 images 1×8×8 of two unpaired domains: labels 0 (a, dark) and 1 (b, bright). */
enum { N = 16, D = 64 };
static float g_x[N * D];
static int32_t g_labels[N];

static gm_model* fitted_cyclegan(void) {
  for (int r = 0; r < N; ++r) {
    g_labels[r] = r % 2;
    for (int i = 0; i < D; ++i) g_x[r * D + i] = (float)((r * 31 + i * 7) % 10) / 20.0f + (r % 2 ? 0.5f : 0.0f);
  }
  gm_data data;
  gm_data_init(&data);
  data.x = g_x, data.n = N, data.d = D, data.channels = 1, data.height = 8, data.width = 8;
  data.labels = g_labels, data.num_classes = 2;
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create("cyclegan", "{\"ngf\": 2, \"ndf\": 2, \"n_res\": 1}", &m, ERR));
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 1, fo.batch_size = 8, fo.threads = 1, fo.seed = 3;
  EXPECT_OK(gm_model_fit(m, &data, &fo, ERR));
  return m;
}

static void test_cyclegan(void) {
  gm_model* m = fitted_cyclegan();
  if (!m) return;
  uint32_t caps = 0;
  EXPECT_OK(gm_model_capabilities(m, &caps, ERR));
  CHECK((caps & GM_CAP_TRANSLATE) != 0 && (caps & GM_CAP_SAMPLE) == 0);
  gm_buffer* names = NULL;
  EXPECT_OK(gm_model_domains_json(m, &names, ERR));
  CHECK(names && strcmp((const char*)gm_buffer_data(names), "[\"a\",\"b\"]") == 0);
  gm_buffer_free(names);

  gm_data x;
  gm_data_init(&x);
  x.x = g_x, x.n = N, x.d = D, x.channels = 1, x.height = 8, x.width = 8;
  static float by_index[N * D], by_name[N * D], to_a[N * D], mixed[N * D];
  gm_translate_options o;
  gm_translate_options_init(&o);
  o.domain = 1;
  EXPECT_OK(gm_model_translate(m, &x, &o, by_index, N * D, ERR));
  int in_range = 1;
  for (int i = 0; i < N * D; ++i) in_range &= by_index[i] >= 0.0f && by_index[i] <= 1.0f;
  CHECK(in_range);
  gm_translate_options_init(&o);
  o.domain_name = "b";
  EXPECT_OK(gm_model_translate(m, &x, &o, by_name, N * D, ERR));
  CHECK(memcmp(by_index, by_name, sizeof by_name) == 0);
  gm_translate_options_init(&o);
  o.domain_name = "a";
  EXPECT_OK(gm_model_translate(m, &x, &o, to_a, N * D, ERR));
  CHECK(memcmp(by_index, to_a, sizeof to_a) != 0);
  /* Per row: row r to domain r mod 2 gives each row what the call for its domain gives. */
  int32_t targets[N];
  for (int r = 0; r < N; ++r) targets[r] = r % 2;
  gm_translate_options_init(&o);
  o.domains = targets;
  EXPECT_OK(gm_model_translate(m, &x, &o, mixed, N * D, ERR));
  int rows_match = 1;
  for (int r = 0; r < N; ++r)
    rows_match &= memcmp(mixed + r * D, (r % 2 ? by_index : to_a) + r * D, D * sizeof(float)) == 0;
  CHECK(rows_match);

  /* Errors: an unknown name, an index out of range, no target, two targets, a small buffer,
   * rows of another width. */
  gm_translate_options_init(&o);
  o.domain_name = "c";
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_translate(m, &x, &o, mixed, N * D, ERR));
  gm_translate_options_init(&o);
  o.domain = 2;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_translate(m, &x, &o, mixed, N * D, ERR));
  gm_translate_options_init(&o);
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_translate(m, &x, &o, mixed, N * D, ERR));
  o.domain = 1, o.domain_name = "b";
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_translate(m, &x, &o, mixed, N * D, ERR));
  gm_translate_options_init(&o);
  o.domain = 1;
  EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_translate(m, &x, &o, mixed, N * D - 1, ERR));
  gm_data narrow = x;
  narrow.d = 32, narrow.channels = 0, narrow.height = 0, narrow.width = 0;
  EXPECT_ERR(GM_INVALID_DATA, gm_model_translate(m, &narrow, &o, mixed, N * D, ERR));
  /* cyclegan samples nothing: it translates given images. */
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_sample(m, 1, NULL, mixed, N * D, ERR));
  gm_model_free(m);
}

/* stargan through the ABI: names from the configuration before a fit, a fit on labelled
 * images (the labels are the domains), translation by name, index and per row. */
static void test_stargan(void) {
  enum { SN = 16, SD = 64 };
  float x[SN * SD];
  int32_t labels[SN];
  for (int r = 0; r < SN; ++r) {
    labels[r] = r % 2;
    for (int i = 0; i < SD; ++i) {
      const float v = (i / 8 >= r % 5 && i / 8 < r % 5 + 3 && i % 8 >= 2 && i % 8 < 5) ? 0.9f : 0.1f;
      x[r * SD + i] = labels[r] ? 1.0f - v : v;
    }
  }
  gm_model* m = NULL;
  EXPECT_OK(gm_model_create(
      "stargan", "{\"ngf\": 2, \"ndf\": 4, \"n_res\": 1, \"domain_names\": [\"dark\", \"light\"]}", &m, ERR));
  gm_buffer* names = NULL;
  EXPECT_OK(gm_model_domains_json(m, &names, ERR));
  CHECK(names != NULL && strcmp((const char*)gm_buffer_data(names), "[\"dark\",\"light\"]") == 0);
  gm_buffer_free(names);

  gm_data data;
  gm_data_init(&data);
  data.x = x, data.n = SN, data.d = SD, data.channels = 1, data.height = 8, data.width = 8;
  data.labels = labels, data.num_classes = 2;
  gm_translate_options o;
  gm_translate_options_init(&o);
  o.domain = 1;
  float a[4 * SD], b[4 * SD];
  gm_data four = data;
  four.n = 4;
  EXPECT_ERR(GM_NOT_FITTED, gm_model_translate(m, &four, &o, a, 4 * SD, ERR));
  gm_fit_options f;
  gm_fit_options_init(&f);
  f.epochs = 2, f.batch_size = 8, f.seed = 3, f.threads = 1;
  EXPECT_OK(gm_model_fit(m, &data, &f, ERR));
  uint32_t caps = 0;
  EXPECT_OK(gm_model_capabilities(m, &caps, ERR));
  CHECK((caps & GM_CAP_TRANSLATE) && (caps & GM_CAP_FIT) && !(caps & GM_CAP_SAMPLE));

  EXPECT_OK(gm_model_translate(m, &four, &o, a, 4 * SD, ERR));
  int in_range = 1;
  for (int i = 0; i < 4 * SD; ++i) in_range = in_range && a[i] >= 0.0f && a[i] <= 1.0f;
  CHECK(in_range);
  gm_translate_options by_name;
  gm_translate_options_init(&by_name);
  by_name.domain_name = "light";
  EXPECT_OK(gm_model_translate(m, &four, &by_name, b, 4 * SD, ERR));
  CHECK(memcmp(a, b, sizeof a) == 0);
  const int32_t per_row[4] = {1, 1, 1, 1};
  gm_translate_options rows;
  gm_translate_options_init(&rows);
  rows.domains = per_row;
  EXPECT_OK(gm_model_translate(m, &four, &rows, b, 4 * SD, ERR));
  CHECK(memcmp(a, b, sizeof a) == 0);

  by_name.domain_name = "dusk";
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_translate(m, &four, &by_name, b, 4 * SD, ERR));
  o.domain = 2;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_translate(m, &four, &o, b, 4 * SD, ERR));
  o.domain = 0;
  EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_translate(m, &four, &o, b, 4 * SD - 1, ERR));
  gm_sample_options so;
  gm_sample_options_init(&so);
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_sample(m, 1, &so, b, SD, ERR));
  gm_model_free(m);
}

int main(void) {
  test_options();
  test_kinds_without_translate();
  test_cyclegan();
  test_stargan();
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

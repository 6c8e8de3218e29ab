/* gm_model_translate and gm_model_domains_json from C: the options' defaults and sized
 * initialiser, and the errors every caller can get wrong. The translating kinds (cyclegan,
 * stargan) add their own cases here as they land (issue 15). Prints "N passed, N failed". */
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
  EXPECT_OK(gm_kind_capabilities("stargan", &kind_caps, ERR));
  CHECK((kind_caps & GM_CAP_TRANSLATE) != 0 && (kind_caps & GM_CAP_SAMPLE) == 0);

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

/* stargan through the ABI: names from the configuration before a fit, a fit on labelled
 * images (the labels are the domains), translation by name, index and per row. */
static void test_stargan(void) {
  enum { N = 16, D = 64 };
  float x[N * D];
  int32_t labels[N];
  for (int r = 0; r < N; ++r) {
    labels[r] = r % 2;
    for (int i = 0; i < D; ++i) {
      const float v = (i / 8 >= r % 5 && i / 8 < r % 5 + 3 && i % 8 >= 2 && i % 8 < 5) ? 0.9f : 0.1f;
      x[r * D + i] = labels[r] ? 1.0f - v : v;
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
  data.x = x, data.n = N, data.d = D, data.channels = 1, data.height = 8, data.width = 8;
  data.labels = labels, data.num_classes = 2;
  gm_translate_options o;
  gm_translate_options_init(&o);
  o.domain = 1;
  float a[4 * D], b[4 * D];
  gm_data four = data;
  four.n = 4;
  EXPECT_ERR(GM_NOT_FITTED, gm_model_translate(m, &four, &o, a, 4 * D, ERR));
  gm_fit_options f;
  gm_fit_options_init(&f);
  f.epochs = 2, f.batch_size = 8, f.seed = 3, f.threads = 1;
  EXPECT_OK(gm_model_fit(m, &data, &f, ERR));
  uint32_t caps = 0;
  EXPECT_OK(gm_model_capabilities(m, &caps, ERR));
  CHECK((caps & GM_CAP_TRANSLATE) && (caps & GM_CAP_FIT) && !(caps & GM_CAP_SAMPLE));

  EXPECT_OK(gm_model_translate(m, &four, &o, a, 4 * D, ERR));
  int in_range = 1;
  for (int i = 0; i < 4 * D; ++i) in_range = in_range && a[i] >= 0.0f && a[i] <= 1.0f;
  CHECK(in_range);
  gm_translate_options by_name;
  gm_translate_options_init(&by_name);
  by_name.domain_name = "light";
  EXPECT_OK(gm_model_translate(m, &four, &by_name, b, 4 * D, ERR));
  CHECK(memcmp(a, b, sizeof a) == 0);
  const int32_t per_row[4] = {1, 1, 1, 1};
  gm_translate_options rows;
  gm_translate_options_init(&rows);
  rows.domains = per_row;
  EXPECT_OK(gm_model_translate(m, &four, &rows, b, 4 * D, ERR));
  CHECK(memcmp(a, b, sizeof a) == 0);

  by_name.domain_name = "dusk";
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_translate(m, &four, &by_name, b, 4 * D, ERR));
  o.domain = 2;
  EXPECT_ERR(GM_INVALID_ARGUMENT, gm_model_translate(m, &four, &o, b, 4 * D, ERR));
  o.domain = 0;
  EXPECT_ERR(GM_BUFFER_TOO_SMALL, gm_model_translate(m, &four, &o, b, 4 * D - 1, ERR));
  gm_sample_options so;
  gm_sample_options_init(&so);
  EXPECT_ERR(GM_UNSUPPORTED, gm_model_sample(m, 1, &so, b, D, ERR));
  gm_model_free(m);
}

int main(void) {
  test_options();
  test_kinds_without_translate();
  test_stargan();
  printf("%d passed, %d failed\n", g_passed, g_failed);
  return g_failed == 0 ? 0 : 1;
}

/* quickstart.c — fit a Markov chain on the built-in bars-and-stripes, score it, sample it.
 * cc quickstart.c $(pkg-config --cflags --libs genmodels) -o quickstart */
#include <math.h>
#include <stdio.h>

#include <genmodels/genmodels.h>

static int report(int32_t status, gm_error* err) {
  fprintf(stderr, "genmodels: %s: %s\n", gm_status_name(status), gm_error_message(err));
  gm_error_free(err);
  return 1;
}

int main(void) {
  gm_error* err = NULL;
  gm_dataset* ds = NULL;
  gm_model* model = NULL;
  gm_data data;
  int32_t s;

  if ((s = gm_dataset_load("builtin:bars-and-stripes:4", NULL, &ds, &err))) return report(s, err);
  gm_dataset_view(ds, &data, NULL);
  if ((s = gm_model_create("markov", "{\"order\": 4}", &model, &err))) return report(s, err);
  if ((s = gm_model_fit(model, &data, NULL, &err))) return report(s, err);

  double log_prob[30];
  if ((s = gm_model_log_prob(model, &data, NULL, log_prob, 30, &err))) return report(s, err);
  double nll = 0;
  for (int64_t i = 0; i < data.n; ++i) nll -= log_prob[i] / (double)data.n;
  printf("genmodels %s: %lld patterns, NLL %.4f nats (optimum ln 30 = %.4f)\n", gm_version(), (long long)data.n, nll,
         log(30.0));

  float samples[4 * 16];
  gm_sample_options opts;
  gm_sample_options_init(&opts);
  opts.seed = 7;
  if ((s = gm_model_sample(model, 4, &opts, samples, 4 * 16, &err))) return report(s, err);
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) {
      for (int k = 0; k < 4; ++k) putchar(samples[k * 16 + r * 4 + c] > 0.5f ? '#' : '.');
      putchar(' ');
    }
    putchar('\n');
  }
  gm_model_free(model);
  gm_dataset_free(ds);
  return 0;
}

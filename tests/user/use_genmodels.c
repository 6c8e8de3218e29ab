/* A user's C program: fit bernoulli on an .npy file and print the mean training NLL.
 *   cc use_genmodels.c $(pkg-config --cflags --libs genmodels) -o use_genmodels
 *   cc use_genmodels.c $(pkg-config --cflags --libs genmodels-static) -o use_genmodels  (static) */
#include <stdio.h>
#include <stdlib.h>

#include <genmodels/genmodels.h>

static int fail(int32_t status, gm_error* err) {
  fprintf(stderr, "genmodels: %s: %s\n", gm_status_name(status), gm_error_message(err));
  gm_error_free(err);
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s FILE.npy\n", argv[0]);
    return 2;
  }
  char spec[4096];
  snprintf(spec, sizeof spec, "npy:%s", argv[1]);
  gm_error* err = NULL;
  gm_dataset* ds = NULL;
  gm_model* model = NULL;
  gm_data data;
  int32_t s;
  if ((s = gm_dataset_load(spec, NULL, &ds, &err))) return fail(s, err);
  if ((s = gm_dataset_view(ds, &data, &err))) return fail(s, err);
  if ((s = gm_model_create("bernoulli", "{}", &model, &err))) return fail(s, err);
  if ((s = gm_model_fit(model, &data, NULL, &err))) return fail(s, err);
  double* lp = malloc(sizeof(double) * (size_t)data.n);
  if (!lp) return 1;
  if ((s = gm_model_log_prob(model, &data, NULL, lp, data.n, &err))) return fail(s, err);
  double nll = 0;
  for (int64_t i = 0; i < data.n; ++i) nll -= lp[i] / (double)data.n;
  printf("c: nll %.6f\n", nll);
  free(lp);
  gm_model_free(model);
  gm_dataset_free(ds);
  return 0;
}

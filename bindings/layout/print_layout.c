/* Prints the layout of every public struct of genmodels.h as the C compiler sees it, and
 * the values of its enumerators, as JSON. bindings/run_tests.sh compiles and runs it, and
 * each binding's layout test compares its own declarations with the output
 * ($GENMODELS_LAYOUT_JSON):
 *   {"structs": {"gm_data": {"size": 88, "align": 8, "fields": [["struct_size", 0, 4], ...]}, ...},
 *    "constants": {"GM_OK": 0, ...}}
 * Fields are listed in declaration order as [name, offset, size]. */
#include <stddef.h>
#include <stdio.h>

#include <genmodels/genmodels.h>

static int g_first_field;

static void begin_struct(const char* name, size_t size, size_t align, int first) {
  printf("%s\n    \"%s\": {\"size\": %zu, \"align\": %zu, \"fields\": [", first ? "" : ",", name, size, align);
  g_first_field = 1;
}
static void field(const char* name, size_t offset, size_t size) {
  printf("%s\n      [\"%s\", %zu, %zu]", g_first_field ? "" : ",", name, offset, size);
  g_first_field = 0;
}
static void end_struct(void) { printf("]}"); }

#define BEGIN(T, first) begin_struct(#T, sizeof(T), _Alignof(T), first)
#define FIELD(T, f) field(#f, offsetof(T, f), sizeof(((T*)0)->f))
/* The listed fields must reach the end of the struct (up to padding): a field appended to
 * genmodels.h but not listed here stops the build of this program. */
#define LAST(T, f)                                                                            \
  _Static_assert(sizeof(T) - (offsetof(T, f) + sizeof(((T*)0)->f)) < _Alignof(T),             \
                 #T " has fields after " #f ": list them in bindings/layout/print_layout.c"); \
  FIELD(T, f)

static int g_first_constant = 1;
static void constant(const char* name, long long value) {
  printf("%s\n    \"%s\": %lld", g_first_constant ? "" : ",", name, value);
  g_first_constant = 0;
}
#define CONSTANT(c) constant(#c, (long long)(c))

int main(void) {
  printf("{\n  \"structs\": {");
  BEGIN(gm_data, 1);
  FIELD(gm_data, struct_size);
  FIELD(gm_data, x);
  FIELD(gm_data, n);
  FIELD(gm_data, d);
  FIELD(gm_data, channels);
  FIELD(gm_data, height);
  FIELD(gm_data, width);
  FIELD(gm_data, labels);
  FIELD(gm_data, num_classes);
  FIELD(gm_data, conditions);
  FIELD(gm_data, condition_dim);
  LAST(gm_data, levels);
  end_struct();

  BEGIN(gm_fit_options, 0);
  FIELD(gm_fit_options, struct_size);
  FIELD(gm_fit_options, epochs);
  FIELD(gm_fit_options, batch_size);
  FIELD(gm_fit_options, learning_rate);
  FIELD(gm_fit_options, seed);
  FIELD(gm_fit_options, threads);
  FIELD(gm_fit_options, progress);
  FIELD(gm_fit_options, user_data);
  FIELD(gm_fit_options, validation_fraction);
  FIELD(gm_fit_options, patience);
  FIELD(gm_fit_options, epoch_callback);
  FIELD(gm_fit_options, epoch_user_data);
  FIELD(gm_fit_options, warm_start);
  FIELD(gm_fit_options, checkpoint_every);
  FIELD(gm_fit_options, checkpoint_path);
  FIELD(gm_fit_options, distributed);
  FIELD(gm_fit_options, mpi_comm);
  FIELD(gm_fit_options, sync_batch_norm);
  LAST(gm_fit_options, sharded);
  end_struct();

  BEGIN(gm_epoch_report, 0);
  FIELD(gm_epoch_report, struct_size);
  FIELD(gm_epoch_report, epoch);
  FIELD(gm_epoch_report, last_epoch);
  FIELD(gm_epoch_report, train_loss);
  FIELD(gm_epoch_report, validation_loss);
  FIELD(gm_epoch_report, best_epoch);
  FIELD(gm_epoch_report, discriminator_loss);
  FIELD(gm_epoch_report, generator_loss);
  FIELD(gm_epoch_report, images_per_second);
  FIELD(gm_epoch_report, epoch_seconds);
  FIELD(gm_epoch_report, elapsed_seconds);
  FIELD(gm_epoch_report, eta_seconds);
  LAST(gm_epoch_report, stopping);
  end_struct();

  BEGIN(gm_sample_options, 0);
  FIELD(gm_sample_options, struct_size);
  FIELD(gm_sample_options, seed);
  FIELD(gm_sample_options, threads);
  FIELD(gm_sample_options, labels);
  FIELD(gm_sample_options, conditions);
  FIELD(gm_sample_options, condition_dim);
  FIELD(gm_sample_options, stage);
  LAST(gm_sample_options, truncation);
  end_struct();

  BEGIN(gm_score_options, 0);
  FIELD(gm_score_options, struct_size);
  FIELD(gm_score_options, seed);
  FIELD(gm_score_options, threads);
  LAST(gm_score_options, samples);
  end_struct();

  BEGIN(gm_dataset_options, 0);
  FIELD(gm_dataset_options, struct_size);
  FIELD(gm_dataset_options, binarize);
  FIELD(gm_dataset_options, max_examples);
  LAST(gm_dataset_options, levels);
  end_struct();

  BEGIN(gm_translate_options, 0);
  FIELD(gm_translate_options, struct_size);
  FIELD(gm_translate_options, seed);
  FIELD(gm_translate_options, threads);
  FIELD(gm_translate_options, domain);
  FIELD(gm_translate_options, domain_name);
  LAST(gm_translate_options, domains);
  end_struct();
  printf("\n  },\n  \"constants\": {");

  CONSTANT(GM_ABI_VERSION);
  CONSTANT(GM_OK);
  CONSTANT(GM_INVALID_ARGUMENT);
  CONSTANT(GM_UNSUPPORTED);
  CONSTANT(GM_BUFFER_TOO_SMALL);
  CONSTANT(GM_INVALID_DATA);
  CONSTANT(GM_INVALID_CONFIG);
  CONSTANT(GM_UNKNOWN_KIND);
  CONSTANT(GM_NOT_FITTED);
  CONSTANT(GM_IO_ERROR);
  CONSTANT(GM_CORRUPT_FILE);
  CONSTANT(GM_CANCELLED);
  CONSTANT(GM_DIVERGED);
  CONSTANT(GM_OUT_OF_MEMORY);
  CONSTANT(GM_VERSION_MISMATCH);
  CONSTANT(GM_INTERNAL);
  CONSTANT(GM_CAP_FIT);
  CONSTANT(GM_CAP_SAMPLE);
  CONSTANT(GM_CAP_LOG_PROB);
  CONSTANT(GM_CAP_ENCODE);
  CONSTANT(GM_CAP_DECODE);
  CONSTANT(GM_CAP_COMPLETE);
  CONSTANT(GM_CAP_TRANSLATE);
  CONSTANT(GM_CAP_CONDITIONAL);
  CONSTANT(GM_CAP_BINARY_DATA);
  CONSTANT(GM_CAP_EXACT_LOG_PROB);
  CONSTANT(GM_CAP_LEVELS);
  CONSTANT(GM_CAP_COMPLETE_FROM_PARTS);
  CONSTANT(GM_CONDITION_NONE);
  CONSTANT(GM_CONDITION_LABEL);
  CONSTANT(GM_CONDITION_VECTOR);
  CONSTANT(GM_CONDITION_TEXT);
  printf("\n  }\n}\n");
  return 0;
}

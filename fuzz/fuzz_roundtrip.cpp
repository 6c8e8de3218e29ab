// Structured round trip: the bytes choose a kind, a small configuration, a tiny data set
// and fit options; the model is fitted (1 or 2 epochs, one thread), saved to bytes and
// loaded back. The loaded model must be the same model bit for bit: identical log_prob,
// samples, codes, decodes and completions for the same seed, the same configuration and
// shape, and saving it again gives the same bytes. Scores returned with GM_OK are finite.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_common.hpp"

namespace {

using gm_fuzz::check_status;
using gm_fuzz::finding;
using Json = nlohmann::json;

struct Setup {
  std::string kind;
  Json config = Json::object();
  bool conv = false;     // wants square images
  int condition = 0;     // GM_CONDITION_* the configuration asks for
  int64_t cond_dim = 0;  // vector / text width
  int64_t classes = 0;   // labels
};

std::vector<int64_t> widths(FuzzedDataProvider& fdp, std::size_t min_count, std::size_t max_count, int64_t max) {
  std::vector<int64_t> out(fdp.ConsumeIntegralInRange<std::size_t>(min_count, max_count));
  for (auto& w : out) w = fdp.ConsumeIntegralInRange<int64_t>(1, max);
  return out;
}

// A number from a short list of typical values, or (rarely) any double the bytes spell.
double number(FuzzedDataProvider& fdp, std::initializer_list<double> typical) {
  const std::size_t i = fdp.ConsumeIntegralInRange<std::size_t>(0, typical.size());
  if (i < typical.size()) return typical.begin()[i];
  return fdp.ConsumeFloatingPoint<double>();
}

void gan_common(FuzzedDataProvider& fdp, Setup& s) {
  s.config["latent"] = fdp.ConsumeIntegralInRange<int64_t>(1, 4);
  s.config["d_steps"] = fdp.ConsumeIntegralInRange<int64_t>(1, 2);
  if (fdp.ConsumeBool()) s.config["noise_std"] = number(fdp, {0.2, 1.0, 0.001, 10.0});
  if (fdp.ConsumeBool()) s.config["learning_rate"] = number(fdp, {2e-4, 1e-2, 1.0, 1e-8});
  if (fdp.ConsumeBool()) s.config["d_learning_rate"] = number(fdp, {0.0, 1e-3});
  if (fdp.ConsumeBool()) s.config["beta1"] = number(fdp, {0.5, 0.0, 0.9});
  if (fdp.ConsumeBool()) s.config["beta2"] = number(fdp, {0.999, 0.0, 0.9});
}

void gan_nets(FuzzedDataProvider& fdp, Setup& s, bool has_architecture) {
  bool conv = true;
  if (has_architecture) {
    conv = fdp.ConsumeBool();
    s.config["architecture"] = conv ? "conv" : "mlp";
  }
  if (conv) {
    s.config["ngf"] = fdp.ConsumeIntegralInRange<int64_t>(1, 4);
    s.config["ndf"] = fdp.ConsumeIntegralInRange<int64_t>(1, 4);
    s.conv = true;
  } else {
    s.config["g_hidden"] = widths(fdp, 1, 2, 8);
    s.config["d_hidden"] = widths(fdp, 1, 2, 8);
  }
}

Setup choose(FuzzedDataProvider& fdp) {
  static const char* const kKinds[] = {"bernoulli", "markov", "fvsbn", "nade",   "vae",
                                       "gan",       "dcgan",  "cgan",  "infogan"};
  Setup s;
  s.kind = kKinds[fdp.ConsumeIntegralInRange<std::size_t>(0, std::size(kKinds) - 1)];
  Json& c = s.config;
  if (s.kind == "bernoulli" || s.kind == "markov") {
    if (s.kind == "markov") c["order"] = fdp.ConsumeIntegralInRange<int64_t>(1, 12);
    if (fdp.ConsumeBool()) c["alpha"] = number(fdp, {1.0, 1e-10, 0.5, 1e10});
  } else if (s.kind == "fvsbn" || s.kind == "nade") {
    if (s.kind == "nade") c["hidden"] = fdp.ConsumeIntegralInRange<int64_t>(1, 8);
    if (fdp.ConsumeBool()) c["weight_decay"] = number(fdp, {0.0, 1e-3, 1.0});
    c["complete_samples"] = fdp.ConsumeIntegralInRange<int64_t>(1, 8);
  } else if (s.kind == "vae") {
    s.conv = fdp.ConsumeBool();
    c["architecture"] = s.conv ? "conv" : "mlp";
    if (s.conv) c["conv_channels"] = widths(fdp, 1, 2, 4);
    c["hidden"] = widths(fdp, 0, 2, 8);
    c["latent"] = fdp.ConsumeIntegralInRange<int64_t>(1, 4);
    const bool gaussian = fdp.ConsumeBool();
    c["decoder"] = gaussian ? "gaussian" : "bernoulli";
    if (gaussian) {
      const bool learned = fdp.ConsumeBool();
      c["variance"] = learned ? "learned" : "fixed";
      c["logvar"] = number(fdp, {0.0, -2.0, 20.0, -20.0});
      if (learned) c["min_logvar"] = number(fdp, {-8.0, -20.0, 0.0});
    }
    c["iwae_samples"] = fdp.ConsumeIntegralInRange<int64_t>(1, 4);
    c["sample_mean"] = fdp.ConsumeBool();
    if (fdp.ConsumeBool()) c["weight_decay"] = number(fdp, {0.0, 1e-3});
  } else if (s.kind == "gan") {
    gan_common(fdp, s);
    c["g_hidden"] = widths(fdp, 1, 2, 8);
    c["d_hidden"] = widths(fdp, 1, 2, 8);
  } else if (s.kind == "dcgan") {
    gan_common(fdp, s);
    gan_nets(fdp, s, false);
  } else if (s.kind == "cgan") {
    gan_common(fdp, s);
    gan_nets(fdp, s, true);
    const int which = fdp.ConsumeIntegralInRange<int>(0, 2);
    if (which == 0) {
      c["condition"] = "label";
      s.condition = GM_CONDITION_LABEL;
      s.classes = fdp.ConsumeIntegralInRange<int64_t>(1, 4);
      if (fdp.ConsumeBool()) c["classes"] = s.classes;
    } else {
      c["condition"] = which == 1 ? "vector" : "text";
      s.condition = which == 1 ? GM_CONDITION_VECTOR : GM_CONDITION_TEXT;
      s.cond_dim = fdp.ConsumeIntegralInRange<int64_t>(1, 4);
      if (fdp.ConsumeBool()) c["condition_dim"] = s.cond_dim;
      if (which == 2) c["embed"] = fdp.ConsumeIntegralInRange<int64_t>(1, 4);
    }
  } else if (s.kind == "infogan") {
    gan_common(fdp, s);
    gan_nets(fdp, s, true);
    std::vector<int64_t> cats(fdp.ConsumeIntegralInRange<std::size_t>(0, 2));
    for (auto& k : cats) k = fdp.ConsumeIntegralInRange<int64_t>(2, 4);
    c["categorical"] = cats;
    c["continuous"] = fdp.ConsumeIntegralInRange<int64_t>(0, 2);
    if (fdp.ConsumeBool()) c["info_weight"] = number(fdp, {1.0, 0.0, 100.0});
  }
  return s;
}

gm_model* create(const Setup& s) {
  gm_model* m = nullptr;
  gm_error* err = nullptr;
  const std::string text = s.config.dump();
  if (check_status("create", gm_model_create(s.kind.c_str(), text.c_str(), &m, &err), err) != GM_OK) return nullptr;
  return m;
}

std::vector<uint8_t> save(const gm_model* m, const char* what) {
  gm_buffer* buf = nullptr;
  gm_error* err = nullptr;
  if (check_status(what, gm_model_save_buffer(m, &buf, &err), err) != GM_OK)
    finding(std::string(what) + ": a fitted model cannot be saved");
  std::vector<uint8_t> out(gm_buffer_data(buf), gm_buffer_data(buf) + gm_buffer_size(buf));
  gm_buffer_free(buf);
  return out;
}

std::string config_of(const gm_model* m) {
  gm_buffer* buf = nullptr;
  gm_error* err = nullptr;
  if (check_status("config_json", gm_model_config_json(m, &buf, &err), err) != GM_OK) finding("config_json failed");
  std::string out(reinterpret_cast<const char*>(gm_buffer_data(buf)), static_cast<std::size_t>(gm_buffer_size(buf)));
  gm_buffer_free(buf);
  return out;
}

template <typename T>
void same(const char* what, int32_t st1, int32_t st2, const std::vector<T>& a, const std::vector<T>& b) {
  if (st1 != st2) finding(std::string(what) + ": the original and the loaded model answer with different statuses");
  if (st1 == GM_OK && (a.size() != b.size() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) != 0))
    finding(std::string(what) + ": the loaded model's output differs from the original's");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  FuzzedDataProvider fdp(bytes, size);
  const Setup s = choose(fdp);

  // Data: n rows of c x h x w (square sides for the convolutional nets).
  const int64_t n = fdp.ConsumeIntegralInRange<int64_t>(1, 12);
  const int64_t ch = fdp.ConsumeBool() ? 1 : fdp.ConsumeIntegralInRange<int64_t>(1, 3);
  const int64_t h = s.conv ? (fdp.ConsumeBool() ? 4 : 8) : fdp.ConsumeIntegralInRange<int64_t>(1, 6);
  const int64_t w = s.conv ? h : fdp.ConsumeIntegralInRange<int64_t>(1, 6);
  const int64_t d = ch * h * w;
  const bool binary = fdp.ConsumeIntegralInRange<int>(0, 7) != 0;  // mostly 0/1 values, else bytes / 255
  std::vector<float> x(static_cast<std::size_t>(n * d));
  for (auto& v : x) v = binary ? (fdp.ConsumeBool() ? 1.0f : 0.0f) : fdp.ConsumeIntegral<uint8_t>() / 255.0f;
  std::vector<int32_t> labels(static_cast<std::size_t>(n));
  for (auto& l : labels)
    l = static_cast<int32_t>(fdp.ConsumeIntegralInRange<int64_t>(0, s.classes > 0 ? s.classes - 1 : 0));
  const int64_t cdim = s.cond_dim > 0 ? s.cond_dim : 1;
  std::vector<float> conds(static_cast<std::size_t>(n * cdim));
  for (auto& v : conds) v = fdp.ConsumeIntegral<uint8_t>() / 255.0f;

  gm_data data;
  gm_data_init(&data);
  data.x = x.data();
  data.n = n;
  data.d = d;
  if (fdp.ConsumeIntegralInRange<int>(0, 3) != 0 || s.conv) {
    data.channels = ch;
    data.height = h;
    data.width = w;
  }
  if (s.condition == GM_CONDITION_LABEL) {
    data.labels = labels.data();
    data.num_classes = s.classes;
  } else if (s.condition != 0) {
    data.conditions = conds.data();
    data.condition_dim = s.cond_dim;
  }
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = fdp.ConsumeIntegralInRange<int64_t>(1, 2);
  fo.batch_size = fdp.ConsumeIntegralInRange<int64_t>(1, n + 1);
  fo.learning_rate = fdp.ConsumeBool() ? 0.0 : number(fdp, {1e-3, 1e-1, 10.0});
  fo.seed = fdp.ConsumeIntegral<uint64_t>();
  fo.threads = 1;
  if (fdp.ConsumeBool()) {
    fo.validation_fraction = number(fdp, {0.25, 0.5});
    fo.patience = fdp.ConsumeIntegralInRange<int64_t>(0, 2);
  }
  const uint64_t seed = fdp.ConsumeIntegral<uint64_t>();

  gm_model* m = create(s);
  if (!m) return 0;
  gm_error* err = nullptr;
  if (check_status("fit", gm_model_fit(m, &data, &fo, &err), err) != GM_OK) {
    gm_model_free(m);
    return 0;
  }
  const std::vector<uint8_t> file = save(m, "save");
  gm_model* m2 = nullptr;
  const int32_t loaded = gm_model_load_buffer(file.data(), static_cast<int64_t>(file.size()), &m2, &err);
  if (loaded != GM_OK)
    finding(s.kind + " " + s.config.dump() +
            ": a model the library saved does not load: " + (err ? gm_error_message(err) : "(no message)"));
  if (save(m2, "save of the loaded model") != file) finding("save(load(save(m))) differs from save(m)");
  if (config_of(m) != config_of(m2)) finding("the loaded model's configuration differs");
  int64_t shape1[4], shape2[4];
  check_status("data_shape", gm_model_data_shape(m, &shape1[0], &shape1[1], &shape1[2], &shape1[3], &err), err);
  check_status("data_shape", gm_model_data_shape(m2, &shape2[0], &shape2[1], &shape2[2], &shape2[3], &err), err);
  if (std::memcmp(shape1, shape2, sizeof shape1) != 0) finding("the loaded model's data shape differs");
  uint32_t caps = 0;
  check_status("capabilities", gm_model_capabilities(m, &caps, &err), err);

  const gm_model* models[2] = {m, m2};
  int32_t st[2];
  if (caps & GM_CAP_LOG_PROB) {
    gm_score_options so;
    gm_score_options_init(&so);
    so.seed = seed;
    so.threads = 1;
    so.samples = fdp.ConsumeIntegralInRange<int64_t>(0, 3);
    std::vector<double> lp[2];
    for (int k = 0; k < 2; ++k) {
      lp[k].assign(static_cast<std::size_t>(n), 0.0);
      st[k] = check_status("log_prob", gm_model_log_prob(models[k], &data, &so, lp[k].data(), n, &err), err);
    }
    same("log_prob", st[0], st[1], lp[0], lp[1]);
    if (st[0] == GM_OK && !gm_fuzz::nonfinite_allowed())
      for (double v : lp[0])
        if (!std::isfinite(v)) finding(s.kind + ": log_prob returned GM_OK with a non-finite score");
  }
  gm_sample_options sample_opts;
  gm_sample_options_init(&sample_opts);
  sample_opts.seed = seed;
  sample_opts.threads = 1;
  if (s.condition == GM_CONDITION_LABEL) {
    sample_opts.labels = labels.data();
  } else if (s.condition != 0) {
    sample_opts.conditions = conds.data();
    sample_opts.condition_dim = s.cond_dim;
  }
  if (caps & GM_CAP_SAMPLE) {
    std::vector<float> out[2];
    for (int k = 0; k < 2; ++k) {
      out[k].assign(static_cast<std::size_t>(n * d), 0.0f);
      st[k] = check_status("sample", gm_model_sample(models[k], n, &sample_opts, out[k].data(), n * d, &err), err);
    }
    same("sample", st[0], st[1], out[0], out[1]);
  }
  if (caps & GM_CAP_ENCODE) {
    int64_t e = 0;
    check_status("encode_dim", gm_model_encode_dim(m, &e, &err), err);
    gm_score_options so;
    gm_score_options_init(&so);
    so.seed = seed;
    so.threads = 1;
    std::vector<float> out[2];
    for (int k = 0; k < 2; ++k) {
      out[k].assign(static_cast<std::size_t>(n * e), 0.0f);
      st[k] = check_status("encode", gm_model_encode(models[k], &data, &so, out[k].data(), n * e, &err), err);
    }
    same("encode", st[0], st[1], out[0], out[1]);
  }
  if (caps & GM_CAP_DECODE) {
    int64_t z = 0;
    check_status("latent_dim", gm_model_latent_dim(m, &z, &err), err);
    std::vector<float> codes(static_cast<std::size_t>(n * z));
    for (auto& v : codes) v = static_cast<float>(fdp.ConsumeIntegralInRange<int>(-300, 300)) / 100.0f;
    gm_data cd;
    gm_data_init(&cd);
    cd.x = codes.data();
    cd.n = n;
    cd.d = z;
    std::vector<float> out[2];
    for (int k = 0; k < 2; ++k) {
      out[k].assign(static_cast<std::size_t>(n * d), 0.0f);
      st[k] = check_status("decode", gm_model_decode(models[k], &cd, &sample_opts, out[k].data(), n * d, &err), err);
    }
    same("decode", st[0], st[1], out[0], out[1]);
  }
  if (caps & GM_CAP_COMPLETE) {
    std::vector<uint8_t> observed(static_cast<std::size_t>(n * d));
    for (auto& o : observed) o = fdp.ConsumeBool();
    std::vector<float> out[2];
    for (int k = 0; k < 2; ++k) {
      out[k].assign(static_cast<std::size_t>(n * d), 0.0f);
      st[k] = check_status(
          "complete", gm_model_complete(models[k], &data, observed.data(), &sample_opts, out[k].data(), n * d, &err),
          err);
    }
    same("complete", st[0], st[1], out[0], out[1]);
  }
  gm_model_free(m);
  gm_model_free(m2);
  return 0;
}

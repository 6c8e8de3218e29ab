// Writes the seed corpora of the fuzz harnesses: fuzz_make_corpus OUT_DIR creates
// OUT_DIR/<harness>/<seed> (scripts/fuzz.sh --make-corpus writes fuzz/corpus/). Every seed is
// small (a few KB at most) and the output is the same on every run, so the checked-in
// corpus can be regenerated and diffed. The first byte of most seeds is the harness's mode
// byte (see the harness's header comment).
#include <stb_image_write.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/idx.hpp"
#include "data/npy.hpp"
#include "fuzz_common.hpp"

namespace {

using Bytes = std::vector<uint8_t>;
using gm_fuzz::check_status;
using gm_fuzz::finding;
namespace fs = std::filesystem;

std::string g_out;

void put(const std::string& harness, const std::string& name, const Bytes& bytes) {
  fs::create_directories(g_out + "/" + harness);
  gm_fuzz::write_file(g_out + "/" + harness + "/" + name, bytes);
}
void put(const std::string& harness, const std::string& name, const std::string& text) {
  put(harness, name, Bytes(text.begin(), text.end()));
}
Bytes with_mode(uint8_t mode, const Bytes& body) {
  Bytes out{mode};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}
Bytes cat(const Bytes& a, const std::string& marker, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), marker.begin(), marker.end());
  out.insert(out.end(), b.begin(), b.end());
  return out;
}
Bytes gz(const Bytes& b) { return gm_fuzz::gzip_bytes(b.data(), b.size()); }

// A fixed pseudo-random stream (splitmix64), so the seeds are the same on every run.
uint64_t g_state = 0x9e3779b97f4a7c15ull;
uint64_t next() {
  uint64_t z = (g_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// ---------------------------------------------------------------- models

struct ModelSeed {
  const char* kind;
  const char* config;
  int side;
  int condition;  // 0, GM_CONDITION_LABEL or GM_CONDITION_VECTOR / TEXT (width 3)
};

const ModelSeed kModels[] = {
    {"bernoulli", "{}", 4, 0},
    {"markov", "{\"order\": 3, \"alpha\": 0.5}", 4, 0},
    {"fvsbn", "{\"complete_samples\": 4}", 4, 0},
    {"nade", "{\"hidden\": 2, \"complete_samples\": 4}", 4, 0},
    {"vae", "{\"hidden\": [4], \"latent\": 2, \"iwae_samples\": 2}", 4, 0},
    {"vae", "{\"hidden\": [3], \"latent\": 2, \"decoder\": \"gaussian\", \"iwae_samples\": 2}", 4, 0},
    {"vae", "{\"architecture\": \"conv\", \"conv_channels\": [2], \"hidden\": [], \"latent\": 2}", 4, 0},
    {"gan", "{\"latent\": 2, \"g_hidden\": [4], \"d_hidden\": [4]}", 4, 0},
    {"dcgan", "{\"latent\": 2, \"ngf\": 1, \"ndf\": 1}", 8, 0},
    {"cgan", "{\"architecture\": \"mlp\", \"latent\": 2, \"g_hidden\": [4], \"d_hidden\": [4]}", 4, GM_CONDITION_LABEL},
    {"cgan",
     "{\"architecture\": \"mlp\", \"condition\": \"text\", \"latent\": 2, \"g_hidden\": [3], \"d_hidden\": [3], "
     "\"embed\": 2}",
     4, GM_CONDITION_TEXT},
    {"infogan",
     "{\"architecture\": \"mlp\", \"latent\": 2, \"g_hidden\": [4], \"d_hidden\": [4], \"categorical\": [2], "
     "\"continuous\": 1}",
     4, 0},
};

Bytes fitted_model(const ModelSeed& s) {
  gm_model* m = nullptr;
  gm_error* err = nullptr;
  if (check_status("create", gm_model_create(s.kind, s.config, &m, &err), err) != GM_OK)
    finding(std::string("seed model ") + s.kind + " " + s.config + " is refused");
  const int64_t n = 6, d = int64_t{s.side} * s.side;
  std::vector<float> x(static_cast<std::size_t>(n * d));
  for (int64_t r = 0; r < n; ++r)  // stripes and bars
    for (int64_t i = 0; i < d; ++i) x[r * d + i] = static_cast<float>(r % 2 ? (i % s.side) % 2 : (i / s.side) % 2);
  std::vector<int32_t> labels = {0, 1, 0, 1, 0, 1};
  std::vector<float> conds(static_cast<std::size_t>(n * 3));
  for (std::size_t i = 0; i < conds.size(); ++i) conds[i] = static_cast<float>(i % 3) / 2.0f;
  gm_data data;
  gm_data_init(&data);
  data.x = x.data();
  data.n = n;
  data.d = d;
  data.channels = 1;
  data.height = s.side;
  data.width = s.side;
  if (s.condition == GM_CONDITION_LABEL) {
    data.labels = labels.data();
    data.num_classes = 2;
  } else if (s.condition) {
    data.conditions = conds.data();
    data.condition_dim = 3;
  }
  gm_fit_options fo;
  gm_fit_options_init(&fo);
  fo.epochs = 1;
  fo.batch_size = 3;
  fo.threads = 1;
  fo.seed = 1;
  if (check_status("fit", gm_model_fit(m, &data, &fo, &err), err) != GM_OK)
    finding(std::string("seed model ") + s.kind + " does not fit");
  gm_buffer* buf = nullptr;
  if (check_status("save", gm_model_save_buffer(m, &buf, &err), err) != GM_OK) finding("seed model does not save");
  Bytes out(gm_buffer_data(buf), gm_buffer_data(buf) + gm_buffer_size(buf));
  gm_buffer_free(buf);
  gm_model_free(m);
  return out;
}

void model_file_and_config_seeds() {
  int i = 0;
  for (const ModelSeed& s : kModels) {
    const std::string name = std::to_string(i++) + "-" + s.kind;
    put("model_file", name + ".safetensors", fitted_model(s));
    put("config", name + ".json", std::string(s.config));
  }
  // The effective configuration of every kind with its defaults.
  gm_buffer* buf = nullptr;
  gm_error* err = nullptr;
  if (check_status("kinds_json", gm_kinds_json(&buf, &err), err) != GM_OK) finding("gm_kinds_json");
  const auto* p = reinterpret_cast<const char*>(gm_buffer_data(buf));
  const auto kinds = nlohmann::json::parse(p, p + gm_buffer_size(buf));
  gm_buffer_free(buf);
  for (const auto& k : kinds) {
    const std::string kind = k.at("kind").get<std::string>();
    gm_model* m = nullptr;
    if (check_status("create", gm_model_create(kind.c_str(), "{}", &m, &err), err) != GM_OK) finding("create " + kind);
    gm_buffer* cfg = nullptr;
    check_status("config_json", gm_model_config_json(m, &cfg, &err), err);
    put("config", "defaults-" + kind + ".json",
        std::string(reinterpret_cast<const char*>(gm_buffer_data(cfg)), static_cast<std::size_t>(gm_buffer_size(cfg))));
    gm_buffer_free(cfg);
    gm_model_free(m);
  }
  put("config", "empty.json", std::string(""));
  put("config", "null.json", std::string("null"));
  put("config", "nested.json", std::string("{\"order\": [[[[1]]]], \"zz\": {\"a\": [{}]}}"));
  put("config", "types.json", std::string("{\"alpha\": 1e-300, \"order\": 2.0, \"hidden\": [1, 2], \"x\": null}"));
}

// ---------------------------------------------------------------- .npy

void npy_seeds() {
  const float f4[12] = {0, 0.5f, 1, -2, 3.25f, 1e-3f, 7, 8, 9, 10, 11, 12};
  const double f8[8] = {0, 1, 2, 3, -1e300, 1e-300, 0.25, 6};
  const uint8_t u1[8] = {0, 1, 2, 255, 4, 5, 6, 7};
  const int32_t i4[3] = {0, 2, 1};
  const int64_t i8[3] = {1, 0, 4};
  const uint8_t b1[6] = {1, 0, 0, 1, 1, 1};
  const Bytes a = gm::encode_npy(gm::NpyType::f4, f4, {3, 4});
  const Bytes b = gm::encode_npy(gm::NpyType::f8, f8, {2, 2, 2});
  const Bytes c = gm::encode_npy(gm::NpyType::u1, u1, {2, 1, 2, 2});
  const Bytes d = gm::encode_npy(gm::NpyType::i4, i4, {3});
  const Bytes e = gm::encode_npy(gm::NpyType::i8, i8, {3, 1});
  const Bytes f = gm::encode_npy(gm::NpyType::b1, b1, {2, 3});
  put("npy", "f4-3x4", with_mode(0, a));
  put("npy", "f8-2x2x2", with_mode(4, b));
  put("npy", "u1-2x1x2x2", with_mode(0, c));
  put("npy", "i4-3-labels", with_mode(2, d));
  put("npy", "i8-3x1-labels", with_mode(2, e));
  put("npy", "b1-2x3", with_mode(6, f));
  put("npy", "f4-3x4-gzip-by-harness", with_mode(1, a));
  put("npy", "u1-gzipped", with_mode(0, gz(c)));
  // Format 2.0 (4-byte header length) and a hand-written Python 2 style header.
  Bytes v2 = a;
  v2[6] = 2;
  v2.insert(v2.begin() + 10, {0, 0});
  put("npy", "f4-v2", with_mode(0, v2));
  const std::string py2 = "{'descr': '<i8', 'fortran_order': True, 'shape': (2L,), }";
  Bytes h = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<uint8_t>(py2.size() + 1), 0};
  h.insert(h.end(), py2.begin(), py2.end());
  h.push_back('\n');
  h.insert(h.end(), reinterpret_cast<const uint8_t*>(i8), reinterpret_cast<const uint8_t*>(i8) + 16);
  put("npy", "i8-py2-fortran", with_mode(2, h));
}

// ---------------------------------------------------------------- IDX

void idx_seeds() {
  uint8_t pixels[64];
  for (int i = 0; i < 64; ++i) pixels[i] = static_cast<uint8_t>(i * 37);
  const uint8_t labels[3] = {0, 2, 1};
  const Bytes grey = gm::encode_idx_u8(pixels, {3, 3, 3});
  const Bytes colour = gm::encode_idx_u8(pixels, {2, 2, 2, 3});
  const Bytes flat = gm::encode_idx_u8(pixels, {3, 5});
  const Bytes lab = gm::encode_idx_u8(labels, {3});
  const Bytes lab2 = gm::encode_idx_u8(labels, {2});
  put("idx", "grey-3x3x3", with_mode(0, grey));
  put("idx", "colour-2x2x2x3", with_mode(4, colour));
  put("idx", "flat-3x5-labels", with_mode(0, cat(flat, "IDXLABELS", lab)));
  put("idx", "grey-labels-both-gzip-by-harness", with_mode(3, cat(grey, "IDXLABELS", lab)));
  put("idx", "colour-labels-gzip-by-harness", with_mode(7, cat(colour, "IDXLABELS", lab2)));
  put("idx", "grey-gzipped", with_mode(0, gz(grey)));
  put("idx", "flat-gzipped-labels-gzipped", with_mode(4, cat(gz(flat), "IDXLABELS", gz(lab))));
  put("idx", "labels-only", with_mode(0, lab));
}

// ---------------------------------------------------------------- images

void append(void* ctx, void* data, int size) {
  auto* out = static_cast<Bytes*>(ctx);
  const auto* p = static_cast<const uint8_t*>(data);
  out->insert(out->end(), p, p + size);
}

Bytes image(const char* format, int w, int h, int comp) {
  std::vector<uint8_t> px(static_cast<std::size_t>(w * h * comp));
  for (std::size_t i = 0; i < px.size(); ++i) px[i] = static_cast<uint8_t>(next());
  Bytes out;
  int ok = 0;
  if (!std::strcmp(format, "png")) ok = stbi_write_png_to_func(append, &out, w, h, comp, px.data(), w * comp);
  if (!std::strcmp(format, "bmp")) ok = stbi_write_bmp_to_func(append, &out, w, h, comp, px.data());
  if (!std::strcmp(format, "jpg")) ok = stbi_write_jpg_to_func(append, &out, w, h, comp, px.data(), 80);
  if (!std::strcmp(format, "tga")) ok = stbi_write_tga_to_func(append, &out, w, h, comp, px.data());
  if (!ok || out.empty()) finding(std::string("cannot encode a seed ") + format);
  return out;
}

void image_seeds() {
  // Mode: bit 0 labelled, bits 1-2 extension (0 .png, 1 .bmp, 2 .jpg, 3 .JPEG), bit 3 load_dataset.
  put("images", "png-grey-4x4", with_mode(0, image("png", 4, 4, 1)));
  put("images", "png-grey-alpha-3x5", with_mode(8, image("png", 3, 5, 2)));
  put("images", "png-rgb-4x4", with_mode(0, image("png", 4, 4, 3)));
  put("images", "png-rgba-2x2", with_mode(0, image("png", 2, 2, 4)));
  put("images", "bmp-rgb-4x3", with_mode(2, image("bmp", 4, 3, 3)));
  put("images", "jpg-grey-8x8", with_mode(4, image("jpg", 8, 8, 1)));
  put("images", "jpg-rgb-8x8", with_mode(6, image("jpg", 8, 8, 3)));
  put("images", "tga-rgb-2x2", with_mode(0, image("tga", 2, 2, 3)));
  put("images", "png-two-classes", with_mode(1 | 8, cat(image("png", 4, 4, 1), "NEXTIMAGE", image("png", 4, 4, 1))));
  put("images", "png-mixed-grey-rgb",
      with_mode(
          0, cat(cat(image("png", 3, 3, 1), "NEXTIMAGE", image("png", 3, 3, 3)), "NEXTIMAGE", image("bmp", 3, 3, 3))));
  put("images", "png-mixed-sizes", with_mode(0, cat(image("png", 2, 2, 1), "NEXTIMAGE", image("png", 3, 2, 1))));
}

// ---------------------------------------------------------------- captions

void caption_seeds() {
  // Header: dim (uint16 LE, dim = 1 + value % 4096), class, synonym; then lines of text.
  auto seed = [](uint16_t dim, int8_t c, int8_t s, const std::string& text) {
    Bytes out = {static_cast<uint8_t>(dim & 0xff), static_cast<uint8_t>(dim >> 8), static_cast<uint8_t>(c),
                 static_cast<uint8_t>(s)};
    out.insert(out.end(), text.begin(), text.end());
    return out;
  };
  put("captions", "templates", seed(63, 7, 0, "a photo of {a}\n{a} on a white background\npicture: {n}\n{a}"));
  put("captions", "held-out", seed(31, 9, 2, "an image showing someone's {n}\ni would like {a}"));
  put("captions", "utf8", seed(127, 0, 1, "caf\xc3\xa9 \xe2\x80\x94 Someone's T-shirt!\n\xff\xfe\x80 {n}{a}{"));
  put("captions", "empty-lines", seed(0, 3, -1, "\n\n   \n,.;"));
  put("captions", "long-line", seed(4095, 10, 5, std::string(300, 'a') + " " + std::string(200, 'b') + "\n{a}{a}{n}"));
  put("captions", "one-byte-dim", seed(1, -1, 0, "x y z"));
}

// ---------------------------------------------------------------- round trip

void roundtrip_seeds() {
  // FuzzedDataProvider takes integers from the end of the input: the last byte picks the
  // kind (0..8 in the harness's order), the bytes before it the configuration and data.
  for (int kind = 0; kind < 9; ++kind)
    for (int copy = 0; copy < 2; ++copy) {
      Bytes b(192 + 64 * copy);
      for (auto& v : b) v = static_cast<uint8_t>(next());
      b.back() = static_cast<uint8_t>(kind);
      put("roundtrip", "kind" + std::to_string(kind) + "-" + std::to_string(copy), b);
    }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_corpus OUT_DIR (writes OUT_DIR/<harness>/...)\n");
    return 2;
  }
  g_out = argv[1];
  model_file_and_config_seeds();
  npy_seeds();
  idx_seeds();
  image_seeds();
  caption_seeds();
  roundtrip_seeds();
  std::printf("fuzz_make_corpus: wrote the seed corpora under %s\n", g_out.c_str());
  return 0;
}

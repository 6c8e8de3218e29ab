#include "data/captions.hpp"

#include "core/error.hpp"
#include "core/limits.hpp"
#include "core/rng.hpp"

namespace gm {

namespace {

struct Name {
  const char* noun;
  bool plural;  // no article: "{a}" of "pants" is "pants"
};

// Fashion-MNIST's classes (Xiao et al. 2017), label order, with everyday synonyms.
const std::vector<std::vector<Name>>& synonyms() {
  static const std::vector<std::vector<Name>> names = {
      {{"t-shirt", false}, {"top", false}, {"tee", false}},
      {{"pair of trousers", false}, {"trousers", true}, {"pants", true}, {"pair of slacks", false}},
      {{"pullover", false}, {"sweater", false}, {"jumper", false}},
      {{"dress", false}, {"summer dress", false}, {"gown", false}},
      {{"coat", false}, {"jacket", false}, {"winter coat", false}},
      {{"sandal", false}, {"sandals", true}, {"pair of sandals", false}},
      {{"shirt", false}, {"button-up shirt", false}, {"blouse", false}},
      {{"sneaker", false}, {"trainer", false}, {"running shoe", false}},
      {{"bag", false}, {"handbag", false}, {"purse", false}},
      {{"ankle boot", false}, {"boot", false}, {"short boot", false}},
  };
  return names;
}

void require_class(int c) {
  if (c < 0 || c >= kFashionClasses)
    fail(Status::invalid_data, "Fashion-MNIST captions: label {} is outside [0, {})", c, kFashionClasses);
}

std::string with_article(const Name& name) {
  const std::string noun = name.noun;
  if (name.plural) return noun;
  const char first = noun.empty() ? 'x' : noun[0];
  const bool vowel = first == 'a' || first == 'e' || first == 'i' || first == 'o' || first == 'u';
  return (vowel ? "an " : "a ") + noun;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

}  // namespace

const std::vector<std::string>& fashion_class_names() {
  static const std::vector<std::string> names = {"t-shirt/top", "trouser", "pullover", "dress", "coat",
                                                 "sandal",      "shirt",   "sneaker",  "bag",   "ankle boot"};
  return names;
}

std::vector<std::string> fashion_class_synonyms(int c) {
  require_class(c);
  std::vector<std::string> out;
  for (const Name& n : synonyms()[static_cast<std::size_t>(c)]) out.emplace_back(n.noun);
  return out;
}

const std::vector<std::string>& fashion_train_templates() {
  static const std::vector<std::string> t = {
      "a photo of {a}",
      "{a} on a white background",
      "this is {a}",
      "a picture of {a}",
      "a product photo of {a}",
      "{a}",
      "a black and white photo of {a}",
      "a close-up of {a}",
  };
  return t;
}

const std::vector<std::string>& fashion_held_out_templates() {
  // "image", "showing", "someone", "would", "like", "my", "favourite", "shop", "window" and
  // "look" appear in no train template.
  static const std::vector<std::string> t = {
      "an image showing someone's {n}", "picture: {n}", "i would like {a}", "my favourite {n}",
      "look, {a} in a shop window",
  };
  return t;
}

std::string fashion_caption(const std::string& templ, int c, int s) {
  require_class(c);
  const auto& names = synonyms()[static_cast<std::size_t>(c)];
  if (s < 0 || static_cast<std::size_t>(s) >= names.size())
    fail(Status::invalid_argument, "class {} has {} synonyms, asked for number {}", c, names.size(), s);
  std::string out = templ;
  replace_all(out, "{a}", with_article(names[static_cast<std::size_t>(s)]));
  replace_all(out, "{n}", names[static_cast<std::size_t>(s)].noun);
  return out;
}

std::vector<std::string> fashion_train_captions(const int32_t* labels, int64_t n, uint64_t seed) {
  // A negative n would reach reserve() as a huge size_t: std::length_error, not a status.
  if (n < 0 || n > limits::kMaxRows)
    fail(Status::invalid_argument, "Fashion-MNIST captions: row count {} is outside [0, {}]", n, limits::kMaxRows);
  if (n > 0 && !labels) fail(Status::invalid_data, "Fashion-MNIST captions need labels with the data");
  const auto& templates = fashion_train_templates();
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int64_t r = 0; r < n; ++r) {
    const int c = labels[r];
    require_class(c);
    Rng rng(seed, static_cast<uint64_t>(r));
    const auto t = rng.below(templates.size());
    const auto s = rng.below(synonyms()[static_cast<std::size_t>(c)].size());
    out.push_back(fashion_caption(templates[t], c, static_cast<int>(s)));
  }
  return out;
}

std::vector<std::string> fashion_held_out_captions(int c) {
  require_class(c);
  std::vector<std::string> out;
  const int count = static_cast<int>(synonyms()[static_cast<std::size_t>(c)].size());
  for (const std::string& t : fashion_held_out_templates())
    for (int s = 0; s < count; ++s) out.push_back(fashion_caption(t, c, s));
  return out;
}

}  // namespace gm

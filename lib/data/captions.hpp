// Captions for Fashion-MNIST, so that a text-conditional model (cgan with "condition":
// "text") can be trained on sentences and tested on phrasings it never saw.
//
// Every class has a few names (synonyms: "trousers", "pants", "pair of slacks", ...). A
// template is a phrasing with a hole: "{a}" takes the name with its article ("an ankle
// boot", "a pair of trousers", "pants"), "{n}" the bare name ("someone's pants").
//   train templates     "a photo of {a}", "{a} on a white background", "this is {a}", ...
//   held-out templates  disjoint from the train ones and partly made of words no train
//                       caption contains: "an image showing someone's {n}", "picture: {n}",
//                       "i would like {a}", ...
// Train captions draw their template and synonym per row from Rng(seed, row), so a data set
// gets the same captions on every run and platform.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gm {

constexpr int kFashionClasses = 10;

// "t-shirt/top", "trouser", ..., "ankle boot" (Fashion-MNIST's label order).
const std::vector<std::string>& fashion_class_names();
// The names of class c in [0, 10), canonical first, as "{n}" would write them.
std::vector<std::string> fashion_class_synonyms(int c);
const std::vector<std::string>& fashion_train_templates();
const std::vector<std::string>& fashion_held_out_templates();

// The caption of class c with synonym s (index into fashion_class_synonyms(c)) in template t.
std::string fashion_caption(const std::string& templ, int c, int s);

// One training caption per row for labels[0..n) (each in [0, 10), else invalid_data).
std::vector<std::string> fashion_train_captions(const int32_t* labels, int64_t n, uint64_t seed);
// Every held-out template with every synonym of class c: the phrasings a test asks for.
std::vector<std::string> fashion_held_out_captions(int c);

}  // namespace gm

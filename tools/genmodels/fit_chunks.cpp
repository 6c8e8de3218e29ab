#include "fit_chunks.hpp"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/error.hpp"
#include "data/row_stream.hpp"
#include "models/model_file.hpp"

namespace gm::cli {

namespace {

// The kinds whose warm start adds counts (genmodels.h, gm_fit_options.warm_start).
bool accumulates(const GenerativeModel& model) {
  const std::string kind = model.kind();
  return kind == "bernoulli" || kind == "markov";
}

}  // namespace

void fit_in_chunks(GenerativeModel& model, const DataFlags& data, int64_t chunk_size, FitOptions options,
                   const std::string& out) {
  if (!accumulates(model))
    fail(Status::invalid_argument,
         "--chunk-size streams data through kinds that fit by counting (bernoulli, markov); {} {}: drop "
         "--chunk-size",
         model.kind(), model.trains_in_epochs() ? "trains in epochs over all rows" : "does not add up counts");
  if (!RowStream::supports(data.spec))
    fail(Status::invalid_argument,
         "--chunk-size reads idx:IMAGES[:LABELS], npy:FILE[:LABELS.npy] and fashion-mnist:train|test a chunk at a "
         "time; '{}' is loaded whole: drop --chunk-size",
         data.spec);
  const ImageShape layout = data.shape.empty() ? ImageShape{} : parse_shape_flag(data.shape);
  const auto open_start = std::chrono::steady_clock::now();
  RowStream stream(data.spec, data.binarize, data.levels);
  double read_s = seconds_since(open_start), fit_s = 0.0;
  if (layout.is_image()) {  // DataFlags::load's checks of --shape, from the header
    const ImageShape& own = stream.image();
    if (layout.size() != stream.d())
      fail(Status::invalid_argument, "--shape {} holds {} values but the rows of {} have d = {}: C*H*W must equal d",
           data.shape, layout.size(), data.spec, stream.d());
    if (own.is_image() && (own.channels != layout.channels || own.height != layout.height || own.width != layout.width))
      fail(Status::invalid_argument, "--shape {} contradicts the layout {} has already, {}x{}x{}: drop --shape",
           data.shape, data.spec, own.channels, own.height, own.width);
  }
  const int64_t total = data.max_examples > 0 ? std::min(data.max_examples, stream.rows()) : stream.rows();

  Dataset chunk;
  int64_t chunks = 0;
  while (stream.position() < total) {
    auto start = std::chrono::steady_clock::now();
    stream.next(std::min(chunk_size, total - stream.position()), chunk);
    if (layout.is_image()) chunk.image = layout;
    read_s += seconds_since(start);
    start = std::chrono::steady_clock::now();
    options.warm_start = chunks > 0;
    model.fit(chunk.view(), options);
    fit_s += seconds_since(start);
    ++chunks;
  }
  save_model_file(model, out);
  fmt::print("fitted {} on {} examples of {} values in {:.3f} s, {} chunks of up to {} rows (data read in {:.3f} s)\n",
             model.kind(), total, stream.d(), fit_s, chunks, chunk_size, read_s);
  fmt::print("configuration: {}\nwrote {}\n", model.config().dump(), out);
}

}  // namespace gm::cli

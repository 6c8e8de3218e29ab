// info: inspect a model file.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "common.hpp"
#include "core/limits.hpp"
#include "io/file.hpp"
#include "io/safetensors.hpp"
#include "models/model_file.hpp"
#include "models/registry.hpp"

namespace gm::cli {

namespace {
struct InfoArgs {
  std::string model;
  bool json = false;
};
}  // namespace

void add_info_commands(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<InfoArgs>();
  CLI::App* cmd = app.add_subcommand("info", "describe a model file");
  cmd->add_option("model", args->model, "model file")->required();
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args, &exit_code] {
    exit_code = run_command([&] {
      const auto model = load_model_file(args->model);  // validates everything first
      const std::vector<uint8_t> bytes = read_file(args->model, static_cast<std::size_t>(limits::kModelFileMaxBytes));
      const SafetensorsContents file = decode_safetensors(bytes.data(), bytes.size());
      const DataShape& s = model->data_shape();
      Json tensors = Json::array();
      int64_t parameters = 0;
      for (const TensorRef& t : file.tensors) {
        tensors.push_back({{"name", t.name}, {"dtype", dtype_name(t.dtype)}, {"shape", t.shape}});
        // Integer tensors are statistics, not parameters (bernoulli's and markov's counts).
        if (t.dtype == DType::f32 || t.dtype == DType::f64) parameters += t.elements();
      }
      Json j = {{"file", args->model},
                {"kind", model->kind()},
                {"genmodels_version", file.metadata.at("genmodels_version")},
                {"config", model->config()},
                {"data_shape",
                 {{"d", s.d}, {"channels", s.image.channels}, {"height", s.image.height}, {"width", s.image.width}}},
                {"levels", model->levels()},
                {"capabilities", capability_names(model->capabilities())},
                {"parameters", parameters},
                {"tensors", tensors},
                {"bytes", bytes.size()}};
      const std::vector<std::string> domains =
          (model->capabilities() & cap_translate) ? model->domain_names() : std::vector<std::string>{};
      if (!domains.empty()) j["domains"] = domains;
      const Json growth = model->growth();
      if (!growth.is_null()) j["growth"] = growth;
      if (args->json) {
        fmt::print("{}\n", j.dump());
        return;
      }
      fmt::print("{}: {} model written by genmodels {}\n", args->model, model->kind(),
                 file.metadata.at("genmodels_version"));
      fmt::print("  configuration: {}\n", model->config().dump());
      fmt::print("  data: d = {}", s.d);
      if (s.image.is_image())
        fmt::print(" ({} x {} x {} image, channels x height x width)", s.image.channels, s.image.height, s.image.width);
      else
        fmt::print(" (no image layout: fit with --shape C,H,W for PNG output and --hide)");
      const int64_t m = model->levels();
      if (m == 2)
        fmt::print(", binary pixels");
      else if (m > 2)
        fmt::print(", pixels of {} levels (0..{})", m, m - 1);
      else
        fmt::print(", real values");
      fmt::print("\n  verbs: {}\n", fmt::join(capability_names(model->capabilities()), ", "));
      if (!domains.empty()) fmt::print("  domains (translate --to NAME or INDEX): {}\n", fmt::join(domains, ", "));
      if (!growth.is_null())
        fmt::print("  growth: stage {} of {} ({}x{}{}), {} images shown (sample --stage 1..{})\n",
                   growth["stage"].get<int64_t>(), growth["stages"].get<int64_t>(), growth["side"].get<int64_t>(),
                   growth["side"].get<int64_t>(),
                   growth["alpha"].get<double>() < 1.0
                       ? fmt::format(", fading in: alpha {:.3f}", growth["alpha"].get<double>())
                       : std::string(),
                   growth["images_seen"].get<int64_t>(), growth["stage"].get<int64_t>());
      fmt::print("  {} parameters in {} tensors, {} bytes\n", parameters, file.tensors.size(), bytes.size());
      for (const TensorRef& t : file.tensors)
        fmt::print("    {} {} [{}]\n", t.name, dtype_name(t.dtype), fmt::join(t.shape, ", "));
    });
  });
}

}  // namespace gm::cli

// read_file budgets and errors; write_file_atomic replaces files and leaves no temporaries.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "helpers.hpp"
#include "io/file.hpp"

using namespace gm;
using gm_test::fresh_dir;
using gm_test::list_dir;
using gm_test::status_of;

namespace {
std::vector<uint8_t> bytes_of(const std::string& s) { return {s.begin(), s.end()}; }
}  // namespace

TEST_CASE("atomic write creates, then replaces, and leaves no temporary files") {
  const std::string dir = fresh_dir("io_atomic");
  const std::string path = dir + "/model.safetensors";
  const std::string first = "first version, rather long";
  write_file_atomic(path, first.data(), first.size());
  CHECK(read_file(path, 1 << 20) == bytes_of(first));

  const std::string second = "second";
  write_file_atomic(path, second.data(), second.size());
  CHECK(read_file(path, 1 << 20) == bytes_of(second));
  CHECK(list_dir(dir) == "model.safetensors;");

  write_file_atomic(path, nullptr, 0);
  CHECK(read_file(path, 1 << 20).empty());
  CHECK(list_dir(dir) == "model.safetensors;");

  // A large write goes through the partial-write loop intact.
  std::vector<uint8_t> big(3 << 20);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 2654435761u >> 13);
  write_file_atomic(path, big.data(), big.size());
  CHECK(read_file(path, big.size()) == big);
}

TEST_CASE("atomic write failures are io_error and clean up") {
  const std::string dir = fresh_dir("io_atomic_fail");
  CHECK(status_of([&] { write_file_atomic(dir + "/no/such/folder/f.bin", "x", 1); }) == Status::io_error);
  // The target is a folder: rename fails after the temporary was written; it must go.
  const std::string sub = dir + "/sub";
  std::filesystem::create_directory(sub);
  CHECK(status_of([&] { write_file_atomic(sub, "x", 1); }) == Status::io_error);
  CHECK(list_dir(dir) == "sub;");
  try {
    write_file_atomic(dir + "/missing/f.bin", "x", 1);
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("missing/f.bin") != std::string::npos);
  }
}

TEST_CASE("read_file errors and budget") {
  const std::string dir = fresh_dir("io_read");
  CHECK(status_of([&] { read_file(dir + "/absent.bin", 100); }) == Status::io_error);
  try {
    read_file(dir + "/absent.bin", 100);
  } catch (const Error& e) {
    const std::string msg = e.what();
    CHECK(msg.find("absent.bin") != std::string::npos);
    CHECK(msg.find("No such file") != std::string::npos);
  }
  CHECK(status_of([&] { read_file(dir, 100); }) == Status::io_error);  // a folder

  const std::string path = dir + "/hundred.bin";
  const std::vector<uint8_t> data(100, 7);
  write_file_atomic(path, data.data(), data.size());
  CHECK(read_file(path, 100) == data);
  CHECK(status_of([&] { read_file(path, 99); }) == Status::out_of_memory);
  CHECK(status_of([&] { read_file(path, 0); }) == Status::out_of_memory);
  // A stream with no size (a character device) is refused before reading (issue 12).
  CHECK(status_of([&] { read_file("/dev/zero", 1 << 20); }) == Status::io_error);
}

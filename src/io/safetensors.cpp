// safetensors.cpp — safetensors writer (atomic) and validating reader.
#include "crossover/io/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <torch/torch.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "crossover/util/check.h"

namespace crossover {
namespace {

using json = nlohmann::json;

// Largest header we accept (the reference implementation uses 100 MB).
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

struct DtypeName {
  torch::ScalarType type;
  const char* name;
};
const DtypeName kDtypes[] = {
    {torch::kFloat64, "F64"}, {torch::kFloat32, "F32"}, {torch::kFloat16, "F16"},
    {torch::kBFloat16, "BF16"}, {torch::kInt64, "I64"}, {torch::kInt32, "I32"},
    {torch::kInt16, "I16"},   {torch::kInt8, "I8"},    {torch::kUInt8, "U8"},
    {torch::kBool, "BOOL"},
};

const char* dtype_name(torch::ScalarType t) {
  for (const auto& d : kDtypes)
    if (d.type == t) return d.name;
  CROSSOVER_FAIL("safetensors: unsupported dtype ", t,
                 "; hint: convert to one of F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL");
}

bool dtype_from_name(const std::string& name, torch::ScalarType* out) {
  for (const auto& d : kDtypes)
    if (name == d.name) {
      *out = d.type;
      return true;
    }
  return false;
}

void write_all(int fd, const void* data, size_t n, const std::string& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    CROSSOVER_CHECK(w > 0, "cannot write ", path, ": ", std::strerror(errno),
                    "; hint: check free disk space and permissions");
    p += w;
    n -= static_cast<size_t>(w);
  }
}

void check_little_endian() {
  const uint16_t probe = 1;
  CROSSOVER_CHECK(*reinterpret_cast<const uint8_t*>(&probe) == 1,
                  "safetensors I/O assumes a little-endian host");
}

}  // namespace

void save_safetensors(const std::string& path,
                      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  check_little_endian();
  json header = json::object();
  std::vector<torch::Tensor> data;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    CROSSOVER_CHECK(name != "__metadata__" && !header.contains(name),
                    "safetensors: duplicate or reserved tensor name '", name, "' for ", path);
    CROSSOVER_CHECK(tensor.defined(), "safetensors: tensor '", name, "' is undefined");
    auto t = tensor.detach().to(torch::kCPU).contiguous();
    uint64_t bytes = static_cast<uint64_t>(t.numel()) * t.element_size();
    header[name] = {{"dtype", dtype_name(t.scalar_type())},
                    {"shape", t.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    data.push_back(t);
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  uint64_t n = text.size();

  std::string tmp = str_cat(path, ".tmp.", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CROSSOVER_CHECK(fd >= 0, "cannot create ", tmp, ": ", std::strerror(errno),
                  "; hint: does the directory exist and is it writable?");
  try {
    write_all(fd, &n, 8, tmp);
    write_all(fd, text.data(), text.size(), tmp);
    for (const auto& t : data)
      write_all(fd, t.data_ptr(), static_cast<size_t>(t.numel()) * t.element_size(), tmp);
    CROSSOVER_CHECK(::fsync(fd) == 0, "cannot fsync ", tmp, ": ", std::strerror(errno));
  } catch (...) {
    ::close(fd);
    std::remove(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = std::strerror(errno);
    std::remove(tmp.c_str());
    CROSSOVER_FAIL("cannot rename ", tmp, " to ", path, ": ", err);
  }
}

std::map<std::string, torch::Tensor> load_safetensors(const std::string& path,
                                                      std::map<std::string, std::string>* metadata) {
  check_little_endian();
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  CROSSOVER_CHECK(in.good(), "cannot open safetensors file ", path, "; hint: check the path");
  uint64_t file_size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  CROSSOVER_CHECK(file_size >= 8, path, ": truncated safetensors file (", file_size,
                  " bytes, no header length)");
  uint64_t n = 0;
  in.read(reinterpret_cast<char*>(&n), 8);
  CROSSOVER_CHECK(n <= kMaxHeaderBytes && n <= file_size - 8, path,
                  ": corrupt or truncated safetensors header (header length ", n, ", file size ",
                  file_size, ")");
  std::string text(n, '\0');
  in.read(text.data(), static_cast<std::streamsize>(n));
  CROSSOVER_CHECK(in.good(), path, ": cannot read the safetensors header");
  json header = json::parse(text, nullptr, /*allow_exceptions=*/false);
  CROSSOVER_CHECK(header.is_object(), path, ": safetensors header is not a JSON object");
  uint64_t data_size = file_size - 8 - n;

  struct Entry {
    std::string name;
    torch::ScalarType type;
    std::vector<int64_t> shape;
    uint64_t begin, end;
  };
  std::vector<Entry> entries;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const auto& v = it.value();
    if (it.key() == "__metadata__") {
      CROSSOVER_CHECK(v.is_object(), path, ": __metadata__ is not an object");
      for (auto m = v.begin(); m != v.end(); ++m) {
        CROSSOVER_CHECK(m.value().is_string(), path, ": metadata '", m.key(), "' is not a string");
        if (metadata) (*metadata)[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    Entry e;
    e.name = it.key();
    bool ok = v.is_object() && v.contains("dtype") && v["dtype"].is_string() &&
              v.contains("shape") && v["shape"].is_array() && v.contains("data_offsets") &&
              v["data_offsets"].is_array() && v["data_offsets"].size() == 2 &&
              v["data_offsets"][0].is_number_unsigned() && v["data_offsets"][1].is_number_unsigned();
    CROSSOVER_CHECK(ok, path, ": malformed entry for tensor '", e.name, "'");
    CROSSOVER_CHECK(dtype_from_name(v["dtype"].get<std::string>(), &e.type), path,
                    ": tensor '", e.name, "' has unsupported dtype ", v["dtype"].dump());
    uint64_t numel = 1;
    for (const auto& d : v["shape"]) {
      CROSSOVER_CHECK(d.is_number_unsigned() && d.get<uint64_t>() < (1ull << 40), path,
                      ": tensor '", e.name, "' has a bad shape ", v["shape"].dump());
      e.shape.push_back(d.get<int64_t>());
      numel *= d.get<uint64_t>();
    }
    e.begin = v["data_offsets"][0].get<uint64_t>();
    e.end = v["data_offsets"][1].get<uint64_t>();
    uint64_t bytes = numel * c10::elementSize(e.type);
    CROSSOVER_CHECK(e.begin <= e.end && e.end <= data_size && e.end - e.begin == bytes, path,
                    ": tensor '", e.name, "' has offsets [", e.begin, ", ", e.end, ") but needs ",
                    bytes, " bytes within ", data_size, " data bytes (truncated or corrupt file)");
    entries.push_back(std::move(e));
  }
  // Offsets must tile the data buffer exactly: no overlaps, no holes.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.begin < b.begin; });
  uint64_t cursor = 0;
  for (const auto& e : entries) {
    CROSSOVER_CHECK(e.begin == cursor, path, ": tensor '", e.name, "' starts at ", e.begin,
                    ", expected ", cursor, " (overlapping or non-contiguous data)");
    cursor = e.end;
  }
  CROSSOVER_CHECK(cursor == data_size, path, ": ", data_size - cursor,
                  " trailing bytes after the last tensor (corrupt file)");

  std::map<std::string, torch::Tensor> out;
  for (const auto& e : entries) {
    auto t = torch::empty(e.shape, torch::TensorOptions().dtype(e.type));
    in.seekg(static_cast<std::streamoff>(8 + n + e.begin));
    in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(e.end - e.begin));
    CROSSOVER_CHECK(in.good(), path, ": cannot read tensor '", e.name, "' (truncated file?)");
    out.emplace(e.name, t);
  }
  return out;
}

}  // namespace crossover

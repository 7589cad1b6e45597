// dataset.cpp — opening prepared datasets and their tokenizers.
#include "crossover/data/dataset.h"

#include <filesystem>
#include <fstream>

#include "crossover/util/check.h"
#include "crossover/util/checksum.h"

namespace crossover {
namespace fs = std::filesystem;
namespace {

bool exists_file(const std::string& p) { return fs::is_regular_file(p); }

// Checks a file against meta.json's "files" entry of the same basename.
void verify_file(const DatasetMeta& meta, const std::string& path) {
  std::string base = fs::path(path).filename().string();
  if (!meta.json.contains("files") || !meta.json["files"].contains(base)) return;
  const auto& f = meta.json["files"][base];
  const std::string hint = "; hint: the file is truncated or corrupt: re-run `crossover data prepare`";
  int64_t bytes = static_cast<int64_t>(fs::file_size(path));
  if (f.contains("bytes") && f["bytes"].get<int64_t>() != bytes)
    throw Error(str_cat("'", path, "' is ", bytes, " bytes but meta.json records ",
                        f["bytes"].get<int64_t>(), hint));
  // XXH3 since the dataset format recorded it; FNV-1a for datasets prepared before.
  for (const char* algo : {"xxh3_64", "fnv1a64"}) {
    if (!f.contains(algo)) continue;
    const std::string want = f[algo].get<std::string>();
    const std::string got = hex64(std::string(algo) == "xxh3_64" ? xxh3_64_file(path) : fnv1a64_file(path));
    if (want != got)
      throw Error(str_cat("'", path, "' fails its checksum (", algo, " ", got, ", meta.json has ",
                          want, ")", hint));
    break;
  }
}

void verify_tokens(const DatasetMeta& meta, const IndexedDataset& ds) {
  int64_t value = 0;
  int64_t at = ds.find_token_outside(meta.vocab_size, &value);
  if (at >= 0)
    throw Error(str_cat("'", ds.path(), "' holds token id ", value, " at token ", at,
                        ", outside the vocabulary of ", meta.vocab_size,
                        "; hint: the data was tokenized with another tokenizer than meta.json names"));
}

std::string meta_beside(const std::string& stem) {
  if (exists_file(stem + ".json")) return stem + ".json";
  fs::path dir = fs::path(stem).parent_path();
  std::string m = ((dir.empty() ? fs::path(".") : dir) / "meta.json").string();
  if (exists_file(m)) return m;
  throw Error(str_cat("no meta for dataset '", stem, "': neither ", stem, ".json nor ", m,
                      " exists; hint: prepare data with `crossover data prepare`, or write a JSON "
                      "with tokenizer.name, vocab_size and eos/bos/pad/mask ids"));
}

}  // namespace

DatasetMeta read_dataset_meta(const std::string& meta_path) {
  std::ifstream in(meta_path);
  if (!in) throw Error(str_cat("cannot read '", meta_path, "'"));
  DatasetMeta m;
  try {
    m.json = nlohmann::json::parse(in);
    const auto& t = m.json.at("tokenizer");
    m.tokenizer = t.at("name").get<std::string>();
    m.vocab_size = t.at("vocab_size").get<int64_t>();
    m.eos_id = t.at("eos_id").get<int32_t>();
    m.bos_id = t.at("bos_id").get<int32_t>();
    m.pad_id = t.at("pad_id").get<int32_t>();
    m.mask_id = t.at("mask_id").get<int32_t>();
    if (t.contains("model") && !t["model"].get<std::string>().empty()) {
      fs::path p = t["model"].get<std::string>();
      if (p.is_relative()) p = fs::path(meta_path).parent_path() / p;
      m.tokenizer_model = p.string();
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(str_cat("'", meta_path, "' is not a valid dataset meta: ", e.what(),
                        "; hint: it needs tokenizer.{name,vocab_size,eos_id,bos_id,pad_id,mask_id}"));
  }
  for (int32_t id : {m.eos_id, m.bos_id, m.pad_id, m.mask_id})
    if (id < 0 || id >= m.vocab_size)
      throw Error(str_cat("'", meta_path, "': special id ", id, " is outside the vocabulary of ",
                          m.vocab_size));
  return m;
}

PreparedDataset PreparedDataset::open(const std::string& path, const std::string& val_path,
                                      bool verify) {
  if (path.empty())
    throw UsageError("data.path is empty; hint: set data.path to a directory written by "
                     "`crossover data prepare --out DIR`");
  PreparedDataset ds;
  std::string train_prefix, val_prefix = val_path;
  bool raw = false;
  if (fs::is_directory(path)) {
    ds.meta_path = (fs::path(path) / "meta.json").string();
    if (!exists_file(ds.meta_path))
      throw Error(str_cat("'", path, "' has no meta.json; hint: it is not a prepared dataset "
                          "(or `crossover data prepare` did not finish)"));
    train_prefix = (fs::path(path) / "train").string();
    if (val_prefix.empty()) val_prefix = (fs::path(path) / "val").string();
  } else if (exists_file(path + ".idx") || exists_file(path + ".bin")) {
    ds.meta_path = meta_beside(path);
    train_prefix = path;
    if (val_prefix.empty() && exists_file(path + "_val.idx")) val_prefix = path + "_val";
  } else if (str_ends_with(path, ".bin") && exists_file(path)) {
    raw = true;
    ds.meta_path = meta_beside(path.substr(0, path.size() - 4));
  } else {
    throw Error(str_cat("data.path '", path, "' is neither a prepared dataset directory, a "
                        "Megatron prefix (.bin/.idx) nor a raw .bin; hint: run `crossover data "
                        "prepare --out DIR` and set data.path: DIR"));
  }
  ds.meta = read_dataset_meta(ds.meta_path);
  auto open_split = [&](const std::string& prefix) -> std::shared_ptr<IndexedDataset> {
    bool raw_split = raw || (str_ends_with(prefix, ".bin") && !exists_file(prefix + ".idx"));
    if (verify) {
      if (raw_split) {
        verify_file(ds.meta, prefix);
      } else {
        if (!exists_file(prefix + ".bin") || !exists_file(prefix + ".idx"))
          throw Error(str_cat("missing '", prefix, exists_file(prefix + ".bin") ? ".idx" : ".bin",
                              "'; hint: re-run `crossover data prepare`"));
        verify_file(ds.meta, prefix + ".bin");
        verify_file(ds.meta, prefix + ".idx");
      }
    }
    auto split = raw_split ? IndexedDataset::open_raw_uint16(prefix, ds.meta.eos_id)
                           : IndexedDataset::open_megatron(prefix);
    if (verify) verify_tokens(ds.meta, *split);
    return split;
  };
  ds.train = open_split(raw ? path : train_prefix);
  if (!val_prefix.empty()) {
    bool present = exists_file(val_prefix) || exists_file(val_prefix + ".bin");
    if (present || !val_path.empty()) ds.val = open_split(val_prefix);
  }
  return ds;
}

std::unique_ptr<Tokenizer> load_tokenizer(const DatasetMeta& meta) {
  std::unique_ptr<Tokenizer> tok;
  if (meta.tokenizer == "byte") {
    tok = make_byte_tokenizer();
  } else if (meta.tokenizer == "sentencepiece") {
    if (meta.tokenizer_model.empty())
      throw Error("meta.json names a sentencepiece tokenizer but no tokenizer.model file");
    tok = load_sentencepiece_tokenizer(meta.tokenizer_model);
  } else {
    throw Error(str_cat("unknown tokenizer '", meta.tokenizer, "' in meta.json; hint: byte or "
                        "sentencepiece"));
  }
  if (tok->vocab_size() != meta.vocab_size || tok->eos_id() != meta.eos_id ||
      tok->mask_id() != meta.mask_id || tok->pad_id() != meta.pad_id || tok->bos_id() != meta.bos_id)
    throw Error(str_cat("the ", meta.tokenizer, " tokenizer (vocab ", tok->vocab_size(), ", eos ",
                        tok->eos_id(), ", mask ", tok->mask_id(), ") disagrees with meta.json (vocab ",
                        meta.vocab_size, ", eos ", meta.eos_id, ", mask ", meta.mask_id, ")"));
  return tok;
}

}  // namespace crossover

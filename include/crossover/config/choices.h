// choices.h — every config key whose value is one of a few names, as an enum
// with one name table. The YAML reader checks the name against the table
// (config.cpp's visit_config), the config then holds the enum, and every use
// compares enums: a name is spelled once, here. choice_name / operator<< give
// the name back for messages, JSON and the YAML writer.
//   objective.kind        ObjectiveKind  ar | mdm | ar_noise | bd3
//   objective.t_sampling  TSampling      independent | stratified
//   objective.weighting   Weighting      inv_t | inv_realised
//   runtime.precision     Precision      auto | fp32 | bf16
//   data.shuffle          Shuffle        epoch | global
//   train.lr_schedule     LrSchedule     cosine | wsd | constant
//   train.nan_policy      NanPolicy      stop | skip
//   eval.val_windows      ValWindows     first | spread
//   eval.task_mc          McMode         fixed | adaptive
//   dist.shard            ShardMode      none | optimizer (ZeRO-1) | gradients (ZeRO-2)
//   dist.grad_dtype       GradDtype      fp32 | bf16
#pragma once

#include <ostream>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "crossover/util/check.h"
#include "crossover/util/strings.h"

namespace crossover {

enum class ObjectiveKind { kAr, kMdm, kArNoise, kBd3 };
enum class TSampling { kIndependent, kStratified };
enum class Weighting { kInvT, kInvRealised };
enum class Precision { kAuto, kFp32, kBf16 };
enum class Shuffle { kEpoch, kGlobal };
enum class LrSchedule { kCosine, kWsd, kConstant };
enum class NanPolicy { kStop, kSkip };
enum class ValWindows { kFirst, kSpread };
enum class McMode { kFixed, kAdaptive };
enum class ShardMode { none, optimizer, gradients };
enum class GradDtype { kFp32, kBf16 };

// The name table of one choice type; specialised below. key: the config key,
// for error messages.
template <class E>
struct Choices {
  static constexpr bool kIsChoice = false;
};

#define CROSSOVER_CHOICES(E, KEY, ...)                                        \
  template <>                                                                 \
  struct Choices<E> {                                                         \
    static constexpr bool kIsChoice = true;                                   \
    static constexpr const char* key = KEY;                                   \
    static const std::vector<std::pair<E, std::string>>& table() {            \
      static const std::vector<std::pair<E, std::string>> t = {__VA_ARGS__}; \
      return t;                                                               \
    }                                                                         \
  };

CROSSOVER_CHOICES(ObjectiveKind, "objective.kind", {ObjectiveKind::kAr, "ar"},
                  {ObjectiveKind::kMdm, "mdm"}, {ObjectiveKind::kArNoise, "ar_noise"},
                  {ObjectiveKind::kBd3, "bd3"})
CROSSOVER_CHOICES(TSampling, "objective.t_sampling", {TSampling::kIndependent, "independent"},
                  {TSampling::kStratified, "stratified"})
CROSSOVER_CHOICES(Weighting, "objective.weighting", {Weighting::kInvT, "inv_t"},
                  {Weighting::kInvRealised, "inv_realised"})
CROSSOVER_CHOICES(Precision, "runtime.precision", {Precision::kAuto, "auto"},
                  {Precision::kFp32, "fp32"}, {Precision::kBf16, "bf16"})
CROSSOVER_CHOICES(Shuffle, "data.shuffle", {Shuffle::kEpoch, "epoch"}, {Shuffle::kGlobal, "global"})
CROSSOVER_CHOICES(LrSchedule, "train.lr_schedule", {LrSchedule::kCosine, "cosine"},
                  {LrSchedule::kWsd, "wsd"}, {LrSchedule::kConstant, "constant"})
CROSSOVER_CHOICES(NanPolicy, "train.nan_policy", {NanPolicy::kStop, "stop"}, {NanPolicy::kSkip, "skip"})
CROSSOVER_CHOICES(ValWindows, "eval.val_windows", {ValWindows::kFirst, "first"},
                  {ValWindows::kSpread, "spread"})
CROSSOVER_CHOICES(McMode, "eval.task_mc", {McMode::kFixed, "fixed"}, {McMode::kAdaptive, "adaptive"})
CROSSOVER_CHOICES(ShardMode, "dist.shard", {ShardMode::none, "none"},
                  {ShardMode::optimizer, "optimizer"}, {ShardMode::gradients, "gradients"})
CROSSOVER_CHOICES(GradDtype, "dist.grad_dtype", {GradDtype::kFp32, "fp32"}, {GradDtype::kBf16, "bf16"})
#undef CROSSOVER_CHOICES

template <class E>
using IfChoice = std::enable_if_t<Choices<E>::kIsChoice, int>;

template <class E, IfChoice<E> = 0>
const std::string& choice_name(E v) {
  for (const auto& [e, name] : Choices<E>::table())
    if (e == v) return name;
  throw Error(str_cat(Choices<E>::key, ": no name for value ", static_cast<int>(v)));
}

template <class E, IfChoice<E> = 0>
std::vector<std::string> choice_names() {
  std::vector<std::string> names;
  for (const auto& entry : Choices<E>::table()) names.push_back(entry.second);
  return names;
}

// The value named `name`; UsageError naming the key and the allowed names otherwise.
template <class E, IfChoice<E> = 0>
E parse_choice(const std::string& name) {
  std::string allowed;
  for (const auto& [e, n] : Choices<E>::table()) {
    if (n == name) return e;
    allowed += (allowed.empty() ? "" : " | ") + n;
  }
  throw UsageError(str_cat(Choices<E>::key, " must be one of ", allowed, ", got '", name, "'"));
}

template <class E, IfChoice<E> = 0>
std::ostream& operator<<(std::ostream& os, E v) {
  return os << choice_name(v);
}

}  // namespace crossover

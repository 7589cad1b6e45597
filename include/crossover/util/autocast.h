// autocast.h — the one bf16 autocast scope (CUDA) every forward pass uses.
//
// RAII: on entry (when `on`) enables CUDA autocast to bfloat16; on exit — also
// when an exception unwinds — restores the enabled flag and dtype it found and,
// leaving the outermost autocast region, clears the cast-weight cache (as
// torch.autocast does). `on` = false leaves everything untouched, so CPU and
// fp32 runs pay nothing.
#pragma once

#include <c10/core/ScalarType.h>

namespace crossover {

class AutocastScope {
 public:
  explicit AutocastScope(bool on);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool on_;
  bool prev_enabled_ = false;
  c10::ScalarType prev_dtype_ = c10::ScalarType::Half;
};

}  // namespace crossover

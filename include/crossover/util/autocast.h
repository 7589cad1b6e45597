// autocast.h — the one bf16 autocast scope (CUDA) every forward pass uses, and
// the snapshot of a thread's autocast state that activation checkpointing
// re-enters for its recompute.
//
// AutocastScope (RAII): on entry (when `on`) enables CUDA autocast to bfloat16;
// on exit — also when an exception unwinds — restores the enabled flag and
// dtype it found and, leaving the outermost autocast region, clears the
// cast-weight cache (as torch.autocast does). `on` = false leaves everything
// untouched, so CPU and fp32 runs pay nothing.
//
// AutocastState / AutocastReplay: what torch.utils.checkpoint saves in forward
// (_get_autocast_kwargs: enabled and dtype for the device type and for CPU, and
// the cache flag) and re-enters in backward, so a recompute that runs after the
// forward's autocast region has closed computes in the same precision.
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

struct AutocastState {
  bool cpu_enabled = false;
  c10::ScalarType cpu_dtype = c10::ScalarType::BFloat16;
  bool cuda_enabled = false;
  c10::ScalarType cuda_dtype = c10::ScalarType::Half;
  bool cache_enabled = true;

  bool any() const { return cpu_enabled || cuda_enabled; }
};

// This thread's autocast state now.
AutocastState autocast_state();

// RAII: makes `state` this thread's autocast state (both device types) for its
// lifetime and restores what it found on exit, clearing the cast cache when it
// leaves the outermost autocast region. A state with autocast off on both
// device types (and none on now) touches nothing.
class AutocastReplay {
 public:
  explicit AutocastReplay(const AutocastState& state);
  ~AutocastReplay();
  AutocastReplay(const AutocastReplay&) = delete;
  AutocastReplay& operator=(const AutocastReplay&) = delete;

 private:
  bool active_;
  AutocastState prev_;
};

}  // namespace crossover

// AutocastScope: enables bf16 autocast for its lifetime and restores the state
// it found — after a normal exit, when an exception unwinds, and when nested
// (an inner scope must not switch off an outer one). Autocast is thread-local
// state, so this runs without a GPU.
#include "crossover/util/autocast.h"

#include <ATen/autocast_mode.h>
#include <gtest/gtest.h>

#include <stdexcept>

namespace crossover {
namespace {

bool enabled() { return at::autocast::is_autocast_enabled(at::kCUDA); }
at::ScalarType dtype() { return at::autocast::get_autocast_dtype(at::kCUDA); }

TEST(Autocast, ScopeRestoresThePreviousStateEvenOnExceptions) {
  ASSERT_FALSE(enabled());
  at::autocast::set_autocast_dtype(at::kCUDA, at::kHalf);
  {
    AutocastScope off(false);  // off: touches nothing
    EXPECT_FALSE(enabled());
  }
  {
    AutocastScope on(true);
    EXPECT_TRUE(enabled());
    EXPECT_EQ(dtype(), at::kBFloat16);
    {
      AutocastScope inner(true);
      EXPECT_TRUE(enabled());
    }
    EXPECT_TRUE(enabled()) << "the inner scope switched off the outer one";
    EXPECT_EQ(dtype(), at::kBFloat16);
  }
  EXPECT_FALSE(enabled());
  EXPECT_EQ(dtype(), at::kHalf);
  try {
    AutocastScope on(true);
    throw std::runtime_error("forward failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(enabled());
  EXPECT_EQ(dtype(), at::kHalf);
}

}  // namespace
}  // namespace crossover

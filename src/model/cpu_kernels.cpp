// cpu_kernels.cpp — fused RMSNorm and RoPE for CPU, forward and backward.
//
// Rows are processed in parallel (at::parallel_for); the inner loops are
// plain element-wise code that the compiler vectorises. The RMSNorm weight
// gradient is accumulated per thread and reduced at the end.
#include "crossover/model/cpu_kernels.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>

#include "crossover/util/check.h"

namespace crossover {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// x viewed as (O, I, D) with strides (so, si, 1): a strided grid of rows.
struct RowGrid {
  torch::Tensor t;  // the (O, I, D) view (or a contiguous copy)
  int64_t O, I, D, so, si;
};

RowGrid row_grid(const torch::Tensor& x) {
  int64_t D = x.size(-1);
  int64_t I = x.dim() >= 2 ? x.size(-2) : 1;
  torch::Tensor v;
  if (x.stride(-1) == 1) {
    try {
      v = x.view({-1, I, D});  // succeeds when the leading dims merge without a copy
    } catch (const c10::Error&) {
    }
  }
  if (!v.defined()) v = x.contiguous().view({-1, I, D});
  return {v, v.size(0), I, D, v.stride(0), v.stride(1)};
}

// ---------------------------------------------------------------- RMSNorm
template <class S>
void rms_forward(const RowGrid& g, const S* w, double eps, S* y, S* rinv) {
  const S* x = g.t.data_ptr<S>();
  int64_t D = g.D, I = g.I;
  at::parallel_for(0, g.O * I, 64, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const S* xr = x + (r / I) * g.so + (r % I) * g.si;
      S ss = 0;
      for (int64_t j = 0; j < D; ++j) ss += xr[j] * xr[j];
      S ri = static_cast<S>(1.0 / std::sqrt(static_cast<double>(ss) / D + eps));
      rinv[r] = ri;
      S* yr = y + r * D;
      for (int64_t j = 0; j < D; ++j) yr[j] = xr[j] * ri * w[j];
    }
  });
}

// dx = r·(g∘w) − r³·x·Σ(g∘w∘x)/D ;  dw = Σ_rows g∘x·r
template <class S>
void rms_backward(const RowGrid& g, const S* w, const S* rinv, const S* gy, S* dx, S* dw) {
  const S* x = g.t.data_ptr<S>();
  int64_t D = g.D, I = g.I, N = g.O * I;
  int nt = at::get_num_threads();
  std::vector<S> partial(static_cast<size_t>(nt) * D, S(0));
  at::parallel_for(0, N, 64, [&](int64_t begin, int64_t end) {
    S* acc = partial.data() + static_cast<size_t>(at::get_thread_num()) * D;
    for (int64_t r = begin; r < end; ++r) {
      const S* xr = x + (r / I) * g.so + (r % I) * g.si;
      const S* gr = gy + r * D;
      S ri = rinv[r], dot = 0;
      for (int64_t j = 0; j < D; ++j) dot += gr[j] * w[j] * xr[j];
      S c = ri * ri * ri * dot / static_cast<S>(D);
      S* dr = dx + r * D;
      for (int64_t j = 0; j < D; ++j) {
        dr[j] = ri * gr[j] * w[j] - c * xr[j];
        acc[j] += gr[j] * xr[j] * ri;
      }
    }
  });
  for (int64_t j = 0; j < D; ++j) dw[j] = 0;
  for (int t = 0; t < nt; ++t)
    for (int64_t j = 0; j < D; ++j) dw[j] += partial[static_cast<size_t>(t) * D + j];
}

class RMSNormFunction : public torch::autograd::Function<RMSNormFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, double eps) {
    auto g = row_grid(x);
    auto y = torch::empty(x.sizes(), x.options());
    auto rinv = torch::empty({g.O * g.I}, x.options());
    auto w = weight.contiguous();
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "fused_rms_norm", [&] {
      rms_forward<scalar_t>(g, w.data_ptr<scalar_t>(), eps, y.data_ptr<scalar_t>(),
                            rinv.data_ptr<scalar_t>());
    });
    ctx->save_for_backward({g.t, w, rinv});
    return y;
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    RowGrid g{saved[0], saved[0].size(0), saved[0].size(1), saved[0].size(2), saved[0].stride(0),
              saved[0].stride(1)};
    auto w = saved[1], rinv = saved[2];
    auto gy = grads[0].contiguous();
    auto dx = torch::empty({g.O, g.I, g.D}, gy.options());
    auto dw = torch::empty({g.D}, gy.options());
    AT_DISPATCH_FLOATING_TYPES(gy.scalar_type(), "fused_rms_norm_backward", [&] {
      rms_backward<scalar_t>(g, w.data_ptr<scalar_t>(), rinv.data_ptr<scalar_t>(),
                             gy.data_ptr<scalar_t>(), dx.data_ptr<scalar_t>(),
                             dw.data_ptr<scalar_t>());
    });
    return {dx.view(grads[0].sizes()), dw, torch::Tensor()};
  }
};

// ---------------------------------------------------------------- RoPE
// y1 = x1·c − x2·s, y2 = x2·c + x1·s. The backward is the inverse rotation:
// dx1 = g1·c + g2·s, dx2 = g2·c − g1·s (sign = −1 below).
template <class S>
void rope_apply(const RowGrid& g, int64_t T, const S* cos, const S* sin, int64_t tab_stride,
                S sign, S* y) {
  const S* x = g.t.data_ptr<S>();
  int64_t half = g.D / 2, I = g.I, D = g.D;
  at::parallel_for(0, g.O * I, 64, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      int64_t o = r / I, t = o % T;
      const S* xr = x + o * g.so + (r % I) * g.si;
      const S* c = cos + t * tab_stride;
      const S* s = sin + t * tab_stride;
      S* yr = y + r * D;
      for (int64_t j = 0; j < half; ++j) {
        S x1 = xr[j], x2 = xr[j + half], sj = sign * s[j];
        yr[j] = x1 * c[j] - x2 * sj;
        yr[j + half] = x2 * c[j] + x1 * sj;
      }
    }
  });
}

torch::Tensor rope_run(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                       double sign) {
  int64_t T = x.size(1);
  auto g = row_grid(x);  // (B·T, H, D)
  auto y = torch::empty(x.sizes(), x.options());
  auto c = cos.contiguous(), s = sin.contiguous();
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "fused_rope", [&] {
    rope_apply<scalar_t>(g, T, c.data_ptr<scalar_t>(), s.data_ptr<scalar_t>(), c.stride(0),
                         static_cast<scalar_t>(sign), y.data_ptr<scalar_t>());
  });
  return y;
}

class RoPEFunction : public torch::autograd::Function<RoPEFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& cos, const torch::Tensor& sin) {
    ctx->save_for_backward({cos, sin});
    return rope_run(x, cos, sin, 1.0);
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    auto saved = ctx->get_saved_variables();
    return {rope_run(grads[0], saved[0], saved[1], -1.0), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

bool cpu_kernels_support(const torch::Tensor& x) {
  return x.device().is_cpu() &&
         (x.scalar_type() == torch::kFloat32 || x.scalar_type() == torch::kFloat64) &&
         x.numel() > 0;
}

torch::Tensor fused_rms_norm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  CROSSOVER_CHECK(cpu_kernels_support(x) && weight.scalar_type() == x.scalar_type() &&
                      weight.dim() == 1 && weight.size(0) == x.size(-1),
                  "fused_rms_norm: unsupported input ", x.sizes(), " ", x.scalar_type(),
                  " / weight ", weight.sizes());
  return RMSNormFunction::apply(x, weight, eps);
}

torch::Tensor fused_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  CROSSOVER_CHECK(cpu_kernels_support(x) && x.dim() == 4 && cos.scalar_type() == x.scalar_type() &&
                      cos.size(0) >= x.size(1) && cos.size(1) * 2 == x.size(3),
                  "fused_rope: unsupported input ", x.sizes(), " / table ", cos.sizes());
  return RoPEFunction::apply(x, cos, sin);
}

}  // namespace crossover

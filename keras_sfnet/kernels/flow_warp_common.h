// Geometry of the SFNet flow warp shared by the CPU and CUDA kernels.
#ifndef KERAS_SFNET_KERNELS_FLOW_WARP_COMMON_H_
#define KERAS_SFNET_KERNELS_FLOW_WARP_COMMON_H_

#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define SFNET_HD __host__ __device__ __forceinline__
#else
#define SFNET_HD inline
#endif

namespace sfnet {

struct Geometry {
  int64_t batch, in_h, in_w, channels, out_h, out_w;
  float out_hf, out_wf;    // output height/width as float
  float step_x, step_y;    // max(out - 1, 1) as float (linspace denominator)
  float scale_x, scale_y;  // 0.5 * (in - 1), applied as (g + 1) * 0.5 * (in - 1)
  float in_w1, in_h1;      // in - 1 as float
};

inline Geometry MakeGeometry(int64_t batch, int64_t in_h, int64_t in_w, int64_t channels,
                             int64_t out_h, int64_t out_w) {
  Geometry g;
  g.batch = batch;
  g.in_h = in_h;
  g.in_w = in_w;
  g.channels = channels;
  g.out_h = out_h;
  g.out_w = out_w;
  g.out_hf = static_cast<float>(out_h);
  g.out_wf = static_cast<float>(out_w);
  g.step_x = g.out_wf - 1.0f > 1.0f ? g.out_wf - 1.0f : 1.0f;
  g.step_y = g.out_hf - 1.0f > 1.0f ? g.out_hf - 1.0f : 1.0f;
  g.in_w1 = static_cast<float>(in_w - 1);
  g.in_h1 = static_cast<float>(in_h - 1);
  // d x / d flow_x = 0.5 * (W_in - 1) / w, evaluated as (grad * 0.5) * (W_in - 1) / w
  // in the gradient; kept here as the product for the kernels.
  g.scale_x = 0.5f * g.in_w1;
  g.scale_y = 0.5f * g.in_h1;
  return g;
}

// The four neighbours of one output pixel: flat source indices (batch included,
// clamped into the source), float32 bilinear weights (zeroed outside the source) and
// the separable weights needed by the flow gradient. Order: (y0,x0), (y0,x1), (y1,x0),
// (y1,x1).
struct Corners {
  int32_t index[4];
  float w[4];
  float wx0, wx1, wy0, wy1;
  unsigned char valid[4];
};

SFNET_HD int64_t ClampToInt(float v, int64_t hi) {
  // floor(v) as an int, kept in [-2, hi + 1] so that the cast is always defined; any
  // neighbour outside [0, hi] is invalid either way.
  if (!(v > -2.0f)) return -2;
  if (v > static_cast<float>(hi + 1)) return hi + 1;
  return static_cast<int64_t>(v);
}

SFNET_HD Corners ComputeCorners(const Geometry& g, int64_t p, float flow_x, float flow_y) {
  const int64_t col = p % g.out_w;
  const int64_t row = (p / g.out_w) % g.out_h;
  const int64_t b = p / (g.out_w * g.out_h);
  // Same operation order as the pure-TF graph (bitwise equal in float32).
  const float base_x = -1.0f + (2.0f * static_cast<float>(col)) / g.step_x;
  const float base_y = -1.0f + (2.0f * static_cast<float>(row)) / g.step_y;
  const float gx = base_x + flow_x / g.out_wf;
  const float gy = base_y + flow_y / g.out_hf;
  const float x = (gx + 1.0f) * 0.5f * g.in_w1;
  const float y = (gy + 1.0f) * 0.5f * g.in_h1;
  const float x0f = floorf(x);
  const float y0f = floorf(y);
  Corners k;
  k.wx1 = x - x0f;
  k.wy1 = y - y0f;
  k.wx0 = 1.0f - k.wx1;
  k.wy0 = 1.0f - k.wy1;
  const int64_t x0 = ClampToInt(x0f, g.in_w);
  const int64_t y0 = ClampToInt(y0f, g.in_h);
  const int64_t xs[2] = {x0, x0 + 1};
  const int64_t ys[2] = {y0, y0 + 1};
  const float wxs[2] = {k.wx0, k.wx1};
  const float wys[2] = {k.wy0, k.wy1};
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      const int n = 2 * i + j;
      const int64_t xi = xs[j];
      const int64_t yi = ys[i];
      const bool ok = xi >= 0 && xi < g.in_w && yi >= 0 && yi < g.in_h;
      const int64_t xc = xi < 0 ? 0 : (xi > g.in_w - 1 ? g.in_w - 1 : xi);
      const int64_t yc = yi < 0 ? 0 : (yi > g.in_h - 1 ? g.in_h - 1 : yi);
      k.valid[n] = ok ? 1 : 0;
      k.w[n] = ok ? wys[i] * wxs[j] : 0.0f;
      k.index[n] = static_cast<int32_t>((b * g.in_h + yc) * g.in_w + xc);
    }
  }
  return k;
}

}  // namespace sfnet

#endif  // KERAS_SFNET_KERNELS_FLOW_WARP_COMMON_H_

// CUDA kernels of the fused SFNet flow warp (see flow_warp_op.cc for the math).
// Compiled with nvcc by keras_sfnet/kernels/build.py when a CUDA toolchain is found;
// the TensorFlow op kernels that launch them are in flow_warp_op.cc (SFNET_WITH_CUDA).
// Plain CUDA, no TensorFlow headers: storage types are passed as raw 16-bit/32-bit/64-bit
// values and converted here.

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "flow_warp_common.h"

namespace sfnet {
namespace gpu {

template <typename T>
struct Conv;
template <>
struct Conv<float> {
  using acc = float;
  __device__ static float load(float v) { return v; }
  __device__ static float store(float v) { return v; }
};
template <>
struct Conv<double> {
  using acc = double;
  __device__ static double load(double v) { return v; }
  __device__ static double store(double v) { return v; }
};
template <>
struct Conv<__half> {
  using acc = float;
  __device__ static float load(__half v) { return __half2float(v); }
  __device__ static __half store(float v) { return __float2half_rn(v); }
};

template <typename T>
__global__ void ForwardKernel(Geometry g, const T* src, const float* flow, T* dst) {
  using A = typename Conv<T>::acc;
  const int64_t total = g.batch * g.out_h * g.out_w * g.channels;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t p = i / g.channels;
    const int64_t c = i % g.channels;
    const Corners k = ComputeCorners(g, p, flow[2 * p], flow[2 * p + 1]);
    A s = 0;
    for (int n = 0; n < 4; ++n) {
      const A w = Conv<T>::load(Conv<T>::store(k.w[n]));
      s += Conv<T>::load(src[static_cast<int64_t>(k.index[n]) * g.channels + c]) * w;
    }
    dst[i] = Conv<T>::store(s);
  }
}

// grad_features accumulate (atomics) into `acc` (A per element), converted afterwards.
template <typename T>
__global__ void FeatureGradKernel(Geometry g, const T* grad, const float* flow,
                                  typename Conv<T>::acc* acc) {
  using A = typename Conv<T>::acc;
  const int64_t total = g.batch * g.out_h * g.out_w * g.channels;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const int64_t p = i / g.channels;
    const int64_t c = i % g.channels;
    const Corners k = ComputeCorners(g, p, flow[2 * p], flow[2 * p + 1]);
    const A gc = Conv<T>::load(grad[i]);
    for (int n = 0; n < 4; ++n) {
      if (k.valid[n]) {
        atomicAdd(acc + static_cast<int64_t>(k.index[n]) * g.channels + c,
                  gc * static_cast<A>(k.w[n]));
      }
    }
  }
}

template <typename T>
__global__ void CastKernel(int64_t n, const typename Conv<T>::acc* acc, T* out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    out[i] = Conv<T>::store(acc[i]);
  }
}

template <typename T>
__global__ void FlowGradKernel(Geometry g, const T* grad, const T* src, const float* flow,
                               float* grad_flow) {
  using A = typename Conv<T>::acc;
  const int64_t pixels = g.batch * g.out_h * g.out_w;
  for (int64_t p = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; p < pixels;
       p += static_cast<int64_t>(blockDim.x) * gridDim.x) {
    const Corners k = ComputeCorners(g, p, flow[2 * p], flow[2 * p + 1]);
    A s[4] = {0, 0, 0, 0};
    for (int64_t c = 0; c < g.channels; ++c) {
      const A gc = Conv<T>::load(grad[p * g.channels + c]);
      for (int n = 0; n < 4; ++n) {
        s[n] += gc * Conv<T>::load(src[static_cast<int64_t>(k.index[n]) * g.channels + c]);
      }
    }
    for (int n = 0; n < 4; ++n) s[n] *= static_cast<A>(k.valid[n]);
    const A dx = static_cast<A>(k.wy0) * (s[1] - s[0]) + static_cast<A>(k.wy1) * (s[3] - s[2]);
    const A dy = static_cast<A>(k.wx0) * (s[2] - s[0]) + static_cast<A>(k.wx1) * (s[3] - s[1]);
    grad_flow[2 * p] = static_cast<float>(dx) * g.scale_x / g.out_wf;
    grad_flow[2 * p + 1] = static_cast<float>(dy) * g.scale_y / g.out_hf;
  }
}

inline int Blocks(int64_t n, int threads) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<int>(b < 65535 ? (b > 0 ? b : 1) : 65535);
}

template <typename T>
cudaError_t LaunchForward(const Geometry& g, const void* src, const float* flow, void* dst,
                          cudaStream_t stream) {
  const int threads = 256;
  const int64_t total = g.batch * g.out_h * g.out_w * g.channels;
  ForwardKernel<T><<<Blocks(total, threads), threads, 0, stream>>>(
      g, static_cast<const T*>(src), flow, static_cast<T*>(dst));
  return cudaGetLastError();
}

// `scratch` holds batch * in_h * in_w * channels accumulators of the acc type.
template <typename T>
cudaError_t LaunchBackward(const Geometry& g, const void* grad, const void* src,
                           const float* flow, void* grad_src, float* grad_flow, void* scratch,
                           cudaStream_t stream) {
  using A = typename Conv<T>::acc;
  const int threads = 256;
  const int64_t out_total = g.batch * g.out_h * g.out_w * g.channels;
  const int64_t in_total = g.batch * g.in_h * g.in_w * g.channels;
  A* acc = static_cast<A*>(scratch);
  cudaError_t err = cudaMemsetAsync(acc, 0, sizeof(A) * in_total, stream);
  if (err != cudaSuccess) return err;
  FeatureGradKernel<T><<<Blocks(out_total, threads), threads, 0, stream>>>(
      g, static_cast<const T*>(grad), flow, acc);
  CastKernel<T><<<Blocks(in_total, threads), threads, 0, stream>>>(in_total, acc,
                                                                    static_cast<T*>(grad_src));
  FlowGradKernel<T><<<Blocks(g.batch * g.out_h * g.out_w, threads), threads, 0, stream>>>(
      g, static_cast<const T*>(grad), static_cast<const T*>(src), flow, grad_flow);
  return cudaGetLastError();
}

}  // namespace gpu

// Entry points used by flow_warp_op.cc; dtype: 0 = float, 1 = double, 2 = half.
int FlowWarpForwardGpu(int dtype, const Geometry& g, const void* src, const float* flow,
                       void* dst, void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  cudaError_t err = dtype == 0   ? gpu::LaunchForward<float>(g, src, flow, dst, s)
                    : dtype == 1 ? gpu::LaunchForward<double>(g, src, flow, dst, s)
                                 : gpu::LaunchForward<__half>(g, src, flow, dst, s);
  return static_cast<int>(err);
}

int FlowWarpBackwardGpu(int dtype, const Geometry& g, const void* grad, const void* src,
                        const float* flow, void* grad_src, float* grad_flow, void* scratch,
                        void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  cudaError_t err =
      dtype == 0   ? gpu::LaunchBackward<float>(g, grad, src, flow, grad_src, grad_flow, scratch, s)
      : dtype == 1 ? gpu::LaunchBackward<double>(g, grad, src, flow, grad_src, grad_flow, scratch, s)
                   : gpu::LaunchBackward<__half>(g, grad, src, flow, grad_src, grad_flow, scratch, s);
  return static_cast<int>(err);
}

}  // namespace sfnet

// Fused SFNet flow warp: four-neighbour bilinear sampling, align-corners grid, zero
// padding, in one pass (TensorFlow custom op, CPU kernel; CUDA kernel in
// flow_warp_op_gpu.cu.cc when built with -DSFNET_WITH_CUDA).
//
// Math (NHWC), identical to keras_sfnet.ops.flow_warp_gather, in float32 whatever the
// features' dtype:
//   gx = (-1 + 2 * col / max(w - 1, 1)) + flow_x / w
//   gy = (-1 + 2 * row / max(h - 1, 1)) + flow_y / h
//   x  = (gx + 1) * 0.5 * (W_in - 1),   y = (gy + 1) * 0.5 * (H_in - 1)
//   out = sum over the 4 neighbours inside the source of weight * value
// The coordinate arithmetic is written in the same order as the pure-TF graph so that
// float32 results agree bit for bit (build with -ffp-contract=off).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tensorflow/core/framework/op.h"
#include "tensorflow/core/framework/op_kernel.h"
#include "tensorflow/core/framework/shape_inference.h"
#include "tensorflow/core/framework/tensor.h"

#include "flow_warp_common.h"

#ifdef SFNET_WITH_CUDA
#include "tensorflow/core/framework/device_base.h"
#include "xla/stream_executor/stream.h"
#endif

namespace sfnet {

using tensorflow::DEVICE_CPU;
using tensorflow::OpKernel;
using tensorflow::OpKernelConstruction;
using tensorflow::OpKernelContext;
using tensorflow::Status;
using tensorflow::Tensor;
using tensorflow::TensorShape;
using tensorflow::shape_inference::DimensionHandle;
using tensorflow::shape_inference::InferenceContext;
using tensorflow::shape_inference::ShapeHandle;

REGISTER_OP("SfnetFlowWarp")
    .Input("features: T")
    .Input("flow: float")
    .Output("output: T")
    .Attr("T: {half, bfloat16, float, double}")
    .SetShapeFn([](InferenceContext* c) {
      ShapeHandle features, flow;
      TF_RETURN_IF_ERROR(c->WithRank(c->input(0), 4, &features));
      TF_RETURN_IF_ERROR(c->WithRank(c->input(1), 4, &flow));
      DimensionHandle two, batch;
      TF_RETURN_IF_ERROR(c->WithValue(c->Dim(flow, 3), 2, &two));
      TF_RETURN_IF_ERROR(c->Merge(c->Dim(features, 0), c->Dim(flow, 0), &batch));
      c->set_output(0, c->MakeShape({batch, c->Dim(flow, 1), c->Dim(flow, 2),
                                     c->Dim(features, 3)}));
      return Status();
    })
    .Doc("SFNet flow warp (bilinear, align-corners grid, zero padding).");

REGISTER_OP("SfnetFlowWarpGrad")
    .Input("grad: T")
    .Input("features: T")
    .Input("flow: float")
    .Output("grad_features: T")
    .Output("grad_flow: float")
    .Attr("T: {half, bfloat16, float, double}")
    .SetShapeFn([](InferenceContext* c) {
      c->set_output(0, c->input(1));
      c->set_output(1, c->input(2));
      return Status();
    })
    .Doc("Gradient of SfnetFlowWarp with respect to features and flow.");

namespace {

// Accumulation type: float for half/bfloat16/float, double for double.
template <typename T>
struct Acc {
  using type = float;
};
template <>
struct Acc<double> {
  using type = double;
};

Status CheckShapes(const Tensor& features, const Tensor& flow) {
  if (features.dims() != 4) {
    return tensorflow::errors::InvalidArgument(
        "features must be 4-D (B, H, W, C), got shape ", features.shape().DebugString());
  }
  if (flow.dims() != 4 || flow.dim_size(3) != 2) {
    return tensorflow::errors::InvalidArgument(
        "flow must be 4-D (B, h, w, 2), got shape ", flow.shape().DebugString());
  }
  if (features.dim_size(0) != flow.dim_size(0)) {
    return tensorflow::errors::InvalidArgument(
        "features and flow must have the same batch size, got ",
        features.shape().DebugString(), " and ", flow.shape().DebugString());
  }
  if (features.dim_size(1) * features.dim_size(2) * features.dim_size(0) >
      static_cast<int64_t>(INT32_MAX)) {
    return tensorflow::errors::InvalidArgument("features are too large for int32 indexing");
  }
  return Status();
}

// Checks the inputs of SfnetFlowWarp, computes their geometry and allocates the
// (B, h, w, C) output. False when Compute must stop: an error is set on the context,
// or the output is empty.
bool PrepareForward(OpKernelContext* context, Geometry* g, Tensor** output) {
  const Tensor& features = context->input(0);
  const Tensor& flow = context->input(1);
  Status status = CheckShapes(features, flow);
  if (status.ok()) {
    *g = MakeGeometry(features.dim_size(0), features.dim_size(1), features.dim_size(2),
                      features.dim_size(3), flow.dim_size(1), flow.dim_size(2));
    status = context->allocate_output(
        0, TensorShape({g->batch, g->out_h, g->out_w, g->channels}), output);
  }
  if (!status.ok()) {
    context->SetStatus(status);
    return false;
  }
  return (*output)->NumElements() > 0;
}

// The same for SfnetFlowWarpGrad (inputs grad, features, flow): also checks that the
// incoming gradient has the output's shape, and allocates both gradients.
bool PrepareBackward(OpKernelContext* context, Geometry* g, Tensor** grad_features,
                     Tensor** grad_flow) {
  const Tensor& grad = context->input(0);
  const Tensor& features = context->input(1);
  const Tensor& flow = context->input(2);
  Status status = CheckShapes(features, flow);
  if (status.ok()) {
    *g = MakeGeometry(features.dim_size(0), features.dim_size(1), features.dim_size(2),
                      features.dim_size(3), flow.dim_size(1), flow.dim_size(2));
    if (grad.shape() != TensorShape({g->batch, g->out_h, g->out_w, g->channels})) {
      status = tensorflow::errors::InvalidArgument("grad has shape ",
                                                   grad.shape().DebugString());
    }
  }
  if (status.ok()) status = context->allocate_output(0, features.shape(), grad_features);
  if (status.ok()) status = context->allocate_output(1, flow.shape(), grad_flow);
  if (!status.ok()) {
    context->SetStatus(status);
    return false;
  }
  return true;
}

template <typename T>
class FlowWarpOp : public OpKernel {
 public:
  explicit FlowWarpOp(OpKernelConstruction* context) : OpKernel(context) {}

  void Compute(OpKernelContext* context) override {
    const Tensor& features = context->input(0);
    const Tensor& flow = context->input(1);
    Geometry g;
    Tensor* output = nullptr;
    if (!PrepareForward(context, &g, &output)) return;
    const T* src = features.flat<T>().data();
    const float* fl = flow.flat<float>().data();
    T* dst = output->flat<T>().data();
    const int64_t pixels = g.batch * g.out_h * g.out_w;
    const int64_t channels = g.channels;
    using A = typename Acc<T>::type;

    auto work = [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const Corners k = ComputeCorners(g, p, fl[2 * p], fl[2 * p + 1]);
        T* out = dst + p * channels;
        const A w00 = static_cast<A>(static_cast<T>(k.w[0]));
        const A w01 = static_cast<A>(static_cast<T>(k.w[1]));
        const A w10 = static_cast<A>(static_cast<T>(k.w[2]));
        const A w11 = static_cast<A>(static_cast<T>(k.w[3]));
        const T* v00 = src + static_cast<int64_t>(k.index[0]) * channels;
        const T* v01 = src + static_cast<int64_t>(k.index[1]) * channels;
        const T* v10 = src + static_cast<int64_t>(k.index[2]) * channels;
        const T* v11 = src + static_cast<int64_t>(k.index[3]) * channels;
        for (int64_t c = 0; c < channels; ++c) {
          A s = static_cast<A>(v00[c]) * w00;
          s += static_cast<A>(v01[c]) * w01;
          s += static_cast<A>(v10[c]) * w10;
          s += static_cast<A>(v11[c]) * w11;
          out[c] = static_cast<T>(s);
        }
      }
    };
    auto* workers = context->device()->tensorflow_cpu_worker_threads()->workers;
    workers->ParallelFor(pixels, /*cost_per_unit=*/8 * channels + 40, work);
  }
};

template <typename T>
class FlowWarpGradOp : public OpKernel {
 public:
  explicit FlowWarpGradOp(OpKernelConstruction* context) : OpKernel(context) {}

  void Compute(OpKernelContext* context) override {
    const Tensor& grad = context->input(0);
    const Tensor& features = context->input(1);
    const Tensor& flow = context->input(2);
    Geometry g;
    Tensor* grad_features = nullptr;
    Tensor* grad_flow = nullptr;
    if (!PrepareBackward(context, &g, &grad_features, &grad_flow)) return;
    using A = typename Acc<T>::type;
    const T* src = features.flat<T>().data();
    const T* gin = grad.flat<T>().data();
    const float* fl = flow.flat<float>().data();
    T* gfeat = grad_features->flat<T>().data();
    float* gflow = grad_flow->flat<float>().data();
    const int64_t channels = g.channels;
    const int64_t pixels = g.batch * g.out_h * g.out_w;
    auto* workers = context->device()->tensorflow_cpu_worker_threads()->workers;

    // Pass 1 (parallel over output pixels): flow gradient; keep the corners.
    std::vector<Corners> corners(static_cast<size_t>(pixels));
    auto flow_pass = [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const Corners k = ComputeCorners(g, p, fl[2 * p], fl[2 * p + 1]);
        corners[p] = k;
        const T* go = gin + p * channels;
        const T* v00 = src + static_cast<int64_t>(k.index[0]) * channels;
        const T* v01 = src + static_cast<int64_t>(k.index[1]) * channels;
        const T* v10 = src + static_cast<int64_t>(k.index[2]) * channels;
        const T* v11 = src + static_cast<int64_t>(k.index[3]) * channels;
        const A m00 = k.valid[0], m01 = k.valid[1], m10 = k.valid[2], m11 = k.valid[3];
        A s00 = 0, s01 = 0, s10 = 0, s11 = 0;  // sum_c grad * value, per corner
        for (int64_t c = 0; c < channels; ++c) {
          const A gc = static_cast<A>(go[c]);
          s00 += gc * static_cast<A>(v00[c]);
          s01 += gc * static_cast<A>(v01[c]);
          s10 += gc * static_cast<A>(v10[c]);
          s11 += gc * static_cast<A>(v11[c]);
        }
        s00 *= m00;
        s01 *= m01;
        s10 *= m10;
        s11 *= m11;
        const A dx = static_cast<A>(k.wy0) * (s01 - s00) + static_cast<A>(k.wy1) * (s11 - s10);
        const A dy = static_cast<A>(k.wx0) * (s10 - s00) + static_cast<A>(k.wx1) * (s11 - s01);
        gflow[2 * p] = static_cast<float>(dx) * g.scale_x / g.out_wf;
        gflow[2 * p + 1] = static_cast<float>(dy) * g.scale_y / g.out_hf;
      }
    };
    workers->ParallelFor(pixels, 10 * channels + 60, flow_pass);

    // Pass 2 (parallel over batch x channel blocks, so no two threads write the same
    // element): scatter grad * weight into the feature gradient, accumulated in A.
    const int64_t block = std::min<int64_t>(channels, 32);
    const int64_t blocks = (channels + block - 1) / block;
    const int64_t per_image_out = g.out_h * g.out_w;
    const int64_t per_image_in = g.in_h * g.in_w;
    auto scatter = [&](int64_t begin, int64_t end) {
      std::vector<A> acc;
      for (int64_t job = begin; job < end; ++job) {
        const int64_t b = job / blocks;
        const int64_t c0 = (job % blocks) * block;
        const int64_t nc = std::min(block, channels - c0);
        acc.assign(static_cast<size_t>(per_image_in * nc), A(0));
        for (int64_t q = 0; q < per_image_out; ++q) {
          const int64_t p = b * per_image_out + q;
          const Corners& k = corners[p];
          const T* go = gin + p * channels + c0;
          for (int n = 0; n < 4; ++n) {
            if (!k.valid[n]) continue;
            const A w = static_cast<A>(k.w[n]);
            A* a = acc.data() + (static_cast<int64_t>(k.index[n]) - b * per_image_in) * nc;
            for (int64_t c = 0; c < nc; ++c) a[c] += static_cast<A>(go[c]) * w;
          }
        }
        T* out = gfeat + b * per_image_in * channels + c0;
        for (int64_t i = 0; i < per_image_in; ++i) {
          for (int64_t c = 0; c < nc; ++c) {
            out[i * channels + c] = static_cast<T>(acc[i * nc + c]);
          }
        }
      }
    };
    workers->ParallelFor(g.batch * blocks, per_image_out * block * 12, scatter);
  }
};

}  // namespace

#define SFNET_REGISTER_CPU(T)                                                        \
  REGISTER_KERNEL_BUILDER(                                                           \
      Name("SfnetFlowWarp").Device(DEVICE_CPU).TypeConstraint<T>("T"),               \
      FlowWarpOp<T>);                                                                \
  REGISTER_KERNEL_BUILDER(                                                           \
      Name("SfnetFlowWarpGrad").Device(DEVICE_CPU).TypeConstraint<T>("T"),           \
      FlowWarpGradOp<T>);

SFNET_REGISTER_CPU(Eigen::half)
SFNET_REGISTER_CPU(tensorflow::bfloat16)
SFNET_REGISTER_CPU(float)
SFNET_REGISTER_CPU(double)

#undef SFNET_REGISTER_CPU

#ifdef SFNET_WITH_CUDA
// Launchers compiled by nvcc from flow_warp_op_gpu.cu.cc.
int FlowWarpForwardGpu(int dtype, const Geometry& g, const void* src, const float* flow,
                       void* dst, void* stream);
int FlowWarpBackwardGpu(int dtype, const Geometry& g, const void* grad, const void* src,
                        const float* flow, void* grad_src, float* grad_flow, void* scratch,
                        void* stream);

namespace {

template <typename T>
struct GpuType;
template <>
struct GpuType<float> {
  static constexpr int code = 0;
  using acc = float;
};
template <>
struct GpuType<double> {
  static constexpr int code = 1;
  using acc = double;
};
template <>
struct GpuType<Eigen::half> {
  static constexpr int code = 2;
  using acc = float;
};

void* CudaStream(OpKernelContext* context) {
  return context->op_device_context()->stream()->platform_specific_handle().stream;
}

template <typename T>
class FlowWarpGpuOp : public OpKernel {
 public:
  explicit FlowWarpGpuOp(OpKernelConstruction* context) : OpKernel(context) {}

  void Compute(OpKernelContext* context) override {
    const Tensor& features = context->input(0);
    const Tensor& flow = context->input(1);
    Geometry g;
    Tensor* output = nullptr;
    if (!PrepareForward(context, &g, &output)) return;
    const int err = FlowWarpForwardGpu(GpuType<T>::code, g, features.flat<T>().data(),
                                       flow.flat<float>().data(), output->flat<T>().data(),
                                       CudaStream(context));
    OP_REQUIRES(context, err == 0,
                tensorflow::errors::Internal("SfnetFlowWarp CUDA launch failed: ", err));
  }
};

template <typename T>
class FlowWarpGradGpuOp : public OpKernel {
 public:
  explicit FlowWarpGradGpuOp(OpKernelConstruction* context) : OpKernel(context) {}

  void Compute(OpKernelContext* context) override {
    const Tensor& grad = context->input(0);
    const Tensor& features = context->input(1);
    const Tensor& flow = context->input(2);
    Geometry g;
    Tensor* grad_features = nullptr;
    Tensor* grad_flow = nullptr;
    if (!PrepareBackward(context, &g, &grad_features, &grad_flow)) return;
    Tensor scratch;
    OP_REQUIRES_OK(context,
                   context->allocate_temp(tensorflow::DataTypeToEnum<
                                              typename GpuType<T>::acc>::value,
                                          features.shape(), &scratch));
    const int err = FlowWarpBackwardGpu(
        GpuType<T>::code, g, grad.flat<T>().data(), features.flat<T>().data(),
        flow.flat<float>().data(), grad_features->flat<T>().data(),
        grad_flow->flat<float>().data(), scratch.data(), CudaStream(context));
    OP_REQUIRES(context, err == 0,
                tensorflow::errors::Internal("SfnetFlowWarpGrad CUDA launch failed: ", err));
  }
};

}  // namespace

#define SFNET_REGISTER_GPU(T)                                                        \
  REGISTER_KERNEL_BUILDER(                                                           \
      Name("SfnetFlowWarp").Device(tensorflow::DEVICE_GPU).TypeConstraint<T>("T"),   \
      FlowWarpGpuOp<T>);                                                             \
  REGISTER_KERNEL_BUILDER(Name("SfnetFlowWarpGrad")                                  \
                              .Device(tensorflow::DEVICE_GPU)                        \
                              .TypeConstraint<T>("T"),                               \
                          FlowWarpGradGpuOp<T>);

SFNET_REGISTER_GPU(Eigen::half)
SFNET_REGISTER_GPU(float)
SFNET_REGISTER_GPU(double)

#undef SFNET_REGISTER_GPU
#endif  // SFNET_WITH_CUDA

}  // namespace sfnet

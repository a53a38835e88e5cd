"""PyTorch/cuDNN peer for bench/ops: times each workload the way slicetune's kernels compute it.

Reads a JSON list of workloads (slicetune's Workload objects) from --workloads and writes, for
each, the median milliseconds of
  - conv:  the cuDNN convolution (F.conv2d without bias) or cuBLAS GEMM alone, and
  - full:  the whole PyTorch op with its epilogue (bias, residual add, ReLU), as a CUDA graph.
fp32 with TF32 off; cudnn.benchmark on (cuDNN picks its fastest algorithm). Run it under an MPS
client limit (CUDA_MPS_ACTIVE_THREAD_PERCENTAGE) to get the peer at a share of the GPU.
"""
import argparse
import json
import statistics

import torch
import torch.nn.functional as F

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.backends.cudnn.benchmark = True


def make(w):
    s, e = w["shape"], w["epilogue"]
    dev = "cuda"
    if w["op"] == "conv2d":
        x = torch.randn(s["n"], s["c"], s["h"], s["w"], device=dev)
        wt = torch.randn(s["k"], s["c"] // s["groups"], s["r"], s["s"], device=dev)
        kw = dict(stride=(s["strideH"], s["strideW"]), padding=(s["padH"], s["padW"]),
                  dilation=(s["dilationH"], s["dilationW"]), groups=s["groups"])
        out = F.conv2d(x, wt, **kw)
        core = lambda: F.conv2d(x, wt, **kw)
        bias = torch.randn(s["k"], device=dev) if e["bias"] else None
        scale = torch.randn(s["k"], 1, 1, device=dev) if e["bnScaleShift"] else None
        shift = torch.randn(s["k"], 1, 1, device=dev) if e["bnScaleShift"] else None
        res = torch.randn_like(out) if e["residual"] else None

        def full():
            y = F.conv2d(x, wt, bias, **kw)
            if scale is not None:
                y = y * scale + shift
            if res is not None:
                y = y + res
            return act(y, e["activation"])
    elif w["op"] == "dense":
        x = torch.randn(s["m"], s["k"], device=dev)
        wt = torch.randn(s["n"], s["k"], device=dev)
        bias = torch.randn(s["n"], device=dev) if e["bias"] else None
        res = torch.randn(s["m"], s["n"], device=dev) if e["residual"] else None
        core = lambda: F.linear(x, wt)

        def full():
            y = F.linear(x, wt, bias)
            if res is not None:
                y = y + res
            return act(y, e["activation"])
    else:
        a = torch.randn(s["b"], s["m"], s["k"], device=dev)
        b = torch.randn(s["b"], s["n"], s["k"], device=dev) if s["transB"] else torch.randn(s["b"], s["k"], s["n"], device=dev)
        core = lambda: torch.bmm(a, b.transpose(1, 2) if s["transB"] else b)
        full = core
    return core, full


def act(y, a):
    if a == "relu":
        return F.relu(y)
    if a == "relu6":
        return F.relu6(y)
    return y


def time_eager(fn, reps=200):
    for _ in range(20):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e))
    return statistics.median(times)


def time_graph(fn, reps=50, per_replay=20):
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(stream):
        for _ in range(5):
            fn()
    torch.cuda.current_stream().wait_stream(stream)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        for _ in range(per_replay):
            fn()
    for _ in range(3):
        g.replay()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        g.replay()
        e.record()
        e.synchronize()
        times.append(s.elapsed_time(e) / per_replay)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workloads", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    workloads = json.load(open(args.workloads))
    props = torch.cuda.get_device_properties(0)
    results = []
    for w in workloads:
        core, full = make(w)
        results.append({"conv_ms": time_graph(core), "full_ms": time_graph(full), "conv_eager_ms": time_eager(core)})
    json.dump({"torch": torch.__version__, "cudnn": torch.backends.cudnn.version(), "device": props.name,
               "sms": props.multi_processor_count, "results": results}, open(args.out, "w"))


if __name__ == "__main__":
    main()

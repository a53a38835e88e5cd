"""PyTorch peer for bench/models: end-to-end latency of whole CNNs, the way a user runs them today.

Reads {"models": [...], "runs": N, "warmup": W, "inputSize": S} from --workloads and writes, per
model, the median and p99 milliseconds of one inference (batch 1, fp32, TF32 off, eval mode,
cudnn.benchmark on) replayed as a CUDA graph, each replay timed alone between CUDA events.

The models are torchvision's architectures with their own random initialization: latency does not
depend on the weight values, so slicetune's random zoo weights are not carried over. Without
torchvision, the same architectures are built here from plain torch.nn (said so in the output).
Run it under an MPS client limit (CUDA_MPS_ACTIVE_THREAD_PERCENTAGE) for a share of the GPU.
"""
import argparse
import json
import statistics

import torch
import torch.nn as nn

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
torch.backends.cudnn.benchmark = True


def conv_bn(cin, cout, k, stride=1, groups=1, act=nn.ReLU):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, act(inplace=True)) if act else nn.Sequential(*layers)


class Basic(nn.Module):
    expansion = 1

    def __init__(self, cin, width, stride):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, width, 3, stride), conv_bn(width, width, 3, act=None))
        self.down = conv_bn(cin, width, 1, stride, act=None) if stride != 1 or cin != width else nn.Identity()

    def forward(self, x):
        return torch.relu(self.body(x) + self.down(x))


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride):
        super().__init__()
        out = width * 4
        self.body = nn.Sequential(conv_bn(cin, width, 1), conv_bn(width, width, 3, stride), conv_bn(width, out, 1, act=None))
        self.down = conv_bn(cin, out, 1, stride, act=None) if stride != 1 or cin != out else nn.Identity()

    def forward(self, x):
        return torch.relu(self.body(x) + self.down(x))


def resnet(block, counts):
    layers, cin = [conv_bn(3, 64, 7, 2), nn.MaxPool2d(3, 2, 1)], 64
    for i, (n, width) in enumerate(zip(counts, [64, 128, 256, 512])):
        for j in range(n):
            layers.append(block(cin, width, 2 if i > 0 and j == 0 else 1))
            cin = width * block.expansion
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 1000))


class Inverted(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        hidden = cin * t
        layers = [conv_bn(cin, hidden, 1, act=nn.ReLU6)] if t != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden, act=nn.ReLU6), conv_bn(hidden, cout, 1, act=None)]
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.body(x) if self.residual else self.body(x)


def mobilenet_v2():
    layers, cin = [conv_bn(3, 32, 3, 2, act=nn.ReLU6)], 32
    for t, c, n, s in [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]]:
        for j in range(n):
            layers.append(Inverted(cin, c, s if j == 0 else 1, t))
            cin = c
    layers += [conv_bn(cin, 1280, 1, act=nn.ReLU6), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(1280, 1000)]
    return nn.Sequential(*layers)


def vgg16():
    layers, cin = [], 3
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU(inplace=True)]
            cin = v
    head = [nn.AdaptiveAvgPool2d(7), nn.Flatten(), nn.Linear(512 * 49, 4096), nn.ReLU(True), nn.Dropout(),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(), nn.Linear(4096, 1000)]
    return nn.Sequential(*layers, *head)


PLAIN = {"resnet18": lambda: resnet(Basic, [2, 2, 2, 2]), "resnet50": lambda: resnet(Bottleneck, [3, 4, 6, 3]),
         "mobilenet_v2": mobilenet_v2, "vgg16": vgg16}


def build(name):
    try:
        import torchvision.models as tvm
        return getattr(tvm, name)(weights=None), "torchvision " + __import__("torchvision").__version__
    except ImportError:
        return PLAIN[name](), "plain torch.nn (torchvision not installed)"


def time_model(model, size, runs, warmup):
    x = torch.randn(1, 3, size, size, device="cuda")
    stream = torch.cuda.Stream()
    stream.wait_stream(torch.cuda.current_stream())
    with torch.no_grad(), torch.cuda.stream(stream):
        for _ in range(5):
            model(x)
    torch.cuda.current_stream().wait_stream(stream)
    graph = torch.cuda.CUDAGraph()
    with torch.no_grad(), torch.cuda.graph(graph):
        model(x)
    for _ in range(warmup):
        graph.replay()
    torch.cuda.synchronize()
    pairs = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(runs)]
    for start, end in pairs:
        start.record()
        graph.replay()
        end.record()
    torch.cuda.synchronize()
    times = sorted(s.elapsed_time(e) for s, e in pairs)
    pos = 0.99 * (len(times) - 1)  # linear interpolation, as slicetune's quantile()
    lo, hi = int(pos), min(len(times) - 1, int(pos) + 1)
    p99 = times[lo] + (times[hi] - times[lo]) * (pos - lo)
    return {"median_ms": statistics.median(times), "p99_ms": p99, "min_ms": times[0], "runs": runs}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workloads", required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    spec = json.load(open(args.workloads))
    props = torch.cuda.get_device_properties(0)
    results = {}
    for name in spec["models"]:
        model, source = build(name)
        model = model.cuda().eval()
        results[name] = {**time_model(model, spec.get("inputSize", 224), spec["runs"], spec["warmup"]), "source": source}
        del model
        torch.cuda.empty_cache()
    json.dump({"torch": torch.__version__, "cudnn": torch.backends.cudnn.version(), "device": props.name,
               "sms": props.multi_processor_count, "results": results}, open(args.out, "w"))


if __name__ == "__main__":
    main()

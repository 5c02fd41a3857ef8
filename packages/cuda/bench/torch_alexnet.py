#!/usr/bin/env python3
"""The same two-tower AlexNet in PyTorch on the same GPU, for comparison with @alexnet/cuda.

The paper's network as createAlexNet builds it: 224 input, conv1 11x11/4 pad 2, grouped conv2/4/5
(the two towers), LRN (size 5, alpha 1e-4 NOT divided by size -> PyTorch alpha = 5e-4, beta 0.75,
k 2) inside each tower, overlapping 3/2 max pooling, dropout 0.5 after fc6 and fc7. float32 with
TF32 off (as @alexnet/cuda's default), cudnn.benchmark on. Each step uploads the batch from host
memory and reads the result back (loss, or the probabilities), as the TypeScript benchmark does.
Timed with CUDA events after warm-up.

Usage: python3 torch_alexnet.py [--batch 128] [--out results.json] [--steps 10]
"""
import argparse
import json
import time

import torch
import torch.nn as nn


class TowerLRN(nn.Module):
    """Cross-channel LRN that stays inside each tower (channel group)."""

    def __init__(self, groups: int):
        super().__init__()
        self.groups = groups
        self.lrn = nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2.0)

    def forward(self, x):
        return torch.cat([self.lrn(c) for c in x.chunk(self.groups, dim=1)], dim=1)


def alexnet(classes: int = 1000) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4, padding=2), nn.ReLU(inplace=True), TowerLRN(2), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), TowerLRN(2), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(9216, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(4096, classes),
    )


def timed(fn, warmup: int, steps: int) -> list:
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(steps):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        fn()
        e.record()
        torch.cuda.synchronize()
        times.append(s.elapsed_time(e))
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--out", default="torch_alexnet.json")
    a = ap.parse_args()

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    dev = torch.device("cuda:0")
    torch.manual_seed(0)
    model = alexnet().to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    x_host = torch.rand(a.batch, 3, 224, 224)  # pageable host memory, as the JS Float32Array
    y_host = torch.tensor([(i * 7919) % 1000 for i in range(a.batch)])
    result = {"loss": None}

    def train_step():
        x, y = x_host.to(dev), y_host.to(dev)
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        result["loss"] = loss.item()

    def infer_step():
        with torch.no_grad():
            probs = torch.softmax(model(x_host.to(dev)), dim=1)
            result["probs_sum"] = float(probs.cpu().sum())

    t0 = time.time()
    model.eval()
    inf = timed(infer_step, a.warmup, a.steps)
    model.train()
    tr = timed(train_step, a.warmup, a.steps)
    med = lambda xs: sorted(xs)[len(xs) // 2]
    out = {
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "gpu": torch.cuda.get_device_name(0),
        "batch": a.batch,
        "tf32": False,
        "inference": {"stepMs": inf, "medianMs": med(inf), "imagesPerSecond": a.batch / (med(inf) / 1000)},
        "training": {"stepMs": tr, "medianMs": med(tr), "imagesPerSecond": a.batch / (med(tr) / 1000),
                     "loss": result["loss"]},
        "wallSeconds": time.time() - t0,
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    print(f"torch {out['torch']} cuda {out['cuda']} cudnn {out['cudnn']} on {out['gpu']}")
    for phase in ("inference", "training"):
        r = out[phase]
        print(f"torch {phase:10s} batch {a.batch}: {r['medianMs']:.1f} ms/step, {r['imagesPerSecond']:.0f} images/s")


if __name__ == "__main__":
    main()

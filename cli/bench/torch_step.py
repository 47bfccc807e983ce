"""The PyTorch peer of `ssl`'s quickstart step, for `npm run bench` to time side by side.

Same work per step as examples/quickstart.ssl (and quickstart-mlp.ssl with `mlp`): batch 256 of
MNIST-shaped 28x28x1 inputs, two views (random resized crop scale 0.4-1 via affine grid sampling,
brightness +-0.4, contrast 0.6-1.4, gaussian noise sigma 0.1), encoder, projector 128-128-64,
NT-Xent (t = 0.5), Adam 1e-3. Random inputs stand in for MNIST: the cost of a step does not
depend on pixel values. Prints one JSON line like step-bench.ts.

usage: python3 torch_step.py conv|mlp [steps] [warmup]
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)
B = 256


def encoder(kind):
    if kind == "conv":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),
            nn.Conv2d(64, 128, 3, 2, 1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 128))


def view(x):
    # x: [B, 1, 28, 28]; per-example crop box as an affine grid (scale of area 0.4-1, ratio 3/4-4/3)
    n = x.shape[0]
    area = torch.empty(n).uniform_(0.4, 1.0)
    ratio = torch.exp(torch.empty(n).uniform_(math.log(3 / 4), math.log(4 / 3)))
    w = torch.sqrt(area * ratio).clamp(max=1.0)
    h = torch.sqrt(area / ratio).clamp(max=1.0)
    cx = (torch.rand(n) * 2 - 1) * (1 - w)
    cy = (torch.rand(n) * 2 - 1) * (1 - h)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = w, cx, h, cy
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, align_corners=False)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - mean) * torch.empty(n, 1, 1, 1).uniform_(0.6, 1.4) + mean + torch.empty(n, 1, 1, 1).uniform_(-0.4, 0.4)
    return (x + 0.1 * torch.randn_like(x)).clamp(0, 1)


def nt_xent(a, b, t=0.5):
    z = F.normalize(torch.cat([a, b]), dim=1)
    sim = z @ z.T / t
    sim.fill_diagonal_(-1e9)
    n = a.shape[0]
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(sim, targets)


def main():
    kind = sys.argv[1]
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    warmup = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    model = nn.Sequential(encoder(kind), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 64))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = torch.rand(B * (steps + warmup), 1, 28, 28)
    times = []
    for i in range(steps + warmup):
        started = time.perf_counter()
        x = data[i * B:(i + 1) * B]
        with torch.no_grad():
            v1, v2 = view(x), view(x)
        loss = nt_xent(model(v1), model(v2))
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()
        if i >= warmup:
            times.append((time.perf_counter() - started) * 1000)
    times.sort()
    q = lambda p: times[min(len(times) - 1, int(p * len(times)))]
    print(json.dumps({"recipe": kind, "backend": f"pytorch {torch.__version__} cpu", "threads": torch.get_num_threads(),
                      "stock": False, "steps": steps, "msPerStep": {"median": q(0.5), "p25": q(0.25), "p75": q(0.75)}, "augmentMs": None}))


if __name__ == "__main__":
    main()

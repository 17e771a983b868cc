#!/usr/bin/python3
"""PyTorch CPU reference for scripts/bench.sh cnn-speed: the two benchmark networks of
org.syncbn.bench.CnnBenchNets, same architecture, batch, dtype (float32), optimizer (Adam 1e-3)
and native thread count.

  cnn_speed_torch.py single --net resnet20|fashion-cnn [--batch 32] [--threads 1]
                            [--warmup 5] [--steps 30] [--repeats 3]
      one process, random 1x28x28 inputs; prints one BENCH line (median of the repeats): samples
      per second of wall time and of the main thread's CPU time (time.thread_time(); with one
      thread every kernel, backward included, runs on the calling thread)
  cnn_speed_torch.py ddp --data DIR [--workers 2] [--batch 64] [--examples 6400] [--threads 1]
      the fashion-cnn network with DistributedDataParallel on CPU (gloo), one process per worker,
      on Fashion-MNIST (IDX files in DIR), one epoch over the first --examples training images;
      prints samples/s of the whole epoch (all workers together).

DDP uses plain BatchNorm2d/BatchNorm1d (per-worker statistics): torch.nn.SyncBatchNorm refuses
CPU tensors (ValueError "SyncBatchNorm expected input tensor to be on GPU" in 1.13), so PyTorch offers no
synchronized BN on CPU at all; the DL4J side runs the project's sync BN, which only adds work.
"""
import argparse
import gzip
import os
import statistics
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv(cin, cout, k, stride):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)


class Block(nn.Module):
    """Basic block: conv3x3 -> BN -> ReLU -> conv3x3 -> BN, + shortcut (1x1 conv -> BN when the shape changes), ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = conv(cin, cout, 3, stride), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = conv(cout, cout, 3, 1), nn.BatchNorm2d(cout)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(conv(cin, cout, 1, stride), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.proj is None else self.proj(x)))


class ResNet20(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(conv(1, 16, 3, 1), nn.BatchNorm2d(16), nn.ReLU())
        layers, cin = [], 16
        for stage, w in enumerate([16, 32, 64]):
            for block in range(3):
                layers.append(Block(cin, w, 2 if stage > 0 and block == 0 else 1))
                cin = w
        self.blocks = nn.Sequential(*layers)
        self.out = nn.Linear(64, classes)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.out(x.mean(dim=(2, 3)))


def fashion_cnn(classes=10):
    """jobs/fashion-cnn.conf: 2 x (conv3x3 no bias -> BN -> ReLU -> 2x2 max pool), Dense 128 no bias -> BN -> ReLU, softmax."""
    return nn.Sequential(
        conv(1, 32, 3, 1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        conv(32, 64, 3, 1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128, bias=False), nn.BatchNorm1d(128), nn.ReLU(),
        nn.Linear(128, classes))


def build(name):
    return {"resnet20": ResNet20, "fashion-cnn": fashion_cnn}[name]()


def step(model, opt, x, y):
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()


def single(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(42)
    model = build(a.net).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = [(torch.rand(a.batch, 1, 28, 28), torch.randint(0, 10, (a.batch,))) for _ in range(4)]
    for i in range(a.warmup):
        step(model, opt, *batches[i % 4])
    rates, cpu_rates = [], []
    for r in range(a.repeats):
        t0, c0 = time.perf_counter(), time.thread_time()
        for i in range(a.steps):
            step(model, opt, *batches[i % 4])
        cpu_rates.append(a.steps * a.batch / (time.thread_time() - c0))
        rates.append(a.steps * a.batch / (time.perf_counter() - t0))
        print(f"REPEAT {r} samples_per_sec={rates[-1]:.1f} samples_per_cpu_sec={cpu_rates[-1]:.1f}", flush=True)
    print(f"BENCH net={a.net} impl=torch batch={a.batch} threads={a.threads} "
          f"samples_per_sec={statistics.median(rates):.1f} samples_per_cpu_sec={statistics.median(cpu_rates):.1f}",
          flush=True)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        dims = struct.unpack(">" + "I" * (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(dims)


def ddp_worker(rank, a, port):
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", str(port)
    torch.set_num_threads(a.threads)
    dist.init_process_group("gloo", rank=rank, world_size=a.workers)
    images = read_idx(os.path.join(a.data, "train-images-idx3-ubyte.gz"))[: a.examples]
    labels = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte.gz"))[: a.examples].long()
    x_all = images.float().div_(255.0).unsqueeze(1)
    # the same sharding as the project: example i goes to worker i mod W
    x_all, y_all = x_all[rank:: a.workers], labels[rank:: a.workers]
    torch.manual_seed(42)
    model = DistributedDataParallel(fashion_cnn().train())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for i in range(3):   # warm-up steps, as the JVM side's first round warms up too
        step(model, opt, x_all[: a.batch], y_all[: a.batch])
    dist.barrier()
    t0 = time.perf_counter()
    steps = len(x_all) // a.batch
    for s in range(steps):
        step(model, opt, x_all[s * a.batch:(s + 1) * a.batch], y_all[s * a.batch:(s + 1) * a.batch])
    dist.barrier()
    sec = time.perf_counter() - t0
    if rank == 0:
        print(f"BENCH net=fashion-cnn impl=torch-ddp workers={a.workers} batch={a.batch} threads={a.threads} "
              f"examples={steps * a.batch * a.workers} samples_per_sec={steps * a.batch * a.workers / sec:.1f}",
              flush=True)
    dist.destroy_process_group()


def ddp(a):
    import random
    import torch.multiprocessing as mp
    mp.spawn(ddp_worker, args=(a, 20000 + random.randrange(20000)), nprocs=a.workers, join=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("single")
    s.add_argument("--net", default="resnet20", choices=["resnet20", "fashion-cnn"])
    s.add_argument("--batch", type=int, default=32)
    s.add_argument("--threads", type=int, default=1)
    s.add_argument("--warmup", type=int, default=5)
    s.add_argument("--steps", type=int, default=30)
    s.add_argument("--repeats", type=int, default=3)
    d = sub.add_parser("ddp")
    d.add_argument("--data", required=True)
    d.add_argument("--workers", type=int, default=2)
    d.add_argument("--batch", type=int, default=64)
    d.add_argument("--examples", type=int, default=6400)
    d.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    single(a) if a.cmd == "single" else ddp(a)


if __name__ == "__main__":
    sys.exit(main())

"""PyTorch CPU reference for the ebmjs benchmarks: the book's energy network and Lippe's
training loop (60 SGLD steps + one Adam update), timed on the same machine in the same run.

Prints one JSON object: ms per Langevin step and per training iteration (medians, minima and
all samples).
Run with Debian's interpreter: /usr/bin/python3 bench/reference/torch_ebm.py --batch 128
With --serve it warms up and then times one step or iteration per 'step' / 'iter' line on stdin
(bench/cd-iteration.mjs uses this to interleave PyTorch with ebmjs round by round).
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


def book_net():
    # Input 32x32x1; Conv 16 k5, 32 k3, 64 k3, 64 k3, stride 2, 'same'-sized padding; dense 64; dense 1.
    return nn.Sequential(
        nn.Conv2d(1, 16, 5, stride=2, padding=2), Swish(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), Swish(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), Swish(),
        nn.Conv2d(64, 64, 3, stride=2, padding=1), Swish(),
        nn.Flatten(), nn.Linear(64 * 2 * 2, 64), Swish(), nn.Linear(64, 1),
    )


def energy(model, x):
    return model(x).squeeze(-1)  # low energy = likely (ebmjs convention)


def langevin(model, x, steps, step_size=10.0, noise=0.005, grad_clip=0.03):
    # The book's loop: noise -> clamp -> grad -> clip -> step -> clamp.
    for p in model.parameters():
        p.requires_grad_(False)
    x = x.detach()
    for _ in range(steps):
        x = (x + noise * torch.randn_like(x)).clamp(-1, 1).requires_grad_(True)
        g, = torch.autograd.grad(energy(model, x).sum(), x)
        x = (x - step_size * g.clamp(-grad_clip, grad_clip)).clamp(-1, 1).detach()
    for p in model.parameters():
        p.requires_grad_(True)
    return x


def serve(info, time_step, time_iter):
    """Line protocol for interleaved timing: prints 'ready <json>', then answers each 'step' or
    'iter' line on stdin with the milliseconds it took; 'quit' or end of input stops."""
    print('ready ' + json.dumps(info), flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == 'step':
            print(f'{time_step():.4f}', flush=True)
        elif cmd == 'iter':
            print(f'{time_iter():.4f}', flush=True)
        elif cmd in ('quit', ''):
            break
        else:
            print(f'error unknown command {cmd!r}', flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=60)
    ap.add_argument('--reps', type=int, default=15)
    ap.add_argument('--iters', type=int, default=3)
    ap.add_argument('--serve', action='store_true',
                    help="warm up, print 'ready <json>', then time one Langevin step per 'step' "
                         "line and one training iteration per 'iter' line read from stdin")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = book_net()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.0, 0.999))
    real = torch.rand(a.batch, 1, 32, 32) * 2 - 1
    x = torch.rand(a.batch, 1, 32, 32) * 2 - 1

    def train_iter():
        fake = langevin(model, torch.rand(a.batch, 1, 32, 32) * 2 - 1, a.steps)
        r = (real + 0.005 * torch.randn_like(real)).clamp(-1, 1)
        e_real, e_fake = energy(model, r), energy(model, fake)
        loss = e_real.mean() - e_fake.mean() + 0.1 * (e_real ** 2 + e_fake ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()

    def time_step():
        t = time.perf_counter()
        langevin(model, x, 1)
        return (time.perf_counter() - t) * 1e3

    def time_iter():
        t = time.perf_counter()
        train_iter()
        return (time.perf_counter() - t) * 1e3

    info = {'impl': 'pytorch', 'version': torch.__version__, 'threads': a.threads,
            'batch': a.batch, 'steps_per_iter': a.steps}
    langevin(model, x, 3)  # warm-up
    if a.serve:
        train_iter()  # warm-up (creates Adam's state)
        serve(info, time_step, time_iter)
        return
    step_ms = [time_step() for _ in range(a.reps)]
    train_iter()
    iter_ms = [time_iter() for _ in range(a.iters)]
    print(json.dumps({
        **info,
        'langevin_step_ms': statistics.median(step_ms), 'train_iter_ms': statistics.median(iter_ms),
        'langevin_step_min_ms': min(step_ms), 'train_iter_min_ms': min(iter_ms),
        'langevin_step_samples': [round(v, 2) for v in step_ms],
        'train_iter_samples': [round(v, 2) for v in iter_ms],
    }))


if __name__ == '__main__':
    main()

"""PyTorch CPU reference for bench/score-matching.mjs: ms per training step (loss, weight
gradients, Adam update) of each score-matching loss and NCE on an MLP energy (swish hidden
layers, scalar output), for 2-D and 784-D inputs, batch 128 — the same definitions as
@ebmjs/score-matching.

Prints one JSON object on the last line: {"threads": {"1": {...}, "2": {...}}, "torch": version}.
Run with Debian's interpreter:
  /usr/bin/python3 bench/score_matching_torch.py [--reps 10] [--threads 1,2] [--cases dsm-2,esm-784]
"""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn


def mlp(dim, hidden):
    layers, d = [], dim
    for h in hidden:
        layers += [nn.Linear(d, h), nn.SiLU()]
        d = h
    layers.append(nn.Linear(d, 1))
    return nn.Sequential(*layers)


def score(model, x):
    """s(x) = -dE/dx, kept differentiable w.r.t. the weights (create_graph)."""
    x = x.requires_grad_(True)
    e = model(x).squeeze(-1)
    (g,) = torch.autograd.grad(e.sum(), x, create_graph=True)
    return -g, x


def dsm(model, x, sigma=0.1):
    eps = torch.randn_like(x)
    s, _ = score(model, x + sigma * eps)
    return 0.5 * ((sigma * s + eps) ** 2).sum(1).mean()  # lambda(sigma) = sigma^2


def ssm_vr(model, x):
    v = torch.randint(0, 2, x.shape, dtype=x.dtype) * 2 - 1  # Rademacher
    s, xr = score(model, x.clone())
    (jv,) = torch.autograd.grad((s * v).sum(), xr, create_graph=True)
    return ((v * jv).sum(1) + 0.5 * (s ** 2).sum(1)).mean()


def esm(model, x, exact):
    """Exact trace for small D (one-hot probes on the batch tiled D times), else Hutchinson."""
    n, d = x.shape
    if exact:
        xr = x.repeat(d, 1)
        v = torch.eye(d).repeat_interleave(n, 0)
    else:
        xr = x.clone()
        v = torch.randint(0, 2, x.shape, dtype=x.dtype) * 2 - 1
    s, xr = score(model, xr)
    (jv,) = torch.autograd.grad((s * v).sum(), xr, create_graph=True)
    q = (v * jv).sum(1)
    trace = q.view(d, n).sum(0) if exact else q
    return (trace + 0.5 * (s[:n] ** 2).sum(1)).mean()


class Noise:
    def __init__(self, x):
        self.mean = x.mean(0)
        c = x - self.mean
        cov = c.T @ c / (x.shape[0] - 1)
        cov += 1e-4 * cov.diagonal().mean() * torch.eye(x.shape[1])
        self.dist = torch.distributions.MultivariateNormal(self.mean, covariance_matrix=cov)

    def sample(self, n):
        return self.dist.sample((n,))

    def log_prob(self, x):
        return self.dist.log_prob(x)


def nce(model, x, noise, log_z):
    y = noise.sample(x.shape[0])
    g = lambda u: -model(u).squeeze(-1) - log_z - noise.log_prob(u)
    f = torch.nn.functional.logsigmoid
    return -(f(g(x)).sum() + f(-g(y)).sum()) / x.shape[0]


def bench(dim, loss, reps, batch=128, hidden=(128, 128)):
    torch.manual_seed(0)
    model = mlp(dim, hidden)
    data = torch.randn(4 * batch, dim)
    log_z = torch.zeros((), requires_grad=True)
    params = list(model.parameters()) + ([log_z] if loss == 'nce' else [])
    opt = torch.optim.Adam(params, lr=1e-3)
    noise = Noise(data) if loss == 'nce' else None

    def step(i):
        x = data[(i % 4) * batch:(i % 4 + 1) * batch]
        opt.zero_grad()
        if loss == 'dsm':
            l = dsm(model, x)
        elif loss == 'ssm':
            l = ssm_vr(model, x)
        elif loss == 'esm':
            l = esm(model, x, exact=dim <= 32)
        else:
            l = nce(model, x, noise, log_z)
        l.backward()
        opt.step()
        return l.item()

    for i in range(3):
        step(i)
    times = []
    for i in range(reps):
        t0 = time.perf_counter()
        step(i)
        times.append((time.perf_counter() - t0) * 1000)
    return {'medianMs': statistics.median(times), 'minMs': min(times), 'reps': reps}


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--reps', type=int, default=10)
    p.add_argument('--threads', type=str, default='1,2')
    p.add_argument('--cases', type=str, default='dsm-2,ssm-2,esm-2,nce-2,dsm-784,ssm-784,esm-784,nce-784')
    a = p.parse_args()
    out = {'torch': torch.__version__, 'threads': {}}
    for t in [int(s) for s in a.threads.split(',')]:
        torch.set_num_threads(t)
        res = {}
        for case in a.cases.split(','):
            loss, dim = case.split('-')
            res[case] = bench(int(dim), loss, a.reps)
        out['threads'][str(t)] = res
    print(json.dumps(out))


if __name__ == '__main__':
    main()

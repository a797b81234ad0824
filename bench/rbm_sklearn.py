#!/usr/bin/env python3
"""Reference side of bench/rbm-sklearn.mjs: scikit-learn's BernoulliRBM on the same binarised
MNIST rows that the JS side wrote to disk.

Usage: rbm_sklearn.py IN_DIR OUT_JSON --hidden H --lr LR --batch B --epochs E --seed S

Reads IN_DIR/train.u8 and IN_DIR/test.u8 (uint8 0/1, row-major, 784 columns), trains with
BernoulliRBM.fit (PCD-1 with batch_size chains, as sklearn implements it), times it, scores the
test rows with score_samples (stochastic pseudo-likelihood), and writes the weights and numbers
as JSON so the JS side can evaluate both models with the same AIS code.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from sklearn.neural_network import BernoulliRBM


def blas_threads():
    try:
        from threadpoolctl import threadpool_info

        return [f"{i['internal_api']} x{i['num_threads']}" for i in threadpool_info()]
    except Exception:  # threadpoolctl missing: report nothing rather than fail
        return None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("in_dir")
    ap.add_argument("out_json")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--visible", type=int, default=784)
    a = ap.parse_args()

    def load(name: str) -> np.ndarray:
        raw = np.fromfile(os.path.join(a.in_dir, name), dtype=np.uint8)
        return raw.reshape(-1, a.visible).astype(np.float64)

    train, test = load("train.u8"), load("test.u8")
    rbm = BernoulliRBM(
        n_components=a.hidden,
        learning_rate=a.lr,
        batch_size=a.batch,
        n_iter=a.epochs,
        random_state=a.seed,
        verbose=0,
    )
    t0 = time.perf_counter()
    rbm.fit(train)
    seconds = time.perf_counter() - t0
    # score_samples draws its flip indices from the model's random_state (an int seeds a fresh
    # stream per call), so vary it to average a few passes of the noisy single-flip estimate.
    pl = []
    for i in range(5):
        rbm.random_state = a.seed + 1 + i
        pl.append(float(rbm.score_samples(test).mean()))
    out = {
        "library": "scikit-learn " + __import__("sklearn").__version__,
        "numpy": np.__version__,
        "blasThreads": blas_threads(),
        "secondsPerEpoch": seconds / a.epochs,
        "pseudoLikelihoodStochastic": float(np.mean(pl)),
        "pseudoLikelihoodStochasticPasses": pl,
        # components_ is [hidden, visible]; ebmjs stores W as [visible, hidden].
        "W": rbm.components_.T.astype(np.float32).ravel().tolist(),
        "b": rbm.intercept_visible_.astype(np.float32).tolist(),
        "c": rbm.intercept_hidden_.astype(np.float32).tolist(),
    }
    with open(a.out_json, "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())

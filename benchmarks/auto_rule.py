"""Where method="precondition" beats method="qr": the grid behind choose_method.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python benchmarks/auto_rule.py

F-ordered Gaussian A, d = 16 .. 1024, n = 10 d .. 1000 d (n d <= 2^26), best of
two runs each; prints qr seconds / precondition seconds and the rule's pick.
"""
import time

import numpy as np

import fastls
from fastls.linalg._lstsq import choose_method


def best(fn, repeat=2):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    rng = np.random.default_rng(0)
    print(f"{'d':>5} {'n/d':>5} {'n':>7} {'qr s':>8} {'pre s':>8} {'qr/pre':>7}  auto")
    for d in (16, 32, 64, 128, 256, 512, 1024):
        for ratio in (10, 20, 50, 100, 300, 1000):
            n = d * ratio
            if not 2**14 <= n * d <= 2**26:
                continue
            A = np.asfortranarray(rng.standard_normal((n, d)))
            b = rng.standard_normal(n)
            tq = best(lambda: fastls.lstsq(A, b, method="qr"))
            tp = best(lambda: fastls.lstsq(A, b, method="precondition", random_state=0))
            print(f"{d:>5} {ratio:>5} {n:>7} {tq:>8.4f} {tp:>8.4f} {tq / tp:>7.2f}  {choose_method(n, d)}",
                  flush=True)


if __name__ == "__main__":
    main()

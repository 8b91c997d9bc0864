"""Paper reproduction (slow): the note's sweep (a), ../shared/papers/kronecker_sbl.md §5.4."""
import warnings

import numpy as np
import pytest

from fastls import sbl
from fastls._reference import PAPER_SNRS, nmse, oracle_ls, srr
from fastls.datasets import kron_sparse_problem


@pytest.mark.slow
def test_sweep_a_tracks_the_oracle():
    """30 trials per SNR (n_i = 15, m = (8, 12, 15), k = 3, same x across SNRs).
    Note §5.4: SVD-KroSBL medians track the oracle LS (20 dB: 5.0e-4 vs 4.5e-4) and
    its SRR is 0.80-0.82 from 15 dB; oracle 8 asks for a factor 3 to the oracle."""
    rng = np.random.default_rng(7)
    shapes = [(8, 15), (12, 15), (15, 15)]
    err = {s: [] for s in PAPER_SNRS}
    ora = {s: [] for s in PAPER_SNRS}
    rate = {s: [] for s in PAPER_SNRS}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(30):
            H, x, _, _ = kron_sparse_problem(shapes, 20, random_state=rng)
            y0 = sbl.kron_matvec(H, x)
            noise = rng.standard_normal(y0.size)
            for snr in PAPER_SNRS:
                sigma2 = np.mean(y0 ** 2) / 10 ** (snr / 10)
                y = y0 + np.sqrt(sigma2) * noise
                x_hat = sbl.kron_sbl(H, y, method="svd", noise_var=sigma2).x
                err[snr].append(nmse(x_hat, x))
                rate[snr].append(srr(x_hat, x))
                ora[snr].append(nmse(oracle_ls(H, x, y), x))
    for snr in PAPER_SNRS:
        assert np.median(err[snr]) <= 3 * np.median(ora[snr]), snr
        if snr >= 15:
            assert np.mean(rate[snr]) >= 0.75, snr
    assert np.median(err[20]) <= 1e-3

"""Implementation of :mod:`fastls.federated` (private: import from the package)."""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from fastls import _core
from fastls._errors import ConvergenceWarning, LinAlgError
from fastls._result import Result
from fastls._validation import (as_array, check_int, check_memory, check_option, check_real,
                                check_random_state, native_seed)

__all__ = [
    "Problem",
    "reference_problem",
    "solve",
    "monte_carlo",
    "predicted_nmsd",
    "FederatedResult",
    "FederatedStatus",
    "MonteCarloResult",
    "LocalClient",
    "ALGORITHMS",
    "REFERENCE_SAMPLES",
]

# The algorithm names, from the native enum (C++ rerce_clu is "rerce-clu" here).
ALGORITHMS = tuple(a.name.replace("_", "-") for a in _core.federated.Algorithm)


def _native_algorithm(name):
    return _core.federated.Algorithm[name.replace("-", "_")]


def _settings(algorithm, rho, M, up, down, n_rounds, seed):
    """The native run settings; the noise arguments are variances."""
    s = _core.federated.Settings()
    s.algorithm, s.rho, s.clients_per_round = _native_algorithm(algorithm), rho, M
    s.uplink_std, s.downlink_std = math.sqrt(up), math.sqrt(down)
    s.n_rounds, s.seed = n_rounds, seed
    return s

# Per-client sample sizes of the reference experiment (note, appendix A).
REFERENCE_SAMPLES = (
    52, 70, 77, 80, 67, 55, 69, 75, 67, 60, 68, 63, 51, 72, 73, 63, 54, 87, 89, 87, 66, 74, 66, 60,
    85, 59, 79, 66, 83, 66, 73, 90, 80, 60, 87, 87, 71, 84, 54, 77, 65, 79, 62, 68, 71, 58, 86, 75,
    67, 66, 77, 80, 73, 82, 57, 84, 51, 52, 57, 76, 63, 72, 71, 77, 62, 76, 52, 52, 65, 81, 68, 51,
    68, 81, 65, 87, 65, 60, 80, 69, 77, 54, 51, 66, 56, 58, 77, 82, 86, 79, 64, 73, 88, 64, 53, 87,
    86, 90, 66, 84,
)


class Problem:
    """A federated WLS problem: per-client designs, targets and sample weights.

    Parameters
    ----------
    X : sequence of (n_k, L) arrays
        One design matrix per client; sample counts n_k may differ (ragged),
        every client has the same L. C or F order is used without a copy.
    y : sequence of (n_k,) arrays
    weights : None, or a sequence with one entry per client, each None (ones)
        or an (n_k,) array of non-negative sample weights: W_k = diag(weights[k]).

    Individual G_k = X_k^T W_k X_k may be singular (n_k < L); only their sum
    must be nonsingular for :meth:`centralized`. The arrays are referenced,
    not copied, and never modified; the per-client factorizations are cached
    on first use, so do not change the arrays afterwards.
    Attribute ``w_true`` (None unless set, e.g. by :func:`reference_problem`)
    holds the data-generating model.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import federated
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.standard_normal((20, 3)) for _ in range(4)]
    >>> y = [Xk @ np.array([1.0, -2.0, 0.5]) + 0.01 * rng.standard_normal(20) for Xk in X]
    >>> problem = federated.Problem(X, y)
    >>> problem
    Problem(n_clients=4, n_features=3, samples per client 20..20)
    >>> np.round(problem.centralized(), 2)
    array([ 1. , -2. ,  0.5])
    """

    def __init__(self, X: Sequence[ArrayLike], y: Sequence[ArrayLike],
                 weights: Sequence[ArrayLike | None] | None = None):
        X, y = _client_list(X, "X"), _client_list(y, "y")
        if len(y) != len(X):
            raise ValueError(f"y must have one entry per client: X has {len(X)}, y has {len(y)}")
        if weights is None:
            weights = [None] * len(X)
        else:
            weights = _client_list(weights, "weights")
            if len(weights) != len(X):
                raise ValueError(
                    f"weights must have one entry per client: X has {len(X)}, weights has {len(weights)}")
        self.X, self.y, self.weights = [], [], []
        for k, (Xk, yk, wk) in enumerate(zip(X, y, weights)):
            Xk = as_array(Xk, f"X[{k}]", ndim=2)
            yk = as_array(yk, f"y[{k}]", ndim=1)
            if yk.shape[0] != Xk.shape[0]:
                raise ValueError(f"y[{k}] must have one entry per row of X[{k}]: "
                                 f"X[{k}] has shape {Xk.shape}, y[{k}] has shape {yk.shape}")
            if wk is not None:
                wk = as_array(wk, f"weights[{k}]", ndim=1)
                if wk.shape != yk.shape:
                    raise ValueError(f"weights[{k}] must have shape {yk.shape} like y[{k}], got {wk.shape}")
                if (wk < 0).any():
                    raise ValueError(f"weights[{k}] must be non-negative")
            self.X.append(Xk)
            self.y.append(yk)
            self.weights.append(wk)
        L = self.X[0].shape[1]
        for k, Xk in enumerate(self.X):
            if Xk.shape[1] != L:
                raise ValueError(f"every client must have the same number of features: "
                                 f"X[0] has {L} columns, X[{k}] has {Xk.shape[1]}")
        self.w_true = None
        self._bank = None
        self._centralized = None

    @property
    def n_clients(self) -> int:
        return len(self.X)

    @property
    def n_features(self) -> int:
        return self.X[0].shape[1]

    @property
    def n_samples(self) -> list[int]:
        return [Xk.shape[0] for Xk in self.X]

    def whitened(self, k: int):
        """(W_k^{1/2} X_k, W_k^{1/2} y_k) of client k (new arrays)."""
        if self.weights[k] is None:
            return self.X[k].copy(), self.y[k].copy()
        s = np.sqrt(self.weights[k])
        return self.X[k] * s[:, None], self.y[k] * s

    def centralized(self) -> np.ndarray:
        """The exact global WLS solution w* = (sum_k G_k)^{-1} sum_k h_k.

        Computed by least squares on the whitened stacked system (no normal
        equations). Raises fastls.LinAlgError when sum_k G_k is singular.
        """
        if self._centralized is None:
            parts = [self.whitened(k) for k in range(self.n_clients)]
            A = np.vstack([p[0] for p in parts])
            b = np.concatenate([p[1] for p in parts])
            w, _, rank, _ = np.linalg.lstsq(A, b, rcond=None)
            if rank < self.n_features:
                raise LinAlgError(
                    f"sum_k X_k^T W_k X_k is singular (rank {rank} < {self.n_features} features): "
                    "the global WLS solution is not unique")
            w.flags.writeable = False
            self._centralized = w
        return self._centralized.copy()

    def _factors(self):
        """The native client bank (one thin SVD per client), built once."""
        if self._bank is None:
            self._bank = _core.federated.Bank(self.X, self.y, self.weights)
        return self._bank

    def __repr__(self) -> str:
        n = self.n_samples
        return (f"Problem(n_clients={self.n_clients}, n_features={self.n_features}, "
                f"samples per client {min(n)}..{max(n)})")


def _client_list(value, name):
    if value is None:
        raise TypeError(f"{name} is required, got None")
    if isinstance(value, np.ndarray) and value.ndim >= 1 and value.dtype != object:
        items = list(value)
    elif isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.dtype == object):
        items = list(value)
    else:
        raise TypeError(f"{name} must be a list with one array per client, got {type(value).__name__}")
    if not items:
        raise ValueError(f"{name} must hold at least one client")
    return items


def reference_problem(random_state: int | np.random.Generator | None = None, *,
                      n_clients: int = 100, n_features: int = 128,
                      samples: Sequence[int] | None = None, weight: float = 1e4, noise_std: float = 0.01) -> Problem:
    """The paper's reference set-up (note, section 4.1); parameters overridable.

    True model w° ~ N(0, I_L), mean removed, scaled to ||w°||²/L = 1. Client k
    draws mu_k ~ U(-0.5, 0.5), s2_k ~ U(0.5, 1.5) and X_k with i.i.d.
    N(mu_k, s2_k) entries; y_k = X_k w° + noise_std * (a standard normal vector,
    mean removed and scaled to unit sample power); W_k = weight * I.
    ``samples`` defaults to the appendix list for 100 clients and to uniform
    integers in [51, 90] otherwise. The returned Problem has ``w_true = w°``.

    Parameters
    ----------
    random_state : None, int or numpy.random.Generator
    n_clients, n_features : int
        K and L.
    samples : sequence of K ints, optional
        Samples per client.
    weight : float > 0
        The sample weight of every sample.
    noise_std : float >= 0
        Standard deviation of the observation noise.

    Returns
    -------
    Problem

    Examples
    --------
    >>> from fastls import federated
    >>> problem = federated.reference_problem(0, n_clients=5, n_features=4)
    >>> problem.n_clients, problem.n_features, problem.w_true.shape
    (5, 4, (4,))
    """
    rng = check_random_state(random_state)
    K = check_int(n_clients, "n_clients", low=1)
    L = check_int(n_features, "n_features", low=1)
    weight = check_real(weight, "weight", low=0.0, low_open=True)
    noise_std = check_real(noise_std, "noise_std", low=0.0)
    if samples is None:
        samples = REFERENCE_SAMPLES if K == 100 else rng.integers(51, 91, size=K)
    samples = [check_int(int(n) if isinstance(n, np.integer) else n, "samples", low=1) for n in samples]
    if len(samples) != K:
        raise ValueError(f"samples must have n_clients={K} entries, got {len(samples)}")
    w0 = rng.standard_normal(L)
    if L > 1:
        w0 -= w0.mean()
    w0 *= math.sqrt(L) / np.linalg.norm(w0)
    X, y = [], []
    for n in samples:
        mu, s2 = rng.uniform(-0.5, 0.5), rng.uniform(0.5, 1.5)
        Xk = mu + math.sqrt(s2) * rng.standard_normal((n, L))
        v = rng.standard_normal(n)
        if n > 1:
            v -= v.mean()
        v /= math.sqrt(np.mean(v * v)) or 1.0
        X.append(Xk)
        y.append(Xk @ w0 + noise_std * v)
    problem = Problem(X, y, [np.full(n, weight) for n in samples])
    problem.w_true = w0
    return problem


class LocalClient:
    """One client's side of the protocol, for server loops run elsewhere.

    Factorizes (X, y, weights) once (thin SVD of the whitened design); then
    ``start()`` at round 0 and ``update(message, round)`` whenever the client
    is scheduled, each returning the vector to upload. This is the exact local
    step :func:`solve` runs natively, so a server that adds the link noise and
    aggregates as :func:`solve` does (see its Notes) reproduces its iterates.
    Under "rerce-clu" the idle rounds between two updates are applied lazily
    and exactly inside ``update``/``local_model``.

    Parameters
    ----------
    X : (n, L) array_like
    y : (n,) array_like
    weights : (n,) array_like, optional
        Non-negative sample weights (default ones).
    algorithm : "admm", "rerce", "rerce-clu" (default) or "fedprox"
    rho : float > 0
        ADMM penalty, as in :func:`solve`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import federated
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.standard_normal((20, 3)), rng.standard_normal(20)
    >>> client = federated.LocalClient(X, y, algorithm="admm")
    >>> upload = client.start()
    >>> upload.shape, np.allclose(upload, client.initial_estimate)
    ((3,), True)
    >>> client.update(np.zeros(3), 1).shape
    (3,)
    """

    def __init__(self, X: ArrayLike, y: ArrayLike, weights: ArrayLike | None = None, *, algorithm: str = "rerce-clu", rho: float = 1.0):
        problem = Problem([X], [y], None if weights is None else [weights])
        self.algorithm = check_option(algorithm, "algorithm", ALGORITHMS)
        self.rho = check_real(rho, "rho", low=0.0, low_open=True)
        self._native = _core.federated.LocalClient(problem.X[0], problem.y[0], problem.weights[0],
                                                   self.rho, _native_algorithm(self.algorithm))
        self.n_features = problem.n_features

    @property
    def initial_estimate(self) -> np.ndarray:
        """w̆ = 2 (2 G + rho I)^{-1} h."""
        return self._native.initial_estimate

    def start(self) -> np.ndarray:
        """Round 0: reset to w̆; returns the upload (w̆, or 2 w̆ under "rerce-clu")."""
        return self._native.start()

    def update(self, message: ArrayLike, round: int) -> np.ndarray:
        """Local update with the received (noisy) message at ``round`` >= 1; returns the upload."""
        message = as_array(message, "message", ndim=1)
        if message.shape[0] != self.n_features:
            raise ValueError(f"message must have shape ({self.n_features},), got {message.shape}")
        return self._native.update(message, check_int(round, "round", low=1))

    def local_model(self, round: int) -> np.ndarray:
        """The local model after ``round`` (>= the last update round)."""
        return self._native.local_model(check_int(round, "round", low=0))


class FederatedStatus(IntEnum):
    """Why a federated run stopped."""

    COMPLETED = 0   # all n_rounds rounds ran
    STOPPED = 1     # the callback asked to stop
    DIVERGED = 2    # the global model blew up (non-finite or > 1e100 x the initial scale)


_MESSAGES = {
    FederatedStatus.COMPLETED: "ran all rounds",
    FederatedStatus.STOPPED: "stopped by the callback",
    FederatedStatus.DIVERGED: "the iterates diverged",
}


@dataclass(frozen=True, kw_only=True, repr=False)
class FederatedResult(Result):
    """Result of :func:`solve`.

    x / w:           the server's global model after the last round (for
                     "rerce-clu" the aggregate a^(r) the server broadcasts).
    local_models:    (K, L) client models after the last round.
    history:         per-round NMSD of the local models in dB,
                     10 log10(sum_k ||w_k - w_true||^2 / (K ||w_true||^2)),
                     round 0 first; None without ``w_true``.
    global_history:  the same for the global model; None without ``w_true``.
    uplink_messages / downlink_messages: L-vectors sent each way in total.
    residual_norm:   sqrt(sum_k ||y_k - X_k w||^2_{W_k}) of the global model.
    nit:             rounds run (round 0 included).
    """

    w: np.ndarray
    local_models: np.ndarray
    history: np.ndarray | None
    global_history: np.ndarray | None
    uplink_messages: int
    downlink_messages: int
    algorithm: str


@dataclass(frozen=True, kw_only=True, repr=False)
class MonteCarloResult:
    """Result of :func:`monte_carlo`: NMSD curves averaged over runs.

    x:       the estimate a Monte Carlo study makes: the run-averaged local
             NMSD curve, linear (``nmsd_db`` is 10 log10 x); finite unless a
             run diverged.
    success: False when some run diverged (its NMSD is infinite).
    status:  :class:`FederatedStatus`: COMPLETED, or DIVERGED when some run did.
    message: the status in words.
    nit:     rounds per run (round 0 included), ``n_rounds``.
    nmsd_db / global_nmsd_db: (n_rounds,) run-averaged NMSD of the local / global
        models (averaged in linear scale, then in dB).
    runs: (n_runs, n_rounds) per-run local NMSD, linear.
    steady_state_db: mean of nmsd_db over the last 20 % of the rounds (rounds
        401-500 of 500, the note's steady-state window).
    """

    x: np.ndarray
    success: bool
    status: FederatedStatus
    message: str
    nit: int
    nmsd_db: np.ndarray
    global_nmsd_db: np.ndarray
    runs: np.ndarray
    steady_state_db: float

    def __repr__(self) -> str:
        return (f"MonteCarloResult(n_runs={self.runs.shape[0]}, n_rounds={self.runs.shape[1]}, "
                f"status={type(self.status).__name__}.{self.status.name}, "
                f"steady_state_db={self.steady_state_db:.2f})")


def _db(x):
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(x)


def _check_common(problem, algorithm, rho, clients_per_round, uplink_noise, downlink_noise,
                  n_rounds):
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a fastls.federated.Problem, got {type(problem).__name__}")
    algorithm = check_option(algorithm, "algorithm", ALGORITHMS)
    rho = check_real(rho, "rho", low=0.0, low_open=True)
    K = problem.n_clients
    M = K if clients_per_round is None else check_int(clients_per_round, "clients_per_round", low=1, high=K)
    up = check_real(uplink_noise, "uplink_noise", low=0.0)
    down = check_real(downlink_noise, "downlink_noise", low=0.0)
    n_rounds = check_int(n_rounds, "n_rounds", low=1)
    check_memory(16.0 * n_rounds, "n_rounds")  # the native run keeps two NMSD curves
    if algorithm == "rerce" and M == 1 and K > 1:
        warnings.warn(
            "algorithm='rerce' with clients_per_round=1 averages a single client and its "
            "extrapolation 2w^(r-1) - w^(r-2) mixes two clients' null spaces: the note reports "
            "divergence (+61 dB by round 100). Use 'rerce-clu', which converges for M = 1.",
            ConvergenceWarning, stacklevel=3)
    return algorithm, rho, M, up, down, n_rounds


def _check_reference(w, problem, name):
    w = as_array(w, name, ndim=1)
    if w.shape[0] != problem.n_features:
        raise ValueError(f"{name} must have shape ({problem.n_features},), got {w.shape}")
    if not np.any(w):
        raise ValueError(f"{name} must be nonzero (the NMSD divides by ||{name}||^2)")
    return w


def solve(problem: Problem, *, algorithm: str = "rerce-clu", rho: float = 1.0,
          clients_per_round: int | None = None, uplink_noise: float = 0.0,
          downlink_noise: float = 0.0, n_rounds: int = 500, w_true: ArrayLike | None = None,
          random_state: int | np.random.Generator | None = None,
          callback: Callable[[int, np.ndarray, np.ndarray], bool | None] | None = None,
          cluster: Any = None) -> FederatedResult:
    """Run one federated WLS simulation.

    Parameters
    ----------
    problem : Problem
    algorithm : "admm", "rerce", "rerce-clu" (default) or "fedprox"
    rho : float > 0
        ADMM penalty: pull of each local solve toward the received model.
    clients_per_round : int in [1, K], optional
        M clients drawn uniformly without replacement each round; None: all K.
    uplink_noise, downlink_noise : float >= 0
        Variances of the additive white Gaussian noise on every uplink /
        downlink vector (each client draws its own).
    n_rounds : int
        Rounds to run (a fixed count, not a limit), round 0 (initial local
        estimates) included.
    w_true : (L,) array, optional
        Reference model for ``history`` (e.g. ``problem.centralized()``, the
        note's metric, or ``problem.w_true``).
    random_state : None, int or numpy.random.Generator
        Seeds scheduling and link noise; the same int gives the same run for
        any thread count, and run 0 of :func:`monte_carlo` with that seed.
    callback : callable(round, w, local_models) -> bool, optional
        Called after every round with copies of the global model and the
        (K, L) local models (costs O(K L) per round); return True to stop.
    cluster : distributed.Client, optional
        Run on a Dask cluster (``fastls[dask]``): each client's data and
        factorization live in an actor on a worker and rounds move only
        L-vectors; the iterates equal the in-process run's for the same seed.
        See ``fastls.federated._dask``.

    Notes
    -----
    Round 0: every client computes w̆_k = 2 (2 G_k + rho I)^{-1} h_k; for
    "admm" and "rerce-clu" all K upload (the server's store starts full),
    for "rerce" and "fedprox" the M scheduled ones. Each later round costs M
    downlink and M uplink messages.

    Without noise and with full participation "admm", "rerce" and
    "rerce-clu" produce the same local iterates and converge to
    ``problem.centralized()``; "fedprox" converges to its own biased fixed
    point. "rerce" with one client per round diverges (note, section 2.3):
    a ConvergenceWarning says so up front, and a run that blows up stops
    with status DIVERGED. Use "rerce-clu" there.

    Returns
    -------
    FederatedResult

    Raises
    ------
    TypeError
        When ``problem`` is not a :class:`Problem`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import federated
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.standard_normal((20, 3)) for _ in range(4)]
    >>> y = [Xk @ np.array([1.0, -2.0, 0.5]) + 0.01 * rng.standard_normal(20) for Xk in X]
    >>> problem = federated.Problem(X, y)
    >>> res = federated.solve(problem, n_rounds=50, w_true=problem.centralized())
    >>> res.status, res.nit, res.local_models.shape
    (<FederatedStatus.COMPLETED: 0>, 50, (4, 3))
    >>> bool(res.history[-1] < -50)  # NMSD to the centralized solution, in dB
    True
    """
    algorithm, rho, M, up, down, n_rounds = _check_common(
        problem, algorithm, rho, clients_per_round, uplink_noise, downlink_noise, n_rounds)
    ref = None if w_true is None else _check_reference(w_true, problem, "w_true")
    if callback is not None and not callable(callback):
        raise TypeError("callback must be callable or None")
    settings = _settings(algorithm, rho, M, up, down, n_rounds, native_seed(random_state))
    if cluster is not None:
        from fastls.federated._dask import run as run_on_cluster
        out, residual = run_on_cluster(problem, algorithm, settings, ref, callback, cluster)
    else:
        out = _core.federated.run(problem._factors(), settings, ref, callback)
        residual = math.sqrt(sum(_weighted_sq(Xk @ out.w - yk, wk)
                                 for Xk, yk, wk in zip(problem.X, problem.y, problem.weights)))
    if out.diverged:
        status = FederatedStatus.DIVERGED
        warnings.warn(f"federated {algorithm!r} diverged at round {out.rounds - 1}",
                      ConvergenceWarning, stacklevel=2)
    elif out.rounds < n_rounds:
        status = FederatedStatus.STOPPED
    else:
        status = FederatedStatus.COMPLETED
    history = global_history = None
    if ref is not None:
        history, global_history = _db(out.nmsd), _db(out.global_nmsd)
    w = out.w
    return FederatedResult(
        x=w, w=w, success=status == FederatedStatus.COMPLETED, status=status,
        message=_MESSAGES[status], nit=int(out.rounds), residual_norm=residual,
        local_models=out.local_models, history=history, global_history=global_history,
        uplink_messages=int(out.uplinks), downlink_messages=int(out.downlinks), algorithm=algorithm)


def _weighted_sq(r, weights):
    return float(r @ r) if weights is None else float((r * r) @ weights)


def monte_carlo(problem: Problem | Callable[[np.random.Generator], Problem], n_runs: int, *,
                algorithm: str = "rerce-clu", rho: float = 1.0,
                clients_per_round: int | None = None, uplink_noise: float = 0.0,
                downlink_noise: float = 0.0, n_rounds: int = 500, w_true: ArrayLike | None = None,
                random_state: int | np.random.Generator | None = None) -> MonteCarloResult:
    """Average NMSD curves over ``n_runs`` independent runs.

    problem : Problem, or callable(rng) -> Problem
        A Problem: the data are fixed and the runs differ only in scheduling
        and link noise (the note's protocol); the runs execute in parallel
        native threads (OpenMP), and each run's curve depends only on
        (random_state, run index), never on the thread count; run i equals
        ``solve(..., random_state=seed)`` for i = 0. A callable: called once
        per run with an independent Generator (the data are redrawn each run;
        runs then execute one after another).
    w_true : (L,) array, optional
        Reference model of the NMSD; default each problem's centralized
        solution w* (the note's metric).
    Other parameters as in :func:`solve`.

    Returns
    -------
    MonteCarloResult
        ``x`` is the run-averaged local NMSD curve (linear; ``nmsd_db`` in dB); ``status`` DIVERGED
        (with a ConvergenceWarning) when some run diverged.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import federated
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.standard_normal((20, 3)) for _ in range(4)]
    >>> y = [Xk @ np.array([1.0, -2.0, 0.5]) + 0.01 * rng.standard_normal(20) for Xk in X]
    >>> problem = federated.Problem(X, y)
    >>> mc = federated.monte_carlo(problem, 3, n_rounds=50, clients_per_round=2,
    ...                            uplink_noise=1e-4, random_state=0)
    >>> mc.status, mc.runs.shape, mc.nmsd_db.shape
    (<FederatedStatus.COMPLETED: 0>, (3, 50), (50,))
    """
    n_runs = check_int(n_runs, "n_runs", low=1, high=2**30)
    check_memory(16.0 * n_runs * check_int(n_rounds, "n_rounds", low=1), "n_runs * n_rounds")
    fixed = isinstance(problem, Problem)
    if not fixed and not callable(problem):
        raise TypeError("problem must be a Problem or a callable(rng) returning one")
    seed = native_seed(random_state)
    zero_reference = []

    def one_batch(prob, first, count):
        args = _check_common(prob, algorithm, rho, clients_per_round, uplink_noise,
                             downlink_noise, n_rounds)
        ref = prob.centralized() if w_true is None else _check_reference(w_true, prob, "w_true")
        if not float(ref @ ref) > 0:  # the NMSD's denominator (0 also when it underflows)
            zero_reference.append(first)
        return _core.federated.monte_carlo(prob._factors(), _settings(*args, seed), first, count, ref)

    if fixed:
        local, glob = one_batch(problem, 0, n_runs)
    else:
        rngs = check_random_state(seed).spawn(n_runs)
        parts = [one_batch(_as_problem(problem(rngs[i])), i, 1) for i in range(n_runs)]
        local = np.vstack([p[0] for p in parts])
        glob = np.vstack([p[1] for p in parts])
    mean = local.mean(axis=0)
    curve = _db(mean)
    window = curve[int(0.8 * len(curve)):]
    status = FederatedStatus.COMPLETED
    message = f"ran all rounds in {n_runs} runs"
    if zero_reference:  # never a silent NaN: the NMSD divides by ||w*||^2
        message += "; ||w*||^2 of the centralized solution is 0, so the NMSD is undefined (NaN)"
        warnings.warn("monte_carlo: ||w*||^2 of the centralized solution w* is 0 (or underflows), "
                      "so the NMSD relative to it is undefined (NaN); pass w_true",
                      RuntimeWarning, stacklevel=2)
    if np.isinf(local).any():
        status = FederatedStatus.DIVERGED
        n_bad = int(np.isinf(local).any(axis=1).sum())
        message = f"{n_bad} of {n_runs} runs diverged"
        warnings.warn("some Monte Carlo runs diverged", ConvergenceWarning, stacklevel=2)
    return MonteCarloResult(x=mean, success=status == FederatedStatus.COMPLETED, status=status,
                            message=message, nit=int(local.shape[1]), nmsd_db=curve,
                            global_nmsd_db=_db(glob.mean(axis=0)), runs=local,
                            steady_state_db=float(window.mean()))


def _as_problem(p):
    if not isinstance(p, Problem):
        raise TypeError(f"problem (a callable) must return a Problem, got {type(p).__name__}")
    return p


def predicted_nmsd(problem: Problem, *, algorithm: str = "rerce-clu", rho: float = 1.0,
                   clients_per_round: int | None = None, uplink_noise: float = 0.0,
                   downlink_noise: float = 0.0, n_rounds: int = 500,
                   w_true: ArrayLike | None = None) -> np.ndarray:
    """Exact mean-square NMSD curve (dB) of the local models (note, section 3.3).

    Propagates the mean and second moment of the full algorithm state through
    the random scheduling (E a_k = M/K, E a_k a_j = M(M-1)/(K(K-1))) and the
    link noise, round by round. Exact for every algorithm; meant for small
    problems: the state has about 3 K L entries and each round costs
    O(K (3 K L)^3), so it refuses states above 1500 entries.
    ``w_true`` defaults to ``problem.centralized()``.

    Parameters
    ----------
    problem : Problem
    Other parameters as in :func:`solve`.

    Returns
    -------
    (n_rounds,) ndarray
        The predicted NMSD in dB, round 0 first.

    Examples
    --------
    >>> import numpy as np
    >>> from fastls import federated
    >>> rng = np.random.default_rng(0)
    >>> X = [rng.standard_normal((20, 3)) for _ in range(4)]
    >>> y = [Xk @ np.array([1.0, -2.0, 0.5]) + 0.01 * rng.standard_normal(20) for Xk in X]
    >>> problem = federated.Problem(X, y)
    >>> curve = federated.predicted_nmsd(problem, n_rounds=50, clients_per_round=2,
    ...                                  uplink_noise=1e-4)
    >>> curve.shape, bool(curve[-1] < curve[0])
    ((50,), True)
    """
    from fastls.federated._theory import predicted_nmsd_linear

    algorithm, rho, M, up, down, n_rounds = _check_common(
        problem, algorithm, rho, clients_per_round, uplink_noise, downlink_noise, n_rounds)
    ref = problem.centralized() if w_true is None else _check_reference(w_true, problem, "w_true")
    return _db(predicted_nmsd_linear(problem, algorithm, rho, M, up, down, n_rounds, ref))

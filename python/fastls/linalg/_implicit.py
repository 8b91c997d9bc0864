"""lstsq for scipy.sparse and operator A (private: :func:`fastls.lstsq` dispatches here).

The same sketch-and-precondition as for dense A, with the products, the sketch
and LSQR on the sparse matrix or through the operator, never densifying A
beyond ``QR_DENSIFY_MAX`` entries; the trust rules of the dense path apply.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from fastls import _core
from fastls._device import DEVICES
from fastls._errors import LinAlgError
from fastls._validation import as_array, check_int, check_option, check_real, native_seed
from fastls.linalg._lstsq import (_CONVERGED, _EPS, _MESSAGES, _SYSTEM_DTYPES, LstsqStatus, _check_rcond,
                                  _error_bars, _finish, _incompatible, _lost_rank, _lost_residual, _norms, _pow2_scale,
                                  _single_precision, _unit_columns, default_sketch_rows, lsqr_optimal, lstsq,
                                  normal_residual_from_norms, optimality_limit)
from fastls.sketching._sketch import (KINDS, Operator, _nnz, as_implicit,
                                      canonical_sparse, check_sketch_rows, is_sparse, make_spec,
                                      native, sketch_operator, sketch_sparse)

# An operator's sketch costs products with A: d of them (A's columns, then a
# fast sketch), or m with A^H for the Gaussian and Rademacher kinds, which get
# LSRN's small m = 2 d. With d products the sketch size is free in products;
# m = 4 d took 36 LSQR iterations against 64 at 2 d (262144 x 500, 8 nonzeros a
# row), and 8 d no fewer seconds.
OPERATOR_OVERSAMPLING = {"gaussian": 2.0, "rademacher": 2.0}
OPERATOR_OVERSAMPLING_FAST = 4.0
QR_DENSIFY_MAX = 2**22  # entries: method="qr" densifies sparse or operator A up to 32 MiB


class _RealSystem:
    """The real system a sketch solves, for sparse or operator A: ridge stacked as
    [A; damp I] x = [b; 0] (tall A), or for wide A as the minimum-norm solution
    [x; y] of [A, damp I] [x; y] = b (x = A^H (A A^H + damp^2 I)^{-1} b, the same
    ridge solution, and the system stays wide); complex A embedded as
    [[Re A, -Im A], [Im A, Re A]]. Sparse A stays a SciPy CSR/CSC (one copy for
    either change) read in place by the C++ kernels; an operator's products are
    called back from C++'s LSQR. ``scale``: the power of two the system is
    multiplied by (see ``sketch``)."""

    def __init__(self, A, damp: float):
        import scipy.sparse as sp

        self.sparse = is_sparse(A)
        self.dtype = np.dtype(np.float64)
        n, d = A.shape
        self.tall_damp = damp > 0 and n >= d
        self.wide_damp = damp > 0 and n < d
        if self.sparse:
            fmt = A.format
            if self.tall_damp:
                A = sp.vstack([A, damp * sp.identity(d, format=fmt)], format=fmt)
            elif self.wide_damp:
                A = sp.hstack([A, damp * sp.identity(n, format=fmt)], format=fmt)
            if A.dtype.kind == "c":
                A = sp.bmat([[A.real, -A.imag], [A.imag, A.real]], format=fmt)
            self.A = canonical_sparse(A)
            self.damp = 0.0
        else:
            self.op = A if isinstance(A, Operator) else Operator(A)
            self.damp = damp
        self.scale, self._unscaled = 1.0, True
        self.complex = A.dtype.kind == "c"
        if self.sparse:
            self.shape = self.A.shape
        else:
            rows, cols = n + (d if self.tall_damp else 0), d + (n if self.wide_damp else 0)
            self.shape = (2 * rows, 2 * cols) if self.complex else (rows, cols)

    def matmat(self, X):
        if self.sparse:
            return self.A @ X
        X = self._complex(X)
        n, d = self.op.shape
        Y = self.op.matmat(X[:d])
        if self.tall_damp:
            Y = np.vstack([Y, self.damp * X])
        elif self.wide_damp:
            Y = Y + self.damp * X[d:]
        return self._real(Y) * self.scale if self.scale != 1.0 else self._real(Y)

    def rmatmat(self, Y):
        if self.sparse:
            return self.A.T @ Y
        Y = self._complex(Y)
        n, d = self.op.shape
        X = self.op.rmatmat(Y[:n])
        if self.tall_damp:
            X = X + self.damp * Y[n:]
        elif self.wide_damp:
            X = np.vstack([X, self.damp * Y])
        return self._real(X) * self.scale if self.scale != 1.0 else self._real(X)

    def _complex(self, X):  # [Re; Im] stacked -> complex
        if not self.complex:
            return X
        h = X.shape[0] // 2
        return X[:h] + 1j * X[h:]

    def _real(self, Y):
        return np.vstack([Y.real, Y.imag]) if self.complex else Y

    def sketch(self, spec, transpose: bool):
        """S A (S A^T when transpose). The first call also multiplies the system by a
        power of two (``scale``) that brings max |A| (sparse) or max |S A| (operator)
        near 1 when it lies near the float64 limits, where the QR of S A and LSQR's
        norms over- or underflow (LAPACK's drivers scale likewise); powers of two
        scale exactly."""
        if self.sparse:
            if self._unscaled:
                self._unscaled, a = False, _pow2_scale(self.A.data)
                if a != 1.0:
                    self.A = self.A.copy()
                    self.A.data *= a
                    self.scale = a
            return sketch_sparse(self.A, spec, transpose)
        SA = sketch_operator(self, spec, transpose)
        if not np.isfinite(SA).all():
            raise ValueError("A's entries are near the float64 limits: its sketch overflowed")
        if self._unscaled:
            self._unscaled, self.scale = False, _pow2_scale(SA)
            SA *= self.scale
        return SA

    def matvec(self, x):  # for the C++ LSQR's callbacks (solve_operator)
        return self.matmat(x[:, None])[:, 0]

    def rmatvec(self, y):
        return self.rmatmat(y[:, None])[:, 0]

    def solve(self, SA, SB, B, options):
        solver = _core.sketch.solve_sparse if self.sparse else _core.sketch.solve_operator
        return solver(self.A if self.sparse else self, SA, SB, B, options)

    def densify(self):
        return self.A.toarray() if self.sparse else self.matmat(np.eye(self.shape[1]))


def _sketch_b(B, spec):
    """S B for dense B with the S that sketched A."""
    return _core.sketch.apply(B, np.empty((B.shape[0], 0), order="F"), spec)[0]


def _implicit(A, b, method, kind, sketch_rows, oversampling, tol, maxiter, random_state, rcond,
              nnz_per_column, damp):
    """lstsq for scipy.sparse or operator A: sketch it (never densified), QR of the
    sketch, LSQR on the preconditioned operator in C++; wide A (LSRN): S A^T,
    minimum norm. The same trust rules as the dense path."""
    A = as_implicit(A)
    n0, d0 = A.shape
    B = as_array(b, "b", ndim=(1, 2), dtype=_SYSTEM_DTYPES, allow_empty=True)
    if B.shape[0] != n0:
        raise _incompatible(A.shape, B.shape)
    B = B.reshape(n0, -1)
    is_complex = A.dtype.kind == "c" or B.dtype.kind == "c"
    if is_complex and A.dtype.kind != "c":
        A = A.astype(np.complex128) if is_sparse(A) else _ComplexView(A)
    if method == "qr" or min(n0, d0) == 0:
        if n0 * d0 > QR_DENSIFY_MAX:
            raise ValueError(f"method='qr' densifies sparse or operator A only up to {QR_DENSIFY_MAX} "
                             f"entries (A is {n0} x {d0}); use method='precondition', 'sketch' or "
                             "'auto', which take sparse and operator A")
        return None, _densify(A)  # the caller solves the dense problem
    system = _RealSystem(A, damp)
    Bk = np.vstack([B, np.zeros((d0, B.shape[1]), dtype=B.dtype)]) if system.tall_damp else B
    if is_complex:
        Bk = np.vstack([Bk.real, Bk.imag])
    Bk = np.asfortranarray(Bk, dtype=np.float64)
    # min ||a A y - c b||: x = y a / c, r = r_y / c (a: system.scale). Every column of b is
    # brought to max |b| ~ 1: LSQR's optimality test carries an absolute eps (SciPy's
    # ||(A P)^T r|| / (||A P|| ||r|| + eps)) that ended it after one iteration for ||b|| below
    # ~1e-30 (A and b scaled by 2^-300: residual 3.4x the minimum, success=True).
    c = _unit_columns(Bk)
    Bk = Bk * c
    n, d = system.shape
    wide = n < d
    precondition = method == "precondition" or wide
    tol = check_real(tol, "tol", low=0.0, high=1.0, low_open=True)
    maxiter = 200 if maxiter is None else check_int(maxiter, "maxiter", low=1)
    seed = native_seed(random_state)
    rows, cols = (d, n) if wide else (n, d)  # the tall matrix sketched: A, or A^T when wide
    if sketch_rows is None:
        if oversampling is None and not system.sparse:
            oversampling = OPERATOR_OVERSAMPLING.get(kind, OPERATOR_OVERSAMPLING_FAST)
        m = default_sketch_rows(rows, cols, kind, precondition, oversampling,
                                entries=system.A.nnz if system.sparse else None)
    else:
        m = check_sketch_rows(sketch_rows, rows) * (2 if is_complex else 1)
        if m < cols:
            raise ValueError(f"sketch_rows must be at least min(n, d) of A ({min(n0, d0)}), got {sketch_rows}")
    m = min(m, rows)
    _nnz(kind, nnz_per_column, m)
    inner_tol = max(tol / 100, _EPS)

    def run(spec, SA, rhs):
        opts = native(_core.sketch.SolveOptions, spec=spec, precondition=precondition,
                      tol=inner_tol, maxiter=maxiter, rcond=rcond, wide=wide)
        SB = np.zeros((m, rhs.shape[1])) if wide else _sketch_b(rhs, spec)
        return system.solve(SA, SB, rhs, opts)

    failure = None
    while True:
        spec = make_spec(kind, m, seed, _nnz(kind, nnz_per_column, m))
        SA = system.sketch(spec, wide)
        try:
            out = run(spec, SA, Bk)
        except LinAlgError:  # the sketch is numerically zero
            out = None
        if out is not None:
            lost = _lost_rank(system.rmatmat if wide else system.matmat, out, rcond)
            if not lost and (precondition or not _lost_residual(out, Bk, rcond)):
                break
        if m == rows:
            failure = "the sketch lost rank that A has even at sketch_rows = min(n, d)"
            break
        m = min(2 * m, rows)  # never densified: a bigger sketch instead of QR
    if failure is not None:
        if n0 * d0 <= QR_DENSIFY_MAX:
            return failure, _densify(A)
        raise LinAlgError(f"lstsq: {failure}; A is too large to densify for QR")

    x, residual_norms, nit = out.x, out.residual_norms, out.nit
    fields = dict(sketch=kind, sketch_rows=m, singular_values=out.singular_values)
    if precondition:
        norm_A = out.singular_values[0]
        limit = optimality_limit(tol, n, d)
        bn = np.linalg.norm(Bk, axis=0)

        def check(x):
            R = Bk - system.matmat(x)
            atr, rn, xn = (_norms(v) for v in (system.rmatmat(R), R, x))
            return (normal_residual_from_norms(atr, rn, xn, norm_A),
                    lsqr_optimal(atr, rn, xn, bn, norm_A, limit))
        eta, optimal = check(x)
        status = LstsqStatus(max(out.istop, default=LstsqStatus.CONVERGED))
        if status in _CONVERGED and eta.max(initial=0.0) > limit and not wide:
            step = run(spec, SA, np.asfortranarray(Bk - system.matmat(x)))  # one refinement sweep
            x = x + step.x
            nit = [a + b for a, b in zip(nit, step.nit)]
            residual_norms = step.residual_norms
            status = LstsqStatus(max(step.istop))
            eta, optimal = check(x)
        if status not in _CONVERGED and np.all(optimal):
            status = LstsqStatus.CONVERGED  # LSQR's estimates lagged; A itself says optimal
        if wide and status == LstsqStatus.CONSISTENT and np.any(
                residual_norms > 10 * tol * (norm_A * np.linalg.norm(x, axis=0) + bn)):
            status = LstsqStatus.CONVERGED  # P^T A x = P^T b is consistent, A x = b is not
        message = _MESSAGES[status]
        if eta.max(initial=0.0) > limit:
            status = status if status not in _CONVERGED else LstsqStatus.ILL_CONDITIONED
            message = (f"the LSQR answer failed the check against A (normal-equation residual "
                       f"{eta.max(initial=0.0):.1e} > {limit:.1e})")
        fields.update(status=status, nit=int(max(nit, default=0)), success=status in _CONVERGED,
                      normal_residual=eta)
        if not wide:
            fields["sketched_residual_norm"] = out.sketched_residual_norms
        if method == "sketch":
            message += "; wide A: method='sketch' has no sketch-and-solve, solved as 'precondition'"
            fields.update(coordinate_error=np.full((d, Bk.shape[1]), np.nan),
                          linf_bound=np.full(Bk.shape[1], np.nan))
    else:
        se, q = _error_bars(out, kind, m)
        if is_complex:
            se = np.hypot(se[: d // 2], se[d // 2:])
        fields.update(status=LstsqStatus.SOLVED, nit=0, success=True, coordinate_error=se,
                      linf_bound=q * se.max(axis=0), sketched_residual_norm=out.sketched_residual_norms)
        message = _MESSAGES[LstsqStatus.SOLVED]
    a = system.scale
    if a != 1.0 or np.any(c != 1.0):  # back to the caller's units (normal_residual is scale-free)
        x = x * (a / c)
        fields["singular_values"] = fields["singular_values"] / a
        for key, f in (("coordinate_error", a / c), ("linf_bound", a / c), ("sketched_residual_norm", 1 / c)):
            if key in fields:
                fields[key] = fields[key] * f
    rank = int(out.rank)
    if is_complex:
        x = x[: d // 2] + 1j * x[d // 2:]
        rank //= 2
        fields["singular_values"] = fields["singular_values"][::2]
        fields["sketch_rows"] = m // 2
    x = x[:d0]  # wide ridge: [x; y]
    if system.wide_damp:  # report the stacked [A; damp I] (full column rank), as dense A does:
        rank = d0         # its values beyond [A, damp I]'s n0 are all damp
        fields["singular_values"] = np.concatenate([fields["singular_values"], np.full(d0 - n0, damp)])
    if damp == 0 and rank < min(n0, d0):
        message += f"; A is rank deficient (rank {rank}, checked against A): minimum-norm solution"
    Ax = A @ x if is_sparse(A) else Operator(A).matmat(x)  # ||b - A x|| on the original A
    fields.update(x=x, rank=rank, message=message, residual_norm=_norms(B - Ax))
    return fields, None


class _ComplexView:
    """A real operator seen as complex (complex b)."""

    def __init__(self, A):
        self._A, self.shape, self.dtype = Operator(A), tuple(A.shape), np.dtype(np.complex128)

    def matvec(self, x):
        return self.matmat(np.asarray(x).reshape(-1, 1))[:, 0]

    def rmatvec(self, y):
        return self.rmatmat(np.asarray(y).reshape(-1, 1))[:, 0]

    def matmat(self, X):
        return self._A.matmat(X.real.copy()) + 1j * self._A.matmat(X.imag.copy())

    def rmatmat(self, Y):
        return self._A.rmatmat(Y.real.copy()) + 1j * self._A.rmatmat(Y.imag.copy())


def _densify(A):
    return A.toarray() if is_sparse(A) else Operator(A).matmat(np.eye(A.shape[1], dtype=A.dtype))


def lstsq_implicit(A, b, method, sketch, sketch_rows, oversampling, tol, maxiter, random_state,
                   rcond, damp, nnz_per_column, device):
    """lstsq for scipy.sparse and operator A (CPU)."""
    if device is not None and check_option(device, "device", DEVICES) == "cuda":
        raise ValueError("sparse and operator A are solved on the CPU only; use device='cpu'")
    single = _single_precision(A, b)
    n, d = A.shape
    rcond = _check_rcond(rcond, n, d)
    kind = check_option("sjlt" if sketch is None else sketch, "sketch", KINDS)
    damp = check_real(damp, "damp", low=0.0)
    if method == "auto":
        method = "precondition"
    fields, dense = _implicit(A, b, method, kind, sketch_rows, oversampling, tol, maxiter,
                              random_state, rcond, nnz_per_column, damp)
    if dense is not None:  # small enough to solve exactly (method="qr", or a failed sketch)
        res = lstsq(dense, b, method="qr", rcond=rcond, damp=damp)
        if fields is None:
            return res
        return dataclasses.replace(res, method=method, message=f"{res.message} by QR on the densified A: {fields}")
    return _finish(fields, b, single, method)

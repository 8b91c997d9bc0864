"""Fuzzing machinery shared by the hardening suites: valid input is answered
correctly, bad input gets a named error.

A *target* is one public entry point: a function ``build(draw) -> (args, call,
arrays, scalars, coupled, check)`` that draws a small, valid, well-posed problem
(a dict of named arguments); ``call(**args)`` runs the entry point and
``check(out, args)`` compares its answer with an independent reference
(NumPy, SciPy, scikit-learn, or the explicitly formed dense problem) and fails
when it is wrong. The fuzzer runs the valid problem, then spoils one argument
(wrong ndim, empty, NaN/Inf, another dtype, a strided or reversed view, a
mismatched shape, an odd scalar) and checks the contract:

- valid input (the drawn problem, a pure layout change of it: F order, strided
  or reversed view, the same values as a list, float32 values, and whatever the
  target lists in ``valid_values``) must not raise at all, and its answer must
  pass ``check``; a layout change must also give the plain C array's answer;
- other spoilings return or raise ValueError/TypeError/fastls.LinAlgError whose
  message names the spoiled argument; a returned answer to int/bool/object
  values must pass ``check`` on those values;
- a returned result with non-finite numbers came with a warning;
- spoilings that can have no answer (NaN, Inf, empty, mismatched, complex for a
  real routine, string) raise;
- no argument is modified, byte for byte.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
from hypothesis import strategies as st

import fastls

NAMED_ERRORS = (ValueError, TypeError, fastls.LinAlgError)

# Spoilings of an array argument and whether they must raise.
LAYOUT = ("fortran", "strided", "reversed")
VALUES = ("int", "bool", "float32", "object")  # object arrays of numbers may convert
MUST_RAISE = ("nan", "inf", "empty", "mismatch", "string")
MAYBE = ("ndim_up", "ndim_down", "complex", "none", "scalar", "list")
ARRAY_SPOILS = ("ok",) + LAYOUT + VALUES + MUST_RAISE + MAYBE

# Odd values for scalar options: none may crash or hang.
ODD_SCALARS = (-1, 0, 1, 2, 3, 2**31, 2**62, 10**30, -(2**62), 0.5, -0.5, 1e-300, 1e300,
               float("nan"), float("inf"), -float("inf"), True, None, "3", "bogus", [1], 1j,
               np.int64(2), np.float32(0.25))


def matrix(draw, shape, complex_=False):
    elems = st.floats(-4, 4, allow_nan=False, width=64)
    n = int(np.prod(shape))
    a = np.array(draw(st.lists(elems, min_size=n, max_size=n)), dtype=float).reshape(shape)
    if complex_:
        b = np.array(draw(st.lists(elems, min_size=n, max_size=n)), dtype=float).reshape(shape)
        a = a + 1j * b
    return a


def spoil(a, how: str, draw):
    """Return a spoiled version of the valid array ``a`` (never a view that aliases ``a``)."""
    a = np.array(a, copy=True)
    if how == "ok":
        return a
    if how == "fortran":
        return np.asfortranarray(a)
    if how == "strided":
        wide = np.repeat(a, 2, axis=-1) if a.ndim else a
        return wide[..., ::2] if a.ndim else wide
    if how == "reversed":  # same values through a negative-stride view
        rev = np.ascontiguousarray(a[::-1]) if a.ndim else a
        return rev[::-1] if a.ndim else rev
    if how == "int":
        return np.rint(a.real * 3).astype(np.int64)
    if how == "bool":
        return a.real > 0
    if how == "float32":
        return a.astype(np.float32) if a.dtype.kind != "c" else a.astype(np.complex64)
    if how in ("nan", "inf"):
        if a.size == 0:
            return a
        b = a.astype(np.result_type(a.dtype, np.float64))
        flat = b.reshape(-1)
        flat[draw(st.integers(0, flat.size - 1))] = np.nan if how == "nan" else np.inf
        return b
    if how == "empty":
        return a[:0] if a.ndim else np.empty(0)
    if how == "mismatch":
        return np.concatenate([a, a[:1]]) if a.ndim else a
    if how == "object":
        return a.astype(object)
    if how == "string":
        return a.astype(str)
    if how == "ndim_up":
        return a[..., None]
    if how == "ndim_down":
        return a.reshape(-1)[0] if a.ndim == 1 else a.reshape(a.shape[0], -1)[:, 0]
    if how == "complex":
        return a + 1j if a.dtype.kind != "c" else a.real
    if how == "none":
        return None
    if how == "scalar":
        return 1.5
    if how == "list":
        return a.tolist()
    raise AssertionError(how)


def snapshot(value):
    """A deep, comparable copy of every array reachable from an argument."""
    if isinstance(value, np.ndarray):
        return ("a", value.dtype.str, value.shape, value.strides,
                value.tolist() if value.dtype.kind == "O" else value.tobytes())
    if isinstance(value, (list, tuple)):
        return tuple(snapshot(v) for v in value)
    if hasattr(value, "toarray"):  # scipy.sparse
        return ("s", value.format, snapshot(value.data), snapshot(getattr(value, "indices", None)))
    return ("v", repr(value))


def names(message: str, arg: str) -> bool:
    base = arg.split("[")[0]
    forms = {base, base[:-1]} if base.endswith("s") and len(base) > 3 else {base}  # "factor rows"
    return any(re.search(rf"(?<![A-Za-z_]){re.escape(f)}(?![A-Za-z_])", message) is not None
               for f in forms)


def _finite(out) -> bool:
    x = getattr(out, "x", out)
    if isinstance(x, tuple):
        return all(_finite(v) for v in x)
    try:
        arr = np.asarray(x)
    except Exception:  # noqa: BLE001 - estimators and the like
        return True
    return arr.dtype.kind not in "fc" or bool(np.isfinite(arr).all())


# Spoilings that keep a valid problem valid and well-posed (same values, or
# the same values rounded to float32): these must be answered, and correctly.
ALWAYS_VALID = ("ok",) + LAYOUT + ("list", "float32")


def run_case(call, args: dict, spoiled: str | None, how: str, reference=None, coupled=(),
             ref_error=None, must_name=True, related=(), check=None, valid=False):
    """Call, and check the contract. Returns the result (or None when it raised).

    coupled: the arguments whose length must match another's ("mismatch" must raise).
    ref_error: the exception type the unspoiled call raised, if any. A
    fastls.LinAlgError (numerical breakdown: singular, not identifiable) need
    not name an argument, but a pure layout change must not cause one.
    related: other options the message may name instead (a count that no longer
    fits another one: n=1 makes sketch_rows=2 the culprit).
    must_name=False for scikit-learn estimators: their input errors keep
    scikit-learn's own wording ("Found array with dim 3 ..."), the convention
    their users know.
    check: check(out, args) compares a returned answer with an independent reference.
    valid: the input is valid and well-posed: any exception fails the test.
    """
    before = {k: snapshot(v) for k, v in args.items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if valid:
            try:
                out = call(**args)
            except Exception as exc:  # noqa: BLE001 - valid input must be answered
                raise AssertionError(f"valid input ({spoiled}={how}) raised "
                                     f"{type(exc).__name__}: {exc}") from exc
            err = None
        else:
            try:
                out = call(**args)
            except NAMED_ERRORS as exc:
                out, err = None, exc
            else:
                err = None
    for k, v in args.items():
        assert snapshot(v) == before[k], f"{k} was modified in place ({how})"
    run_case.last_error = None if err is None else type(err)
    if err is not None:
        msg = str(err)
        assert msg, f"{type(err).__name__} without a message ({spoiled}={how})"
        if isinstance(err, fastls.LinAlgError):
            assert how not in LAYOUT or ref_error is fastls.LinAlgError, \
                f"{spoiled}={how} broke a problem the C-ordered input solves: {msg}"
        elif spoiled is not None and how != "ok" and must_name:
            assert names(msg, spoiled) or any(names(msg, r) for r in related), \
                f"error does not name {spoiled!r} ({how}): {type(err).__name__}: {msg}"
        return None
    # scikit-learn estimators (must_name=False) follow scikit-learn's input
    # conventions, which convert arrays of numeric strings: then the answer is checked.
    sklearn_string = how == "string" and not must_name
    must = how in MUST_RAISE and (how != "mismatch" or spoiled in coupled) and not sklearn_string
    assert not must, f"{spoiled}={how} was accepted"
    if not _finite(out):
        assert caught, f"non-finite result without a warning ({spoiled}={how})"
    if check is not None and (valid or how in VALUES or sklearn_string):
        check(out, args)
    if reference is not None and how in LAYOUT:
        reference(out)
    return out


def _close(ref):
    """A reference check: the spoiled-layout answer equals the plain one."""
    def check(out):
        if ref is None or not getattr(ref, "success", True):
            return
        x, x0 = (np.asarray(getattr(v, "x", getattr(v, "coef_", v))) for v in (out, ref))
        scale = max(1.0, float(np.abs(x0).max(initial=0.0)))
        np.testing.assert_allclose(x, x0, rtol=1e-7, atol=1e-8 * scale)
    return check


def fuzz_one(data, build, must_name=True, valid_values=()):
    """One case: draw a valid problem from ``build``, check its answer, then spoil one argument.

    valid_values: value spoilings ("int", "bool") after which the target's input is
    still valid and well-posed (e.g. any finite real A for lstsq): they must be answered.
    """
    args, call, arrays, scalars, coupled, check = build(data.draw)
    assert callable(check), "every fuzz target compares valid answers with a reference"
    ref = run_case(call, args, None, "ok", check=check, valid=True)
    choices = [("array", a) for a in arrays] + [("scalar", s) for s in scalars]
    if not choices:
        return
    what, arg = data.draw(st.sampled_from(choices))
    if what == "array":
        how = data.draw(st.sampled_from(ARRAY_SPOILS))
        bad = {**args, arg: spoil(args[arg], how, data.draw)}
        run_case(call, bad, arg, how, reference=_close(ref), coupled=coupled, ref_error=None,
                 must_name=must_name, check=check,
                 valid=how in ALWAYS_VALID or how in valid_values)
    else:
        value = data.draw(st.sampled_from(ODD_SCALARS))
        run_case(call, {**args, arg: value}, arg, f"scalar {value!r}", related=scalars,
                 must_name=must_name)


# ------------------------------------------------------------------ references
# Helpers the targets' checks share. Tolerances are backward-error bounds:
# tau is the relative perturbation of (A, b) that the answer may be exact for.

EPS = np.finfo(np.float64).eps


def unit_roundoff(*values) -> float:
    """eps of the least precise floating array among ``values`` (float32 results: 1.2e-7)."""
    eps = EPS
    for v in values:
        a = np.asarray(v)
        if a.dtype.kind in "fc":
            eps = max(eps, float(np.finfo(a.dtype).eps))
    return eps


def spectrum_matrix(rng, n, d, cond, complex_=False):
    """n x d matrix, full rank min(n, d), singular values log-spaced from 1 to 1/cond."""
    p = min(n, d)

    def orth(k):
        g = rng.standard_normal((k, p))
        if complex_:
            g = g + 1j * rng.standard_normal((k, p))
        return np.linalg.qr(g)[0]
    return (orth(n) * np.logspace(0, -np.log10(cond), p)) @ orth(d).conj().T


def as_float(a):
    a = np.asarray(a)
    return a.astype(np.complex128 if a.dtype.kind == "c" else np.float64)


def assert_least_squares(A, b, x, tau, what="x"):
    """x minimises ||A x - b|| (per column of b) up to a backward error tau.

    Reference: numpy.linalg.lstsq. For the exact minimiser of a problem perturbed
    by tau ||A|| and tau ||b||: ||A^T r|| <= 2 tau ||A|| (||A|| ||x|| + ||b||) and
    ||r|| <= ||r_numpy|| + tau (||A|| ||x|| + ||b||). Both hold for rank-deficient
    A too; together they pin x down to cond(A)^2 tau for full-rank A.
    """
    A = as_float(A)
    B = as_float(b).reshape(A.shape[0], -1)
    X = as_float(x).reshape(A.shape[1], -1)
    X_np = np.linalg.lstsq(A, B, rcond=None)[0]
    nA = np.linalg.norm(A, 2)
    tiny = 1e3 * np.finfo(float).tiny
    for j in range(B.shape[1]):
        r = B[:, j] - A @ X[:, j]
        r_np = B[:, j] - A @ X_np[:, j]
        scale = nA * np.linalg.norm(X[:, j]) + np.linalg.norm(B[:, j])
        ne = np.linalg.norm(A.conj().T @ r)
        assert ne <= 2 * tau * nA * scale + tiny, \
            f"{what}: normal equations ||A^T r|| = {ne:.3e} > {2 * tau * nA * scale:.3e} (tau {tau:.1e})"
        rn, rn_np = np.linalg.norm(r), np.linalg.norm(r_np)
        assert rn <= rn_np + tau * scale + tiny, \
            f"{what}: residual {rn:.6e} > numpy's {rn_np:.6e} + {tau * scale:.1e}"


def assert_min_norm(A, x, tau, what="x"):
    """x has no component in the null space of A (minimum-norm solution), where
    that null space is clearly determined (a gap of 1e3 around numpy's cut-off)."""
    A = as_float(A)
    X = as_float(x).reshape(A.shape[1], -1)
    _, s, Vh = np.linalg.svd(A)
    cut = max(A.shape) * EPS * (s[0] if s.size else 0.0)
    if s.size and np.any((s > cut / 1e3) & (s < cut * 1e3)):
        return  # rank not clear-cut: numpy's and any other rank rule may differ
    r = int((s > cut).sum())
    null = Vh[r:].conj().T
    if null.shape[1] == 0:
        return
    kappa = s[0] / s[r - 1] if r else 1.0
    for j in range(X.shape[1]):
        off = np.linalg.norm(null.conj().T @ X[:, j])
        assert off <= 10 * tau * kappa * np.linalg.norm(X[:, j]) + 1e-300, \
            f"{what}: not the minimum-norm solution (null-space part {off:.3e})"

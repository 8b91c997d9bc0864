"""Sparse (scipy.sparse) and operator (LinearOperator) input for fastls.sketch and
fastls.lstsq, checked against the same problem densified: sketch_matrix(...) @ A.toarray()
to rounding, and numpy.linalg.lstsq (ridge: on the stacked [A; damp I]).

Tolerances: sketches are sums of at most nnz(column) terms of size ~1, so 1e-13
absolute; LSQR answers run to tol=1e-12 on a problem of condition ~1e3-1e4
(columns scaled 1..1e3), so 1e-8 relative to ||x|| leaves a wide margin over the
~1e-12 * cond error they reach."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator, aslinearoperator

import fastls
from fastls.sketching import KINDS


def tall(n=3000, d=40, density=0.05, seed=1, dtype=np.float64):
    A = sp.random(n, d, density=density, format="csr", random_state=seed, dtype=dtype)
    return sp.csr_matrix(A @ sp.diags(np.logspace(0, 3, d)))  # columns scaled 1..1e3


def formats(A):
    """CSR, CSC, COO, sparse arrays; int32 and int64 indices; unsorted with duplicates."""
    out = {"csr": A.tocsr(), "csc": A.tocsc(), "coo": A.tocoo(), "csr_array": sp.csr_array(A),
           "csc_array": sp.csc_array(A)}
    B = A.tocsr().copy()
    B.indices, B.indptr = B.indices.astype(np.int64), B.indptr.astype(np.int64)
    out["csr64"] = B
    C = A.tocsc().copy()
    C.indices, C.indptr = C.indices.astype(np.int64), C.indptr.astype(np.int64)
    out["csc64"] = C
    # Duplicates (every entry split in halves) and reversed (unsorted) indices.
    coo = A.tocoo()
    dup = sp.coo_matrix((np.r_[coo.data / 2, coo.data / 2][::-1], (np.r_[coo.row, coo.row][::-1],
                                                                   np.r_[coo.col, coo.col][::-1])),
                        shape=A.shape)
    out["coo_duplicates"] = dup
    unsorted = sp.csr_matrix((dup.data, (dup.row, dup.col)), shape=A.shape)  # sums duplicates
    unsorted.has_sorted_indices = False
    for i in range(unsorted.shape[0]):  # reverse each row's entries
        lo, hi = unsorted.indptr[i], unsorted.indptr[i + 1]
        unsorted.indices[lo:hi] = unsorted.indices[lo:hi][::-1].copy()
        unsorted.data[lo:hi] = unsorted.data[lo:hi][::-1].copy()
    out["csr_unsorted"] = unsorted
    return out


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", ["csr", "csc", "coo", "csr_array", "csc_array", "csr64", "csc64",
                                 "coo_duplicates", "csr_unsorted"])
def test_sketch_sparse_equals_explicit(kind, fmt):
    A = tall(500, 7, density=0.1)
    As = formats(A)[fmt]
    before = As.copy()
    S = fastls.sketch_matrix(500, 40, kind=kind, random_state=3)
    SA = fastls.sketch(As, 40, kind=kind, random_state=3)
    np.testing.assert_allclose(SA, S @ A.toarray(), rtol=0, atol=1e-13 * abs(A).max())
    assert (As != before).nnz == 0  # never modified


def test_csr_with_stored_duplicates():
    """A CSR holding duplicate (row, col) entries sums them, as SciPy does."""
    A = sp.csr_matrix((np.array([1.0, 2.0, 3.0]), np.array([0, 0, 1]), np.array([0, 2, 3, 3])), shape=(3, 2))
    assert not A.has_canonical_format
    for kind in KINDS:
        S = fastls.sketch_matrix(3, 2, kind=kind, random_state=0)
        np.testing.assert_allclose(fastls.sketch(A, 2, kind=kind, random_state=0), S @ A.toarray(),
                                   atol=1e-14)


@pytest.mark.parametrize("kind", KINDS)
def test_sketch_operator_and_complex(kind):
    A = tall(400, 6, density=0.1)
    S = fastls.sketch_matrix(400, 30, kind=kind, random_state=5)
    ref = S @ A.toarray()
    np.testing.assert_allclose(fastls.sketch(aslinearoperator(A), 30, kind=kind, random_state=5), ref,
                               atol=1e-12)
    # Only matvec/rmatvec (no matmat): one product per column.
    op = LinearOperator(A.shape, matvec=lambda x: A @ x, rmatvec=lambda y: A.T @ y, dtype=float)
    np.testing.assert_allclose(fastls.sketch(op, 30, kind=kind, random_state=5), ref, atol=1e-12)
    Ac = A + 1j * tall(400, 6, density=0.1, seed=9)
    np.testing.assert_allclose(fastls.sketch(sp.csr_matrix(Ac), 30, kind=kind, random_state=5),
                               S @ Ac.toarray(), atol=1e-12)


def test_sketch_sparse_bad_input():
    with pytest.raises(ValueError, match="finite"):
        fastls.sketch(sp.csr_matrix(np.array([[np.nan], [1.0]])), 1, kind="sjlt")
    with pytest.raises(ValueError, match="sketch_rows"):
        fastls.sketch(tall(50, 3), 51)


def inputs(A):
    return {"csr": A.tocsr(), "csc": A.tocsc(), "coo": A.tocoo(), "operator": aslinearoperator(A),
            "matvec_only": LinearOperator(A.shape, matvec=lambda x: A @ x, rmatvec=lambda y: A.conj().T @ y,
                                          dtype=A.dtype)}


def dense_ref(A, B, damp=0.0):
    Ad = A.toarray()
    if damp:
        Ad = np.vstack([Ad, damp * np.eye(Ad.shape[1])])
        B = np.concatenate([B, np.zeros((Ad.shape[1],) + B.shape[1:])])
    return np.linalg.lstsq(Ad, B, rcond=None)[0]


def close(x, ref, rtol=1e-8):
    assert np.linalg.norm(x - ref) <= rtol * np.linalg.norm(ref), np.linalg.norm(x - ref) / np.linalg.norm(ref)


@pytest.mark.parametrize("name", ["csr", "csc", "coo", "operator", "matvec_only"])
@pytest.mark.parametrize("method", ["precondition", "auto"])
def test_lstsq_sparse_matches_numpy(name, method):
    A = tall()
    rng = np.random.default_rng(0)
    B = rng.standard_normal((A.shape[0], 3))
    res = fastls.lstsq(inputs(A)[name], B, method=method, random_state=0)
    assert res.method == "precondition" and res.success and res.status == fastls.LstsqStatus.CONVERGED
    assert res.sketch == "sjlt"  # the default for sparse and operator A
    close(res.x, dense_ref(A, B))
    assert np.all(res.normal_residual <= fastls.linalg.optimality_limit(1e-12, *A.shape))
    np.testing.assert_allclose(res.residual_norm, np.linalg.norm(B - A @ res.x, axis=0), rtol=1e-10)
    r1 = fastls.lstsq(inputs(A)[name], B[:, 0], method=method, random_state=0)
    assert r1.x.shape == (A.shape[1],) and isinstance(r1.residual_norm, float)


@pytest.mark.parametrize("kind", KINDS)
def test_lstsq_sparse_every_sketch_kind(kind):
    A = tall(1500, 20)
    b = np.random.default_rng(1).standard_normal(1500)
    res = fastls.lstsq(A, b, method="precondition", sketch=kind, random_state=0)
    assert res.success
    close(res.x, dense_ref(A, b))


def test_lstsq_sparse_sketch_and_solve_equals_dense_path():
    """method="sketch": the same S, so the same x' as the dense path (and error bars)."""
    A = tall(2000, 10)
    b = A @ np.ones(10) + 1e-3 * np.random.default_rng(2).standard_normal(2000)
    dense = fastls.lstsq(A.toarray(), b, method="sketch", sketch="gaussian", sketch_rows=200, random_state=4)
    for inp in (A, aslinearoperator(A)):
        res = fastls.lstsq(inp, b, method="sketch", sketch="gaussian", sketch_rows=200, random_state=4)
        np.testing.assert_allclose(res.x, dense.x, rtol=1e-9)
        np.testing.assert_allclose(res.coordinate_error, dense.coordinate_error, rtol=1e-9)


def test_lstsq_sparse_qr():
    A = tall(500, 8)
    b = np.random.default_rng(3).standard_normal(500)
    for inp in (A, aslinearoperator(A)):
        res = fastls.lstsq(inp, b, method="qr")
        assert res.method == "qr"
        close(res.x, dense_ref(A, b), 1e-12)
    big = sp.random(2**20, 8, density=1e-5, format="csr", random_state=0)
    with pytest.raises(ValueError, match="precondition"):
        fastls.lstsq(big, np.ones(2**20), method="qr")


@pytest.mark.parametrize("name", ["csr", "csc", "operator"])
@pytest.mark.parametrize("damp", [0.5, 30.0])
def test_lstsq_sparse_ridge(name, damp):
    A = tall(2000, 30)
    B = np.random.default_rng(4).standard_normal((2000, 2))
    res = fastls.lstsq(inputs(A)[name], B, damp=damp, random_state=0)
    assert res.success
    close(res.x, dense_ref(A, B, damp))
    np.testing.assert_allclose(res.residual_norm, np.linalg.norm(B - A @ res.x, axis=0), rtol=1e-10)


@pytest.mark.parametrize("name", ["csr", "csc", "operator"])
def test_lstsq_sparse_wide_minimum_norm(name):
    A = sp.random(40, 600, density=0.05, format="csr", random_state=2)
    b = np.random.default_rng(5).standard_normal(40)
    res = fastls.lstsq(inputs(A)[name], b, random_state=0)
    assert res.success and res.rank == 40
    close(res.x, dense_ref(A, b))
    # Ridge on wide A: still the stacked system's solution.
    close(fastls.lstsq(inputs(A)[name], b, damp=0.3, random_state=0).x, dense_ref(A, b, 0.3))


@pytest.mark.parametrize("name", ["csr", "operator"])
@pytest.mark.parametrize("wide", [False, True])
def test_lstsq_sparse_rank_deficient_minimum_norm(name, wide):
    C = sp.csr_matrix(sp.random(1500, 8, density=0.3, random_state=3) @ sp.random(8, 25, density=0.6, random_state=4))
    if wide:
        C = C.T.tocsr()
    b = np.random.default_rng(6).standard_normal(C.shape[0])
    res = fastls.lstsq(inputs(C)[name], b, random_state=0)
    assert res.success and res.rank == 8 and "rank deficient" in res.message
    assert res.status == fastls.LstsqStatus.CONVERGED  # b is not in range(A)
    close(res.x, dense_ref(C, b))


@pytest.mark.parametrize("name", ["csr", "operator"])
def test_lstsq_sparse_complex(name):
    A = sp.csr_matrix(tall(2000, 15) + 1j * tall(2000, 15, seed=8))
    rng = np.random.default_rng(7)
    b = rng.standard_normal(2000) + 1j * rng.standard_normal(2000)
    res = fastls.lstsq(inputs(A)[name], b, random_state=0)
    assert res.success and res.x.dtype == np.complex128 and res.rank == 15
    close(res.x, dense_ref(A, b))
    # real A, complex b
    Ar = tall(2000, 15)
    close(fastls.lstsq(inputs(Ar)[name], b, random_state=0).x, dense_ref(Ar, b))


def test_lstsq_sparse_single_precision_and_errors():
    A = tall(2000, 10).astype(np.float32)
    b = np.ones(2000, dtype=np.float32)
    res = fastls.lstsq(A, b, random_state=0)
    assert res.x.dtype == np.float32
    with pytest.raises(ValueError, match="rows"):
        fastls.lstsq(A, np.ones(5))
    with pytest.raises(ValueError, match="CPU"):
        fastls.lstsq(A, b, device="cuda")


def test_lstsq_sparse_does_not_densify(monkeypatch):
    """The sketch methods never call toarray/todense on sparse A."""
    A = tall(3000, 20)

    def boom(*a, **k):
        raise AssertionError("densified")
    for cls in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        monkeypatch.setattr(cls, "toarray", boom)
        monkeypatch.setattr(cls, "todense", boom)
    res = fastls.lstsq(A, np.ones(3000), random_state=0)
    assert res.success


def test_lstsq_operator_error_propagates():
    def bad(x):
        raise RuntimeError("product failed")
    op = LinearOperator((200, 5), matvec=bad, rmatvec=bad, dtype=float)
    with pytest.raises(RuntimeError, match="product failed"):
        fastls.lstsq(op, np.ones(200), random_state=0)

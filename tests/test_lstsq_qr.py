"""fastls.lstsq(method="qr") against numpy.linalg.lstsq."""
import numpy as np
import pytest

import fastls
from conftest import svd_matrix


def test_well_conditioned_tall(rng):
    A = rng.standard_normal((300, 20))
    b = rng.standard_normal(300)
    res = fastls.lstsq(A, b, method="qr")
    x_np, resid_np, rank_np, s_np = np.linalg.lstsq(A, b, rcond=None)
    # cond(A) ~ 1.5, so both solutions agree to a few ulps of ||x||.
    np.testing.assert_allclose(res.x, x_np, rtol=0, atol=1e-13 * np.linalg.norm(x_np))
    assert res.rank == rank_np == 20
    np.testing.assert_allclose(res.singular_values, s_np, rtol=1e-13)
    np.testing.assert_allclose(res.residual_norm**2, resid_np[0], rtol=1e-12)
    assert res.success and res.status == fastls.LstsqStatus.SOLVED and res.nit == 0


def test_ill_conditioned_optimality(rng):
    """cond = 1e10: compare what backward-stable solvers can promise."""
    m, n, cond = 400, 30, 1e10
    A = svd_matrix(m, n, cond, rng)
    x_true = rng.standard_normal(n)
    b = A @ x_true + 1e-3 * rng.standard_normal(m)
    res = fastls.lstsq(A, b)
    x_np = np.linalg.lstsq(A, b, rcond=None)[0]
    r = b - A @ res.x
    # Residual optimality: ||A^T r|| <= c * eps * ||A|| (||A|| ||x|| + ||b||) ... scaled.
    eps = np.finfo(float).eps
    scale = np.linalg.norm(A, 2) * (np.linalg.norm(A, 2) * np.linalg.norm(res.x) + np.linalg.norm(b))
    assert np.linalg.norm(A.T @ r) <= 100 * eps * scale
    # Forward error agrees with numpy's up to the condition number times eps.
    assert np.linalg.norm(res.x - x_np) / np.linalg.norm(x_np) <= 100 * cond * eps
    # Residual norms agree closely (the residual is well conditioned).
    assert abs(np.linalg.norm(r) - np.linalg.norm(b - A @ x_np)) <= 1e-8 * np.linalg.norm(b)


@pytest.mark.parametrize("shape", [(50, 10), (10, 50), (20, 20)])
def test_rank_deficient_minimum_norm(rng, shape):
    m, n = shape
    A = svd_matrix(m, n, 10.0, rng, rank=4)
    b = rng.standard_normal(m)
    res = fastls.lstsq(A, b)
    x_np, _, rank_np, s_np = np.linalg.lstsq(A, b, rcond=None)
    assert res.rank == rank_np == 4
    np.testing.assert_allclose(res.x, x_np, atol=1e-12 * np.linalg.norm(x_np))
    np.testing.assert_allclose(res.singular_values[:4], s_np[:4], rtol=1e-12)


def test_duplicated_columns(rng):
    A = rng.standard_normal((40, 3))
    A = np.column_stack([A, A[:, 0]])  # exactly collinear
    b = rng.standard_normal(40)
    res = fastls.lstsq(A, b)
    x_np, _, rank_np, _ = np.linalg.lstsq(A, b, rcond=None)
    assert res.rank == rank_np == 3
    np.testing.assert_allclose(res.x, x_np, atol=1e-12)
    assert res.x[0] == pytest.approx(res.x[3], rel=1e-10)  # minimum norm splits evenly


def test_underdetermined_is_exact_and_minimum_norm(rng):
    A = rng.standard_normal((8, 30))
    b = rng.standard_normal(8)
    res = fastls.lstsq(A, b)
    np.testing.assert_allclose(A @ res.x, b, atol=1e-12)
    np.testing.assert_allclose(res.x, np.linalg.pinv(A) @ b, atol=1e-12)


def test_multiple_rhs(rng):
    A = rng.standard_normal((60, 7))
    B = rng.standard_normal((60, 3))
    res = fastls.lstsq(A, B)
    x_np, resid_np, _, _ = np.linalg.lstsq(A, B, rcond=None)
    assert res.x.shape == (7, 3) and res.residual_norm.shape == (3,)
    np.testing.assert_allclose(res.x, x_np, atol=1e-13)
    np.testing.assert_allclose(res.residual_norm**2, resid_np, rtol=1e-12)


def test_layouts_and_dtypes_give_same_answer(rng):
    A = rng.standard_normal((80, 6))
    b = rng.standard_normal(80)
    ref = fastls.lstsq(A, b).x
    big = rng.standard_normal((160, 12))
    big[::2, ::2] = A
    for variant in (np.asfortranarray(A), big[::2, ::2], A[::-1][::-1]):
        np.testing.assert_allclose(fastls.lstsq(variant, b).x, ref, rtol=1e-13, atol=1e-15)
    Ai = rng.integers(-5, 5, (80, 6))
    np.testing.assert_allclose(fastls.lstsq(Ai, b).x, np.linalg.lstsq(Ai.astype(float), b)[0],
                               atol=1e-12)
    np.testing.assert_allclose(fastls.lstsq(A.astype(np.float32), b).x,
                               np.linalg.lstsq(A.astype(np.float32).astype(float), b)[0], atol=1e-12)


def test_inputs_unchanged(rng):
    A = rng.standard_normal((30, 4))
    b = rng.standard_normal(30)
    A0, b0 = A.copy(), b.copy()
    fastls.lstsq(A, b)
    fastls.lstsq(np.asfortranarray(A), b)
    assert np.array_equal(A, A0) and np.array_equal(b, b0)


def test_rcond(rng):
    A = svd_matrix(30, 5, 1e6, rng)
    b = rng.standard_normal(30)
    res = fastls.lstsq(A, b, rcond=1e-3)
    x_np, _, rank_np, _ = np.linalg.lstsq(A, b, rcond=1e-3)
    assert res.rank == rank_np
    np.testing.assert_allclose(res.x, x_np, atol=1e-10)


def test_zero_rhs_and_one_by_one():
    res = fastls.lstsq(np.ones((5, 2)) + np.eye(5, 2), np.zeros(5))
    assert np.array_equal(res.x, np.zeros(2)) and res.residual_norm == 0.0
    res = fastls.lstsq([[2.0]], [4.0])
    assert res.x[0] == pytest.approx(2.0) and res.rank == 1


def test_repr_is_readable(rng):
    text = repr(fastls.lstsq(rng.standard_normal((10, 2)), rng.standard_normal(10)))
    assert "LstsqResult(" in text and "status: LstsqStatus.SOLVED" in text

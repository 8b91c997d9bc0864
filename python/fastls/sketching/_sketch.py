"""Implementation of :mod:`fastls.sketching` (private: import from the package)."""
from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from fastls import _core
from fastls._validation import as_array, check_int, check_option, native_seed, require_finite

__all__ = ["sketch", "sketch_matrix", "KINDS"]

Kind = _core.sketch.Kind
KINDS = tuple(Kind.__members__)  # the names live once, in the C++ enum (sketch::Kind)
DEFAULT_SJLT_NNZ = 8


def native(cls, **fields):
    """An instance of a bound option struct (fastls._core) with the given fields set."""
    obj = cls()
    for name, value in fields.items():
        setattr(obj, name, value)
    return obj


def make_spec(kind: str, sketch_rows: int, seed: int, nnz: int = 1, row_offset: int = 0):
    """The kernel's sketch::Spec for a kind already checked against KINDS."""
    return native(_core.sketch.Spec, kind=Kind[kind], rows=sketch_rows, seed=seed,
                  nnz_per_column=nnz, row_offset=row_offset)


def _nnz(kind: str, nnz_per_column, sketch_rows: int) -> int:
    if nnz_per_column is None:
        return min(DEFAULT_SJLT_NNZ, sketch_rows) if kind == "sjlt" else 1
    if kind not in ("sjlt", "countsketch"):
        raise ValueError(f"nnz_per_column applies to kind='sjlt' only, not {kind!r}")
    nnz = check_int(nnz_per_column, "nnz_per_column", low=1, high=sketch_rows)
    if kind == "countsketch" and nnz != 1:
        raise ValueError("nnz_per_column must be 1 for kind='countsketch' (use kind='sjlt')")
    return nnz


def check_sketch_rows(sketch_rows, n: int) -> int:
    return check_int(sketch_rows, "sketch_rows", low=1, high=n)


# --------------------------------------------------------------- implicit A

def is_sparse(A) -> bool:
    import scipy.sparse
    return scipy.sparse.issparse(A)


def is_operator(A) -> bool:
    """Anything with matvec, rmatvec and a 2-D shape (scipy.sparse.linalg.LinearOperator and
    look-alikes) that is neither an ndarray nor a scipy.sparse array."""
    return (not isinstance(A, np.ndarray) and not is_sparse(A) and hasattr(A, "matvec")
            and hasattr(A, "rmatvec") and hasattr(A, "shape"))


def is_implicit(A) -> bool:
    return is_sparse(A) or is_operator(A)


def canonical_sparse(A, name: str = "A"):
    """A scipy.sparse CSR or CSC array/matrix with float64 (or complex128) data and one index
    dtype (int32 or int64), ready for the kernels; at most one copy (COO and other formats
    become CSR, SciPy summing duplicates; unsorted indices and duplicates in CSR/CSC stay:
    every kernel sums stored entries). Never modifies A."""
    if A.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got a sparse array of shape {A.shape}")
    kind = A.dtype.kind
    if kind not in "biufc":
        raise TypeError(f"{name} must be numeric, got dtype {A.dtype}")
    dtype = np.complex128 if kind == "c" else np.float64
    copied = A.format not in ("csr", "csc")
    if copied:
        A = A.tocsr()
    index = np.result_type(A.indptr.dtype, A.indices.dtype)
    if A.data.dtype != dtype or A.indptr.dtype != A.indices.dtype or index not in (np.int32, np.int64) \
            or not all(a.flags.c_contiguous for a in (A.data, A.indices, A.indptr)):
        index = np.int32 if index == np.int32 else np.int64
        B = A if copied else A.copy()  # the one copy; its arrays are ours to convert
        B.data = np.ascontiguousarray(B.data, dtype=dtype)
        B.indices = np.ascontiguousarray(B.indices, dtype=index)
        B.indptr = np.ascontiguousarray(B.indptr, dtype=index)
        A = B
    if not np.isfinite(A.data).all():
        raise ValueError(f"{name} must be finite, but contains {'NaN' if np.isnan(A.data).any() else 'Inf'}")
    return A


def sketch_sparse(A, spec, transpose: bool = False) -> np.ndarray:
    """S A (or S A^T) for canonical sparse A by the C++ kernel (complex: both parts)."""
    if A.dtype.kind == "c":  # a real S: S A = S Re(A) + i S Im(A)
        re, im = (_core.sketch.apply_sparse(canonical_sparse(P), spec, transpose)
                  for P in (A.real, A.imag))
        return re + 1j * im
    return _core.sketch.apply_sparse(A, spec, transpose)


class Operator:
    """A known through products: matvec/rmatvec (rmatvec = A^H), matmat/rmatmat when present."""

    def __init__(self, A, name: str = "A"):
        shape = tuple(A.shape)
        if len(shape) != 2 or min(shape) < 0:
            raise ValueError(f"{name} must be 2-D, got an operator of shape {shape}")
        self.shape = tuple(int(s) for s in shape)
        dtype = getattr(A, "dtype", None)
        dtype = np.dtype(np.float64 if dtype is None else dtype)
        self.dtype = np.dtype(np.complex128 if dtype.kind == "c" else np.float64)
        self._A = A

    def matmat(self, X):
        return self._products(X, "matmat", "matvec", self.shape[0])

    def rmatmat(self, Y):
        return self._products(Y, "rmatmat", "rmatvec", self.shape[1])

    def _products(self, X, block, single, rows):
        X = np.asarray(X)
        if X.shape[1] == 0:
            return np.zeros((rows, 0), dtype=self.dtype)
        f = getattr(self._A, block, None)
        if f is not None:
            out = np.asarray(f(X))
        else:
            g = getattr(self._A, single)
            out = np.column_stack([np.asarray(g(X[:, j])).reshape(-1) for j in range(X.shape[1])])
        out = out.reshape(rows, X.shape[1])
        if not np.isfinite(out).all():
            raise ValueError("A's product returned NaN or Inf")
        return out


_BLOCK_ENTRIES = 2**22  # rows of S generated per block, times n: 32 MiB


def sketch_operator(op: Operator, spec, transpose: bool = False) -> np.ndarray:
    """S A (or S A^T) of an operator, from d products (the fast kinds) or m.

    SRHT, SJLT, CountSketch: A's columns in blocks, A[:, J] = A I[:, J] (d
    products with A in all), each block sketched by the dense kernel, whose cost
    is small next to a product. Gaussian and Rademacher, whose dense sketch of
    n x d would cost n d m: S A = (A^H S^T)^H in row blocks of S (m products
    with A^H).
    """
    n, d = op.shape[::-1] if transpose else op.shape
    m = spec.rows
    out = np.empty((m, d), dtype=op.dtype)
    if spec.kind not in (_core.sketch.Kind.gaussian, _core.sketch.Kind.rademacher):
        block = max(1, min(d, _BLOCK_ENTRIES // max(n, 1)))
        empty = np.empty((n, 0), order="F")
        for j0 in range(0, d, block):
            eye = np.zeros((d, min(block, d - j0)), dtype=op.dtype)
            eye[np.arange(j0, j0 + eye.shape[1]), np.arange(eye.shape[1])] = 1
            cols = op.rmatmat(eye) if transpose else op.matmat(eye)  # n x block
            parts = [cols.real, cols.imag] if op.dtype.kind == "c" else [cols]
            SA = [_core.sketch.apply(np.asfortranarray(p, dtype=np.float64), empty, spec)[0] for p in parts]
            out[:, j0:j0 + eye.shape[1]] = SA[0] if len(SA) == 1 else SA[0] + 1j * SA[1]
        return out
    block = max(1, min(m, _BLOCK_ENTRIES // max(n, 1)))
    for t0 in range(0, m, block):
        St = _core.sketch.explicit_rows(n, t0, min(block, m - t0), spec).T  # n x block, real
        out[t0:t0 + St.shape[1]] = (op.matmat(St) if transpose else op.rmatmat(St)).conj().T
    return out


def as_implicit(A, name: str = "A"):
    """Canonical sparse A or an Operator."""
    return canonical_sparse(A, name) if is_sparse(A) else Operator(A, name)


def sketch(A: ArrayLike, sketch_rows: int, *, kind: str = "srht",
           random_state: int | np.random.Generator | None = None,
           nnz_per_column: int | None = None, device: str | None = None) -> np.ndarray:
    """Return S A for a random m x n sketch S (m = sketch_rows), E[S^T S] = I.

    Parameters
    ----------
    A : (n,) or (n, d) array_like, scipy.sparse array or matrix, LinearOperator, or a CuPy array
        Real or complex (a real S sketches both parts); computed in float64.
        C order is fastest for "srht" on the CPU (rows are contiguous for its
        butterflies); F order is used without a
        copy too. A CuPy array is sketched on its GPU and a CuPy array returned.
        Sparse A (CSR, CSC, COO...; int32 or int64 indices) is never
        densified: CSR and CSC are read in place (COO and other formats are
        converted to CSR once, duplicates summed); "sjlt" and "countsketch"
        cost O(nnz), the dense kinds O(nnz m). An operator (anything with
        ``matvec`` and ``rmatvec``, e.g. scipy.sparse.linalg.LinearOperator)
        is sketched from d products with A (its columns, ``matmat`` on blocks
        of the identity when it has one) for "srht", "sjlt" and "countsketch",
        and from m products with A^H (``rmatmat`` on blocks of S^T) for
        "gaussian" and "rademacher".
    sketch_rows : int
        m, with 1 <= m <= n.
    kind : {"srht", "gaussian", "rademacher", "countsketch", "sjlt"}
    random_state : None, int or numpy.random.Generator
        An int is the Philox key itself: the same int gives the same S in every
        call, process and backend (CPU and GPU give bitwise the same S).
    nnz_per_column : int, optional
        Nonzeros per column for "sjlt" (default 8).
    device : {"cpu", "cuda", "auto"}, optional
        Default: the FASTLS_DEVICE environment variable, else "auto" (the GPU
        for gaussian/rademacher/srht when one is present and A has at least
        2^24 entries).

    Returns
    -------
    (m,) or (m, d) ndarray (CuPy array for CuPy input)

    Examples
    --------
    >>> import numpy as np
    >>> import fastls
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((200, 5))
    >>> SA = fastls.sketch(A, 20, kind="gaussian", random_state=0)
    >>> SA.shape
    (20, 5)

    The same int seed gives the same S in every call:

    >>> np.array_equal(SA, fastls.sketch(A, 20, kind="gaussian", random_state=0))
    True

    Sparse A is sketched without densifying it:

    >>> import scipy.sparse
    >>> As = scipy.sparse.random(1000, 5, density=0.01, format="csr", random_state=0)
    >>> SA = fastls.sketch(As, 20, kind="sjlt", random_state=0)
    >>> np.allclose(SA, fastls.sketch(As.toarray(), 20, kind="sjlt", random_state=0))
    True
    """
    from fastls._device import is_cuda_array, resolve_device

    kind = check_option(kind, "kind", KINDS)
    if is_implicit(A):
        A = as_implicit(A)
        m = check_sketch_rows(sketch_rows, A.shape[0])
        spec = make_spec(kind, m, native_seed(random_state), _nnz(kind, nnz_per_column, m))
        return sketch_sparse(A, spec) if is_sparse(A) else sketch_operator(A, spec)
    on_gpu = is_cuda_array(A)
    if on_gpu:
        return _sketch_cupy(A, sketch_rows, kind, random_state, resolve_device(device, kind, 0, True))
    # No NaN/Inf pass over A: S A is finite exactly when A is (every entry
    # reaches it with a nonzero weight; Inf and NaN never cancel), so S A is
    # checked instead and A only when S A is not (also overflow, then).
    A = as_array(A, "A", ndim=(1, 2), dtype=(np.float64, np.complex128), check_finite=False)
    m = check_sketch_rows(sketch_rows, A.shape[0])
    nnz = _nnz(kind, nnz_per_column, m)
    A2 = A.reshape(A.shape[0], -1)
    if A.dtype.kind == "c":  # a real S: S A = S Re(A) + i S Im(A), one pass over both
        A2 = np.concatenate([A2.real, A2.imag], 1)
    spec = make_spec(kind, m, native_seed(random_state), nnz)
    if resolve_device(device, kind, A2.size) == "cuda":
        from fastls._device import cuda_module
        SA = cuda_module().sketch(A2, spec)
    else:
        SA, _ = _core.sketch.apply(A2, np.empty((A.shape[0], 0), order="F"), spec)
    if not np.isfinite(SA).all():
        require_finite(A, "A")
        raise ValueError("A must be finite: its sketch is not (entries near the float64 limit overflow)")
    if A.dtype.kind == "c":
        SA = SA[:, : SA.shape[1] // 2] + 1j * SA[:, SA.shape[1] // 2:]
    return SA[:, 0] if A.ndim == 1 else SA


def _sketch_cupy(A, sketch_rows, kind, random_state, device):
    import cupy

    from fastls._device import cuda_module

    if A.ndim not in (1, 2) or A.size == 0:
        raise ValueError(f"A must be a non-empty 1-D or 2-D array, got shape {A.shape}")
    A2 = cupy.asarray(A, dtype=cupy.float64).reshape(A.shape[0], -1)
    if not (A2.flags.c_contiguous or A2.flags.f_contiguous):
        A2 = cupy.ascontiguousarray(A2)
    if not bool(cupy.isfinite(A2).all()):
        raise ValueError("A must be finite, but contains NaN or Inf")
    m = check_sketch_rows(sketch_rows, A2.shape[0])
    SA = cupy.empty((m, A2.shape[1]), dtype=cupy.float64, order="F")
    cuda_module().sketch_pointer(A2.data.ptr, A2.shape[0], A2.shape[1], bool(A2.flags.c_contiguous),
                                 SA.data.ptr, make_spec(kind, m, native_seed(random_state)))
    return SA[:, 0] if A.ndim == 1 else SA


def sketch_matrix(n: int, sketch_rows: int, *, kind: str = "srht",
                  random_state: int | np.random.Generator | None = None,
                  nnz_per_column: int | None = None, device: str = "cpu") -> np.ndarray:
    """The explicit m x n matrix S that ``sketch`` applies (O(m n) memory: for tests and teaching).

    ``sketch(A, m, kind=kind, random_state=seed)`` equals
    ``sketch_matrix(n, m, kind=kind, random_state=seed) @ A``
    up to rounding.

    Parameters
    ----------
    n : int
        Rows of the matrices S applies to (columns of S).
    sketch_rows : int
        m, with 1 <= m <= n.
    kind : {"srht", "gaussian", "rademacher", "countsketch", "sjlt"}
    random_state : None, int or numpy.random.Generator
        As in :func:`sketch`.
    nnz_per_column : int, optional
        Nonzeros per column for "sjlt" (default 8).
    device : {"cpu", "cuda"}
        "cuda" generates S on the GPU: bitwise the same.

    Returns
    -------
    (m, n) ndarray

    Raises
    ------
    ValueError
        When m n exceeds 2^28 entries (use :func:`sketch` instead).

    Examples
    --------
    >>> import numpy as np
    >>> import fastls
    >>> rng = np.random.default_rng(0)
    >>> A = rng.standard_normal((200, 5))
    >>> S = fastls.sketch_matrix(200, 20, kind="gaussian", random_state=0)
    >>> S.shape
    (20, 200)
    >>> np.allclose(S @ A, fastls.sketch(A, 20, kind="gaussian", random_state=0))
    True
    """
    from fastls._device import cuda_module

    kind = check_option(kind, "kind", KINDS)
    device = check_option(device, "device", ("cpu", "cuda"))
    n = check_int(n, "n", low=1)
    m = check_sketch_rows(sketch_rows, n)
    if m * n > 2**28:
        raise ValueError(f"sketch_matrix is for small sizes: {m} x {n} entries would need "
                         f"{8 * m * n / 2**30:.1f} GiB; use sketch(A, ...) instead")
    spec = make_spec(kind, m, native_seed(random_state), _nnz(kind, nnz_per_column, m))
    if device == "cuda":
        return cuda_module().explicit_matrix(n, spec)
    return _core.sketch.explicit_matrix(n, spec)

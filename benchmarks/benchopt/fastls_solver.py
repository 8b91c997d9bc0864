"""fastls's solver for benchopt's Lasso benchmark (benchmark_lasso), modelled on its
skglm wrapper. run.py copies it into a scratch copy of the benchmark as
solvers/fastls.py; it is not part of the fastls package.

One benchopt iteration = one outer (working-set) iteration of fastls.bcd.lasso,
each run from scratch, as the skglm and celer wrappers do.
"""
from benchopt import BaseSolver
from benchopt import safe_import_context

with safe_import_context() as import_ctx:
    import warnings

    import numpy as np
    import scipy.sparse as sp
    from fastls import bcd
    from fastls._errors import ConvergenceWarning


class Solver(BaseSolver):
    """fastls.bcd.lasso: greedy working sets, cyclic CD with Anderson extrapolation,
    prox-Newton steps on the support."""
    name = "fastls"
    sampling_strategy = "iteration"

    install_cmd = "conda"
    requirements = ["pip::fastls"]

    def set_objective(self, X, y, lmbd, fit_intercept):
        # the layout bcd.lasso reads without a copy, made once (benchopt's own cd
        # solver does the same); a C-ordered X was copied at every run otherwise
        X = X.tocsc() if sp.issparse(X) else np.asfortranarray(X)
        self.X, self.y, self.lmbd = X, y, lmbd
        self.fit_intercept = fit_intercept
        self.alpha = lmbd / X.shape[0]  # benchopt's lmbd is the unscaled one
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        self.run(1)  # the same warm-up the JIT peers get

    def run(self, n_iter):
        if n_iter == 0:
            self.coef = np.zeros(self.X.shape[1] + self.fit_intercept)
            return
        # tol is relative to P(0); 1e-14 is below what any cell asks for, so the
        # iteration count alone stops the run (as with skglm's tol=1e-12).
        res = bcd.lasso(self.X, self.y, self.alpha, fit_intercept=self.fit_intercept,
                        tol=1e-14, maxiter=n_iter, max_epochs=50_000)
        self.coef = np.r_[res.x, res.intercept] if self.fit_intercept else res.x

    def get_next(self, stop_val):
        return stop_val + 1

    def get_result(self):
        return dict(beta=self.coef)

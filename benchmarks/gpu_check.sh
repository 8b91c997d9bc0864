#!/usr/bin/env bash
# One prepared GPU check: build with CUDA, run the gpu tests, time the GPU
# sketches and lstsq against the CPU path and CuPy. Run it on a machine with a
# CUDA device from the repository root; Eigen's headers come from a cmeel-eigen
# wheel in .whl/ when the machine cannot reach PyPI (see README).
#   bash benchmarks/gpu_check.sh [OUTDIR]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT_DIR=${1:-${OUT:-/tmp/fastls-gpu}}
mkdir -p "$OUT_DIR"
export PYTHONUNBUFFERED=1
PY=${PYTHON:-python3}

if ls .whl/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT_DIR/gpu.txt"

echo "== build (FASTLS_CUDA=ON)"
time $PY -m pip install -q --no-build-isolation --no-deps -Cbuild-dir=/tmp/fastls-build \
    -Ccmake.define.FASTLS_CUDA=ON -Ccmake.define.CMAKE_CUDA_ARCHITECTURES=90 \
    -Ccmake.define.CMAKE_INTERPROCEDURAL_OPTIMIZATION=OFF . \
    > "$OUT_DIR/build.log" 2>&1 || { tail -50 "$OUT_DIR/build.log"; exit 1; }
(cd /tmp && $PY -c "import fastls; fastls.show_config()")

echo "== tests"
(cd /tmp && $PY -m pytest -q -p no:cacheprovider "$OLDPWD/tests/test_cuda.py" \
    "$OLDPWD/tests/test_sketch.py" -x 2>&1 | tee "$OUT_DIR/tests.log" | tail -15)

echo "== timings"
(cd /tmp && OMP_NUM_THREADS=${OMP_NUM_THREADS:-16} $PY "$OLDPWD/benchmarks/gpu_bench.py" 2>&1 \
    | tee "$OUT_DIR/bench.log")

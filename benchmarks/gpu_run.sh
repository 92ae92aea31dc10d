#!/usr/bin/env bash
# One run on a lent GPU (the device tool): the CUDA tests, then the benchmarks of the three GPU cores.
#
#   OUT=/some/dir bash benchmarks/gpu_run.sh      # results and logs go to $OUT (default: lib/results)
#
# The GPU machine has its own PyTorch/Triton and no jupytext/nbval, so pytest runs without the repository's
# addopts and conftest (the CUDA tests need neither), with the repository on PYTHONPATH.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-lib/results}
mkdir -p "$OUT"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1 LIB_TRITON=1  # Triton kernels on: this run verifies them
log="$OUT/gpu-run.log"
{
  date -u +"start %Y-%m-%dT%H:%M:%SZ"
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
  python -c "import sys, torch, triton; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, 'triton', triton.__version__)"
} 2>&1 | tee "$log"
stage() { echo "=== $1 ($(date -u +%H:%M:%S))" | tee -a "$log"; }

stage "CUDA tests"
# every test file that carries the cuda marker (so a new CUDA test cannot be left out of this run)
mapfile -t cuda_tests < <(grep -l "mark\.cuda" tests/test_*.py)
echo "${cuda_tests[@]}" | tee -a "$log"
timeout 200 python -m pytest -o addopts="" --noconftest -p no:cacheprovider -q -rfE -m cuda --timeout 90 \
  "${cuda_tests[@]}" 2>&1 | tail -40 | tee -a "$log"

stage "Hyena vs attention"
timeout 150 python benchmarks/hyena.py speed --out "$OUT/hyena-cuda.json" 2>&1 | tee -a "$log" | tail -60

stage "diffusion"
timeout 170 python benchmarks/diffusion.py --device cuda --out "$OUT/diffusion-cuda.json" 2>&1 | tee -a "$log" | tail -20

stage "conv"
timeout 120 python benchmarks/conv.py --device cuda --size full --out "$OUT/conv-cuda.json" 2>&1 | tee -a "$log" | tail -40

stage "done"

#!/usr/bin/env bash
# The GPU check of @alexnet/cuda, for a CUDA machine without Node.js or internet (nvcc and PyTorch
# present). From the repository root:
#
#   bash packages/cuda/scripts/gpu-check.sh             # everything, < 8 minutes
#   bash packages/cuda/scripts/gpu-check.sh --dry-run   # check the carried files and print the plan
#   ALEXNET_CUDA_LIBRARY=packages/cuda/build/stub/libcuda.so.1 \
#     bash packages/cuda/scripts/gpu-check.sh --smoke   # plumbing only, through the stub driver
#
# Needs packages/cuda/build/gpu/ (made by scripts/pack-gpu-bundle.mjs on a machine with Node.js):
# node.xz and modules.tar.xz; a Node.js already on PATH is used when there is no node.xz.
# Steps: unpack Node and the modules, rebuild the fatbin if its sources changed (nvcc), the
# conformance suite on the GPU (vitest), per-kernel GFLOP/s, AlexNet images/s (cuda:0 and
# cuda:0 + cuda:1), the same network in PyTorch; a short table LAST. JSON in $OUT (else
# ./gpu-check-results). Exit status: 0 when the conformance suite and every benchmark ran and passed.
set -u
MODE=full
for a in "$@"; do
  case "$a" in
    --dry-run) MODE=dry ;;
    --smoke) MODE=smoke ;;
    *) echo "unknown argument $a" >&2; exit 2 ;;
  esac
done
ROOT="$(pwd)"
PKG="$ROOT/packages/cuda"
BUNDLE="$PKG/build/gpu"
[ -f "$PKG/package.json" ] || { echo "run from the repository root (packages/cuda/package.json not found)" >&2; exit 2; }
OUTDIR="${OUT:-$ROOT/gpu-check-results}"
mkdir -p "$OUTDIR"
exec > >(tee -a "$OUTDIR/gpu-check.log") 2>&1
T0=$(date +%s)
step() { echo; echo "=== [$(date +%T), +$(( $(date +%s) - T0 ))s] $* ==="; }
STATUS=0
fail() { echo "FAIL: $*"; STATUS=1; }
export PATH="$PATH:/usr/local/cuda/bin"

step "machine ($MODE)"
uname -srm; (ldd --version 2>&1 | head -1) || true
if command -v nvidia-smi >/dev/null; then
  timeout 30 nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv 2>&1 || true
else echo "nvidia-smi not found"; fi
command -v nvcc >/dev/null && nvcc --version | tail -2 || echo "nvcc not found"
STUB=0
if [ -n "${ALEXNET_CUDA_LIBRARY:-}" ]; then
  echo "ALEXNET_CUDA_LIBRARY=$ALEXNET_CUDA_LIBRARY (explicit driver library)"
  if grep -q alexnet_cuda_stub_marker "$ALEXNET_CUDA_LIBRARY" 2>/dev/null; then
    STUB=1
    echo "NOTE: this is the STUB driver (CPU emulation of the kernels): plumbing only, no GPU numbers"
  fi
fi

step "Node.js and the carried modules"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/alexnet-gpu.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
unxz_to() { # unxz_to <file.xz> <out>
  if command -v xz >/dev/null; then xz -dc "$1" > "$2"
  else python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],'wb'))" "$1" "$2"; fi
}
if [ -f "$BUNDLE/SHA256SUMS" ]; then
  (cd "$BUNDLE" && sha256sum -c SHA256SUMS) || { echo "ERROR: carried files are corrupt"; exit 3; }
fi
if [ -f "$BUNDLE/node.xz" ]; then
  [ "$MODE" = dry ] || { unxz_to "$BUNDLE/node.xz" "$WORK/node" && chmod +x "$WORK/node"; }
  NODE="$WORK/node"
elif command -v node >/dev/null; then
  NODE="$(command -v node)"
else
  echo "ERROR: no $BUNDLE/node.xz and no node on PATH (make it: node packages/cuda/scripts/pack-gpu-bundle.mjs)"; exit 4
fi
# Always unpacked when carried (a machine kept from an earlier run may hold an older dist/).
if [ -f "$BUNDLE/modules.tar.xz" ]; then
  if [ "$MODE" != dry ]; then
    unxz_to "$BUNDLE/modules.tar.xz" "$WORK/modules.tar" && tar -xf "$WORK/modules.tar" -C "$ROOT" || { echo "ERROR: cannot unpack modules.tar.xz"; exit 5; }
    echo "unpacked modules.tar.xz"
  else
    echo "would unpack modules.tar.xz"
  fi
elif [ ! -e "$PKG/node_modules/vitest" ] || [ ! -d "$ROOT/packages/tensor/dist" ] || [ ! -f "$PKG/dist/bench/alexnet.js" ]; then
  echo "ERROR: modules missing and no $BUNDLE/modules.tar.xz"; exit 5
fi
if [ "$MODE" = dry ]; then
  echo "dry run: would use $NODE"
else
  "$NODE" --version || { echo "ERROR: this Node binary does not run here (glibc >= 2.28 needed)"; exit 4; }
fi

BUDGET=${GPU_CHECK_BUDGET_S:-465}  # the whole check stays under 8 minutes: each step gets what is left
run() { # run <seconds> <what> <command...>
  local secs="$1" what="$2"; shift 2
  if [ "$MODE" = dry ]; then echo "would run (timeout ${secs}s): $*"; return 0; fi
  local left=$(( BUDGET - ($(date +%s) - T0) ))
  [ "$left" -lt "$secs" ] && secs=$left
  if [ "$secs" -le 5 ]; then fail "$what: skipped, the 8-minute budget is spent"; return 1; fi
  timeout "$secs" "$@"; local rc=$?
  [ $rc -eq 124 ] && echo "$what: TIMED OUT after ${secs}s"
  [ $rc -ne 0 ] && fail "$what (exit $rc)"
  return $rc
}

step "fatbin (rebuilt with this machine's nvcc when its sources changed)"
if command -v nvcc >/dev/null && [ -f "$PKG/scripts/build-fatbin.mjs" ]; then
  run 150 "build-fatbin" "$NODE" "$PKG/scripts/build-fatbin.mjs"
else
  echo "no nvcc (or no build script): using the committed fatbin"
fi
ls -la "$PKG/fatbin/" 2>/dev/null || true

cd "$PKG"
step "conformance suite on the GPU (vitest)"
# The stub-driver tests do not belong on the GPU machine: skip building the stub and emulator.
ALEXNET_CUDA_SKIP_STUB=1 run 240 "conformance" "$NODE" node_modules/vitest/vitest.mjs run src/conformance.test.ts \
  --reporter=default --reporter=json --outputFile.json="$OUTDIR/conformance.json"

BENCH=()
[ "$MODE" = smoke ] && BENCH=(--smoke --batch 2)
step "per-kernel GFLOP/s on AlexNet's layer shapes (batch 128)"
run 75 "kernel benchmark" "$NODE" dist/bench/kernels.js --out "$OUTDIR" ${BENCH[@]+"${BENCH[@]}"}

step "AlexNet training and inference images/s, batch 128, cuda:0 and cuda:0 + cuda:1"
if [ $STUB = 1 ]; then
  echo "skipped under the stub driver: the full-width network takes over 10 minutes in CPU emulation"
else run 120 "AlexNet benchmark" "$NODE" dist/bench/alexnet.js --out "$OUTDIR" ${BENCH[@]+"${BENCH[@]}"}
fi

step "the same two-tower AlexNet in PyTorch on the same GPU"
if [ "$MODE" = dry ]; then
  echo "would run (timeout 100s): python3 bench/torch_alexnet.py --batch 128 --out $OUTDIR/torch_alexnet.json"
elif [ "$MODE" = smoke ] || [ $STUB = 1 ]; then
  echo "skipped: PyTorch runs only in the full run on a real GPU"
elif command -v python3 >/dev/null && python3 -c "import torch,sys; sys.exit(0 if torch.cuda.is_available() else 1)" 2>/dev/null; then
  run 100 "PyTorch AlexNet" python3 bench/torch_alexnet.py --batch 128 --out "$OUTDIR/torch_alexnet.json"
else
  fail "PyTorch with CUDA not available (python3 -c 'import torch' failed or no GPU)"
fi

step "summary"
if [ "$MODE" = dry ]; then
  echo "would run: $NODE dist/bench/summary.js $OUTDIR"
else
  REQUIRE=()
  [ "$MODE" = full ] && [ $STUB = 0 ] && REQUIRE=(--require-gpu)
  "$NODE" dist/bench/summary.js "$OUTDIR" ${REQUIRE[@]+"${REQUIRE[@]}"} || fail "summary"
fi
echo "status $STATUS, $(( $(date +%s) - T0 )) s; results in $OUTDIR"
exit $STATUS

#!/usr/bin/env bash
# Runs @alexnet/gpu's conformance cases in the GPU-like modes this kind of machine (no GPU) offers,
# and writes the results to packages/gpu/MODES.md:
#  1. webgpu in Node: the conformance suite (odd shapes), the trap tests and the residency tests
#     (tensors stay on the device between kernels), through Dawn (the
#     `webgpu` npm package) on SwiftShader's Vulkan driver from Debian's chromium package;
#  2. webgl2 and webgpu in headless Chromium (scripts/browser/run.mjs; playwright-core from
#     examples/browser): the odd shapes, AlexNet's shapes without the conv and fc6/fc7 cases, and the
#     residency chain (transfer counters).
# Installs what it needs (apt: chromium, libvulkan1; npm: webgpu@0.6.2 into a cache folder, not into
# the workspace).
#
#   bash packages/gpu/scripts/modes.sh            (from the repository root; needs root for apt)
#   ALEXNET_GPU_FULL=1 bash packages/gpu/scripts/modes.sh   adds every AlexNet shape (slow: ~1 hour)
set -euo pipefail

pkg="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${ALEXNET_GPU_MODES_CACHE:-${TMPDIR:-/tmp}/alexnet-gpu-modes}"
icd=/usr/lib/chromium/vk_swiftshader_icd.json

if [ ! -f "$icd" ] || ! ldconfig -p | grep -q libvulkan.so.1; then
  echo "installing chromium (SwiftShader Vulkan ICD) and libvulkan1 with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium libvulkan1
fi
if [ ! -f "$cache/node_modules/webgpu/index.js" ]; then
  echo "installing webgpu@0.6.2 (Dawn for Node) into $cache"
  mkdir -p "$cache"
  (cd "$cache" && npm install --no-save --no-package-lock --ignore-scripts webgpu@0.6.2 >/dev/null)
fi

cd "$pkg"
npx -y pnpm@10.34.9 build >/dev/null
export ALEXNET_GPU_WEBGPU_MODULE="$cache/node_modules/webgpu/index.js"
export VK_ICD_FILENAMES="$icd"
json="$cache/vitest-webgpu.json"
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
set +e
npx vitest run src/conformance-webgpu.test.ts src/traps.test.ts src/residency.test.ts -t 'webgpu' \
  --reporter=default --reporter=json --outputFile.json="$json"
status=$?
set -e

node - "$json" "$started" "$status" > "$pkg/MODES.md" <<'NODE'
const fs = require('node:fs');
const os = require('node:os');
const [json, started, status] = process.argv.slice(2);
const r = JSON.parse(fs.readFileSync(json, 'utf8'));
const rows = [];
for (const file of r.testResults) {
  for (const t of file.assertionResults) {
    if (t.status === 'skipped' || t.status === 'pending') continue;
    rows.push(`| ${t.title} | ${t.status} | ${Math.round(t.duration ?? 0)} |`);
  }
}
const ran = rows.length;
const failed = r.numFailedTests;
console.log(`# gpu.js modes beyond CI

CI runs the conformance suite and the trap tests in gpu.js's \`cpu\` and \`webasm\` modes. This file
records runs in the GPU-like modes this kind of machine (no GPU) offers, all on SwiftShader, a
software rasteriser on the CPU: **\`webgpu\` in Node** (Dawn through the \`webgpu\` npm package 0.6.2
on SwiftShader's Vulkan driver from Debian's \`chromium\` package), and **\`webgl2\` and \`webgpu\` in
headless Chromium**. They check that every kernel's source translates to WGSL/GLSL and computes the
right thing there, including both traps (flat indices above 2^24; merged-axis decoding at 55·2^k,
which SwiftShader WebGPU gets wrong with a plain \`floor(z/55)\`). They say nothing about speed on
a real GPU.

Produced by:

\`\`\`sh
bash packages/gpu/scripts/modes.sh
\`\`\`

- date: ${started}; ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, Node ${process.version}

## webgpu in Node (conformance suite, odd shapes, the trap tests, and the residency tests)

**${failed === 0 && status === '0' ? 'all passed' : `${failed} failed (exit ${status})`}** — ${ran} tests ran
(${r.numPassedTests} passed, ${failed} failed)

| test | result | ms |
|---|---|---:|
${rows.join('\n')}

## Not run here

- \`headlessgl\`: needs the optional \`gl\` package built from source (pnpm 10 skips its install script
  unless approved in the root \`pnpm.onlyBuiltDependencies\`, and its prebuilt binaries come from
  GitHub, unreachable here) plus an X display (\`xvfb-run\`). Not attempted.
`);
NODE

if [ -d "$pkg/../../examples/browser/node_modules/playwright-core" ]; then
  {
    echo
    echo "## In headless Chromium"
    echo
    echo "\`node packages/gpu/scripts/browser/run.mjs <mode> <set>\` (run by modes.sh): the conformance cases"
    echo "in a page, Chromium $(chromium --version 2>/dev/null | awk '{print $2}') with \`--headless=new --enable-unsafe-webgpu\`"
    echo "(WebGL2 through ANGLE on SwiftShader; WebGPU through Dawn on SwiftShader). \`odd\`: every kernel"
    echo "on the odd shapes; \`alexnet\`: AlexNet's shapes at batch 1 except the convolutions and fc6/fc7"
    echo "GEMMs (minutes each on a software rasteriser); \`gemm\`: AlexNet's fc GEMMs (fc6's weight gradient"
    echo "is 9216 wide, beyond WebGL2's 8192 texture limit: computed in column blocks); \`all\` (with"
    echo "ALEXNET_GPU_FULL=1): every AlexNet shape; \`residency\`: the chain of residency.test.ts with the"
    echo "transfer counters (one download for the final read; uploads only of the input and parameters)."
    echo "Failing cases, if any, are listed."
  } >> "$pkg/MODES.md"
  runs=("webgl2 residency" "webgpu residency" "webgl2 odd" "webgpu odd" "webgl2 alexnet" "webgpu alexnet"
    "webgl2 gemm" "webgpu gemm")
  # Every AlexNet shape, convolutions included: ~20 minutes per mode on SwiftShader.
  [ "${ALEXNET_GPU_FULL:-}" = 1 ] && runs+=("webgl2 all" "webgpu all")
  for run in "${runs[@]}"; do
    set +e
    # shellcheck disable=SC2086
    lines=$(node "$pkg/scripts/browser/run.mjs" $run 2>&1)
    code=$?
    set -e
    [ "$code" = 0 ] || status=$code
    echo "$lines" | tail -1
    {
      echo
      echo "### $(echo "$lines" | tail -1)"
      echo
      echo '```'
      echo "$lines" | grep -v '^ok ' || true
      echo '```'
    } >> "$pkg/MODES.md"
  done
else
  echo "examples/browser's playwright-core is not installed: browser runs skipped" | tee -a "$pkg/MODES.md"
fi

echo "wrote $pkg/MODES.md"
exit "$status"

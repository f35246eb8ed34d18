#!/usr/bin/env bash
# Builds .device-kit/ (git-ignored): what the WebGPU benchmarks need on a lent GPU machine that
# has neither Node nor a package registry (docs/architecture.md, "Benchmarks on a GPU machine"):
# this machine's Node binary and the `webgpu` package's Linux x64 Dawn (xz-compressed), the
# benchmarks bundled by esbuild (each loaded only when run, so the browser and ONNX packages of
# `peer` and `teacher-paths` stay out), and the Vulkan loader. About 30 MB.
#
#   scripts/device-kit.sh      then, on the GPU machine: scripts/device-bench.sh [benchmark …]
set -euo pipefail
cd "$(dirname "$0")/.."
kit=.device-kit
rm -rf "$kit"
mkdir -p "$kit/bench" "$kit/lib" "$kit/node_modules/webgpu/dist/linux-x64"
npx esbuild bench/run.ts --bundle --splitting --platform=node --format=esm --outdir="$kit/bench" \
  --external:webgpu --external:vite --external:playwright-core --external:@huggingface/transformers \
  '--external:onnxruntime-*' --external:pyodide --log-level=warning
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$kit/node_modules/webgpu/"
xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$kit/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
xz -T0 -6 -c "$(readlink -f "$(command -v node)")" >"$kit/node.xz"
loader=$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ { print $NF; exit }')
if [ -z "$loader" ]; then
  echo "device-kit: no libvulkan.so.1 here (apt-get install libvulkan1)" >&2
  exit 1
fi
cp -L "$loader" "$kit/lib/libvulkan.so.1"
du -sh "$kit"

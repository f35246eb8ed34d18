#!/usr/bin/env bash
# On a lent GPU machine, from the repository root with .device-kit/ carried along
# (scripts/device-kit.sh builds it here): unpacks Node and Dawn, points Vulkan at the NVIDIA
# driver, and runs the named benchmarks (default: matmul engine) on the GPU. Their reports are
# copied to $OUT (else left in bench/results/).
#
#   scripts/device-bench.sh matmul engine lora-step
set -uo pipefail
cd "$(dirname "$0")/.."
kit=$PWD/.device-kit
if [ ! -f "$kit/node.xz" ]; then
  echo "device-bench: no .device-kit here: build it with scripts/device-kit.sh and carry it" >&2
  exit 2
fi
bin=$(mktemp -d)
xz -dc "$kit/node.xz" >"$bin/node" && chmod +x "$bin/node"
dawn="$kit/node_modules/webgpu/dist/linux-x64/dawn.node"
[ -f "$dawn" ] || xz -dc "$dawn.xz" >"$dawn"
export LD_LIBRARY_PATH="$kit/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
nvidia_icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_ICD_FILENAMES:-}" ] && [ -f "$nvidia_icd" ]; then export VK_ICD_FILENAMES=$nvidia_icd; fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
echo "node $("$bin/node" --version), Vulkan ICD ${VK_ICD_FILENAMES:-unset: the default}"
[ $# -gt 0 ] || set -- matmul engine
status=0
"$bin/node" "$kit/bench/run.js" "$@" || status=$?
if [ -n "${OUT:-}" ]; then cp bench/results/*.json "$OUT/" 2>/dev/null || true; fi
exit $status

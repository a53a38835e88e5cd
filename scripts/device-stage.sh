#!/usr/bin/env bash
# Stages what a GPU machine (no Node.js, no registry) needs to run slicetune's GPU tests and
# benchmarks, under .device/ (ignored by git, carried by the device tool):
#   .device/node.xz, .device/env.sh   from ../shared/device/pack.sh (Node.js itself)
#   .device/app/                      dist-bench/ (src + bench + test/gpu compiled) and a pruned node_modules
# Then: device run, carry [".device"], command: source .device/env.sh && cd .device/app && node bench/...
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
npx tsc -p tsconfig.bench.json || echo "WARNING: type errors (emitted anyway)" >&2
bash ../shared/device/pack.sh >/dev/null
app=.device/app
rm -rf "$app" && mkdir -p "$app"
cp -r dist-bench/. "$app/"
cp package.json "$app/"
mkdir -p "$app/bench/peers" && cp bench/peers/*.py "$app/bench/peers/"
# Only the production dependencies travel, less the CPU ONNX runtime and the charts (not used there).
npm ls --omit=dev --all --parseable 2>/dev/null | sed "s#^$root/##" | grep '^node_modules/' | sort -u |
  grep -v -E '^node_modules/(onnxruntime-node|echarts|zrender)(/|$)' |
  while read -r dir; do [[ -e "$app/$dir" ]] || { mkdir -p "$app/$(dirname "$dir")" && cp -r "$dir" "$app/$dir"; }; done
( cd "$app/node_modules" && rm -rf better-sqlite3/deps better-sqlite3/src better-sqlite3/build/Release/obj* \
    onnx-proto/node_modules/protobufjs/cli koffi/doc koffi/vendor )
# Type declarations, sources maps and docs are not needed to run.
find "$app/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.cts' -o -name '*.d.mts' -o -name '*.map' \
  -o -name '*.md' -o -name '*.ts' \) -delete
# The staged tree must run without what it leaves out (onnxruntime-node, echarts): a smoke run here.
node "$app/src/cli.js" tasks resnet18 --json >/dev/null && node "$app/src/cli.js" sweep --help >/dev/null ||
  { echo "the staged CLI does not run: a module it needs was left out" >&2; exit 1; }
echo "staged: $(du -sm .device | cut -f1) MiB in .device (limit 64 with the tracked tree)"

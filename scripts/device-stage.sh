#!/usr/bin/env bash
# Stages what a GPU machine (no Node.js, no registry) needs to run slicetune's GPU tests and
# benchmarks, under .device/ (ignored by git, carried by the device tool):
#   .device/node.xz, .device/env.sh   from ../shared/device/pack.sh (Node.js itself)
#   .device/app/                      dist-bench/ (src + bench + test/gpu compiled) and a pruned node_modules
# Then: device run, carry [".device"], command: source .device/env.sh && cd .device/app && node bench/...
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
npx tsc -p tsconfig.bench.json
bash ../shared/device/pack.sh >/dev/null
app=.device/app
rm -rf "$app" && mkdir -p "$app"
cp -r dist-bench/. "$app/"
cp package.json "$app/"
# Dev tools, browsers, charts and the ONNX runtime are not needed for the GPU runs.
rsync -a --delete \
  --exclude '/onnxruntime-node' --exclude '/@biomejs' --exclude '/echarts' --exclude '/zrender' \
  --exclude '/typescript' --exclude '/@rolldown' --exclude '/rolldown' --exclude '/playwright-core' \
  --exclude '/lightningcss*' --exclude '/@esbuild' --exclude '/esbuild' --exclude '/vite' --exclude '/vitest' \
  --exclude '/@vitest' --exclude '/dependency-cruiser' --exclude '/tsx' \
  --exclude '/better-sqlite3/deps' --exclude '/better-sqlite3/build/Release/obj*' --exclude '/better-sqlite3/src' \
  node_modules/ "$app/node_modules/"
echo "staged: $(du -sm .device | cut -f1) MiB in .device (limit 64 with the tracked tree)"

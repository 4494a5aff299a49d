#!/usr/bin/env bash
# GPU tests on gpu.js's WebGL backend (SPEC §6): test/gpu.test.ts with ADGEN_GPU_MODES=headlessgl,
# through headless-gl (`gl`, an optional dependency of gpu.js) under a virtual X server.
#
# A plain `npm install` / `npm ci` does not build `gl` (npm 11 skips dependency install scripts
# that package.json's "allowScripts" does not list, and the default install may omit optional
# dependencies), so this script
#   1. installs the system libraries headless-gl builds against and Xvfb (apt-get; root or sudo),
#   2. installs gl at the version gpu.js pins, if it is missing (--no-save: package.json and
#      package-lock.json are untouched),
#   3. builds it by running gl's own install script in its directory (a prebuilt binary when one
#      matches this Node, else node-gyp: about 7 minutes),
#   4. checks that a WebGL context opens, then runs the GPU tests on headlessgl under xvfb-run.
# Run after `npm ci` (e.g. from CI: `bash scripts/ci-gpu-webgl.sh`). Needs network for apt and npm.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
XVFB=(xvfb-run -a -s "-screen 0 1280x1024x24")

echo "== system libraries for headless-gl, and Xvfb"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q libxi-dev libglu1-mesa-dev libglew-dev pkg-config xvfb

GL_VERSION="$(node -p "require('gpu.js/package.json').optionalDependencies.gl")"
if [ ! -f node_modules/gl/package.json ]; then
  echo "== installing gl@${GL_VERSION} (not saved to package.json)"
  npm install --no-save --no-audit --no-fund "gl@${GL_VERSION}"
fi

if [ ! -f node_modules/gl/build/Release/webgl.node ]; then
  echo "== building gl@${GL_VERSION}"
  (cd node_modules/gl && npm run install)
fi

echo "== a WebGL context under Xvfb"
"${XVFB[@]}" node -e "
  const gl = require('gl')(4, 4);
  if (!gl) { console.error('headless-gl could not create a WebGL context'); process.exit(1); }
  console.log('WebGL:', gl.getParameter(gl.VERSION), '/', gl.getParameter(gl.RENDERER));
  const { GPU } = require('gpu.js');
  if (!GPU.isHeadlessGLSupported) { console.error('gpu.js does not see headless-gl'); process.exit(1); }
"

echo "== GPU tests on headlessgl"
"${XVFB[@]}" env ADGEN_GPU_MODES=headlessgl node --import tsx node_modules/uvu/bin.js test 'gpu\.test\.ts$'

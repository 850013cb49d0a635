#!/usr/bin/env bash
# Builds the AssemblyScript guests (test/guests/assemblyscript/*.ts) to a .wasm beside each, with
# asc + @assemblyscript/wasi-shim (WASI imports). They are not project dependencies: install them
# on demand (npm install --no-save assemblyscript@0.28.20 @assemblyscript/wasi-shim@0.1.0) or point
# ASC / WASI_SHIM at an install elsewhere. Skips with a message if asc is not found.
set -euo pipefail
cd "$(dirname "$0")/.."
ASC=${ASC:-node_modules/.bin/asc}
WASI_SHIM=${WASI_SHIM:-node_modules/@assemblyscript/wasi-shim}
if ! [ -x "$ASC" ] || ! [ -f "$WASI_SHIM/asconfig.json" ]; then
  echo "build-assemblyscript-guests: asc or @assemblyscript/wasi-shim not installed; skipping"
  echo "  (npm install --no-save assemblyscript@0.28.20 @assemblyscript/wasi-shim@0.1.0)"
  exit 0
fi
if [ $# -gt 0 ]; then files=("$@"); else
  mapfile -t files < <(find test/guests/assemblyscript -name '*.ts' | sort)
fi
for ts in "${files[@]}"; do
  out="${ts%.ts}.wasm"
  # asc resolves an absolute --config path wrongly (the shim's lib is not found): pass it relative.
  "$ASC" "$ts" --config "$(realpath --relative-to=. "$WASI_SHIM/asconfig.json")" -O3 --noAssert -o "$out"
  echo "built $out ($(stat -c %s "$out") bytes)"
done

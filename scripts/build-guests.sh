#!/usr/bin/env bash
# Builds every C guest in the repo (examples/, test/guests/, bench/guests/, bench/cpu/) to a .wasm beside it
# with clang + wasi-libc. Extra flags per file: a first line `// cflags: ...`.
# Usage: scripts/build-guests.sh [FILE.c ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG=${CLANG:-clang}
if [ $# -gt 0 ]; then files=("$@"); else
  mapfile -t files < <(find examples test/guests bench/guests bench/cpu -name '*.c' 2>/dev/null | sort)
fi
for c in "${files[@]}"; do
  out="${c%.c}.wasm"
  extra=$(head -n1 "$c" | sed -n 's|^// cflags: ||p')
  # shellcheck disable=SC2086
  "$CLANG" --target=wasm32-wasi -O2 -Wall -Wno-unused-function $extra -o "$out" "$c"
  echo "built $out ($(stat -c %s "$out") bytes)"
done

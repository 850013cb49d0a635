#!/usr/bin/env bash
# Builds the Rust guests (test/guests/rust/*.rs) to a .wasm beside each with Debian's rustc for
# wasm32-wasi (packages rustc + libstd-rust-dev-wasm32). Skips with a message if that is missing.
# Usage: scripts/build-rust-guests.sh [FILE.rs ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTC=${RUSTC:-/usr/bin/rustc}
if ! [ -x "$RUSTC" ] || ! "$RUSTC" --print target-list 2>/dev/null | grep -qx wasm32-wasi \
  || ! [ -d "$("$RUSTC" --print sysroot)/lib/rustlib/wasm32-wasi" ]; then
  echo "build-rust-guests: $RUSTC with the wasm32-wasi std not installed; skipping (apt-get install rustc libstd-rust-dev-wasm32)"
  exit 0
fi
if [ $# -gt 0 ]; then files=("$@"); else
  mapfile -t files < <(find test/guests/rust -name '*.rs' | sort)
fi
for rs in "${files[@]}"; do
  out="${rs%.rs}.wasm"
  # Relative source path (stable panic locations); no debuginfo, names kept for trap messages.
  "$RUSTC" --target wasm32-wasi --edition 2021 -O -C strip=debuginfo -C lto=yes -C codegen-units=1 \
    -o "$out" "$rs"
  echo "built $out ($(stat -c %s "$out") bytes)"
done

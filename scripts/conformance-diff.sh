#!/usr/bin/env bash
# WASI conformance: compare Warden with the reference wasmtime 49 on the C guests of test/guests/wasi.
# Usage: scripts/conformance-diff.sh [--update] [--rebuild] [CASE ...]
#   (no flag)  run the conformance test: Warden vs the committed transcripts, and the live
#              reference runtime vs the same transcripts if it is available; diffs on failure
#   --rebuild  rebuild the guests from C first (scripts/build-guests.sh test/guests/wasi/*.c)
#   --update   regenerate test/conformance/CASE.expected from the live reference runtime
# CASE names come from test/conformance/cases.json (default: all). Reference runtime: the Python
# package wasmtime, from $WASMTIME_PY (default /tmp/wt/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
update=0
rebuild=0
cases=()
for a in "$@"; do
  case "$a" in
    --update) update=1 ;;
    --rebuild) rebuild=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "conformance-diff: unknown flag $a" >&2; exit 2 ;;
    *) cases+=("$a") ;;
  esac
done
if [ "$rebuild" = 1 ]; then bash scripts/build-guests.sh test/guests/wasi/*.c; fi
py=${WASMTIME_PY:-/tmp/wt/bin/python}
if [ "$update" = 1 ] && ! "$py" -c 'import wasmtime' 2>/dev/null; then
  echo "conformance-diff: --update needs the reference runtime: $py cannot import wasmtime (set WASMTIME_PY)" >&2
  exit 2
fi
npx tsc -p . || echo "conformance-diff: tsc reported errors; running what it emitted" >&2
CONFORMANCE_ONLY=$(IFS=,; echo "${cases[*]:-}") CONFORMANCE_UPDATE=$update \
  node --test --test-reporter=spec dist/test/conformance.test.js

#!/usr/bin/env python3
# Runs a WASI preview1 command module under the reference runtime (wasmtime, Python package)
# with `warden run`-like flags; used to produce and check the conformance transcripts.
"""Usage: wasmtime-run.py [--dir HOST::GUEST[:ro]]... [--env K=V]... [--stdin FILE]
                          [--argv0 NAME] [--json] MODULE.wasm [ARGS...]
       wasmtime-run.py --batch < RUNS.json

Without --json: guest stdout/stderr are copied to ours and we exit with the guest's exit code
(a trap prints `error: trap: ...` to stderr and exits 134).
With --json: prints one JSON object {exitCode, trap, stdout, stderr} (stdout/stderr base64).
With --batch: reads {"module": PATH, "runs": [{"argv": [...], "env": [[K, V]...], "stdin": PATH|null,
"dirs": [{"host", "guest", "readOnly"}]}...]} and prints a JSON list of such objects, compiling the
module once. Exits 3 if the wasmtime package cannot be imported (so callers can skip cleanly)."""
import argparse
import base64
import json
import os
import re
import sys
import tempfile

try:
    import wasmtime
except ImportError as e:  # callers treat exit 3 as "reference runtime not available"
    print(f"wasmtime-run: cannot import wasmtime: {e}", file=sys.stderr)
    sys.exit(3)


def parse_dir(spec: str):
    ro = spec.endswith(":ro")
    if ro:
        spec = spec[:-3]
    host, sep, guest = spec.partition("::")
    return {"host": host, "guest": guest if sep else host, "readOnly": ro}


def run_one(engine, module, argv, env, stdin_path, dirs):
    """Runs _start once in a fresh store; returns {exitCode, trap, stdout, stderr} (bytes)."""
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    with tempfile.TemporaryDirectory(prefix="wt-run-") as tmp:
        cfg = wasmtime.WasiConfig()
        cfg.argv = argv
        cfg.env = env
        if stdin_path is None:
            stdin_path = os.path.join(tmp, "stdin")
            open(stdin_path, "wb").close()
        cfg.stdin_file = stdin_path
        out_path, err_path = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
        cfg.stdout_file = out_path
        cfg.stderr_file = err_path
        for d in dirs:
            cfg.preopen_dir(d["host"], d["guest"], not d.get("readOnly", False))
        store.set_wasi(cfg)
        exit_code, trap = 0, None
        try:
            instance = linker.instantiate(store, module)
            instance.exports(store)["_start"](store)
        except wasmtime.ExitTrap as e:
            exit_code = e.code
        except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
            lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
            # wasmtime's message ends with the root cause (e.g. "Invalid enum value Whence")
            trap = re.sub(r"^\d+: ", "", lines[-1]) if lines else type(e).__name__
            exit_code = 134
        del store, linker  # closes the WASI files so their contents are complete
        with open(out_path, "rb") as f:
            out = f.read()
        with open(err_path, "rb") as f:
            err = f.read()
    return {"exitCode": exit_code, "trap": trap, "stdout": out, "stderr": err}


def as_json(r):
    return {**r, "stdout": base64.b64encode(r["stdout"]).decode(), "stderr": base64.b64encode(r["stderr"]).decode()}


def main() -> int:
    p = argparse.ArgumentParser(add_help=True)
    p.add_argument("--dir", action="append", default=[])
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--stdin")
    p.add_argument("--argv0")
    p.add_argument("--json", action="store_true")
    p.add_argument("--batch", action="store_true")
    p.add_argument("module", nargs="?")
    p.add_argument("args", nargs=argparse.REMAINDER)
    a = p.parse_args()
    engine = wasmtime.Engine()

    if a.batch:
        job = json.load(sys.stdin)
        module = wasmtime.Module.from_file(engine, job["module"])
        results = [as_json(run_one(engine, module, r["argv"], [tuple(kv) for kv in r.get("env", [])],
                                   r.get("stdin"), r.get("dirs", []))) for r in job["runs"]]
        print(json.dumps(results))
        return 0

    if a.module is None:
        p.error("MODULE.wasm is required")
    module = wasmtime.Module.from_file(engine, a.module)
    env = []
    for kv in a.env:
        k, sep, v = kv.partition("=")
        env.append((k, v if sep else os.environ.get(k, "")))
    argv = [a.argv0 if a.argv0 is not None else os.path.basename(a.module)] + a.args
    r = run_one(engine, module, argv, env, a.stdin, [parse_dir(s) for s in a.dir])
    if a.json:
        print(json.dumps(as_json(r)))
        return 0
    sys.stdout.buffer.write(r["stdout"])
    sys.stdout.flush()
    sys.stderr.buffer.write(r["stderr"])
    if r["trap"] is not None:
        sys.stderr.write(f"error: trap: {r['trap']}\n")
    return r["exitCode"]


if __name__ == "__main__":
    sys.exit(main())

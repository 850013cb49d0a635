#!/usr/bin/env python3
# Runs a WASI preview1 command module under the reference runtime (wasmtime, Python package)
# with `warden run`-like flags; used to produce and check the conformance transcripts.
"""Usage: wasmtime-run.py [--dir HOST::GUEST[:ro]]... [--env K=V]... [--stdin FILE]
                          [--argv0 NAME] [--json] MODULE.wasm [ARGS...]

Without --json: guest stdout/stderr are copied to ours and we exit with the guest's exit code
(a trap prints `error: trap: ...` to stderr and exits 134).
With --json: prints one JSON object {exitCode, trap, stdout, stderr} (stdout/stderr base64).
Exits 3 if the wasmtime package cannot be imported (so callers can skip cleanly)."""
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
    if "::" in spec:
        host, guest = spec.split("::", 1)
    else:
        host = guest = spec
    return host, guest, ro


def main() -> int:
    p = argparse.ArgumentParser(add_help=True)
    p.add_argument("--dir", action="append", default=[])
    p.add_argument("--env", action="append", default=[])
    p.add_argument("--stdin")
    p.add_argument("--argv0")
    p.add_argument("--json", action="store_true")
    p.add_argument("module")
    p.add_argument("args", nargs=argparse.REMAINDER)
    a = p.parse_args()

    engine = wasmtime.Engine()
    store = wasmtime.Store(engine)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, a.module)

    with tempfile.TemporaryDirectory(prefix="wt-run-") as tmp:
        cfg = wasmtime.WasiConfig()
        cfg.argv = [a.argv0 if a.argv0 is not None else os.path.basename(a.module)] + a.args
        env = []
        for kv in a.env:
            k, sep, v = kv.partition("=")
            env.append((k, v if sep else os.environ.get(k, "")))
        cfg.env = env
        stdin_path = a.stdin
        if stdin_path is None:
            stdin_path = os.path.join(tmp, "stdin")
            open(stdin_path, "wb").close()
        cfg.stdin_file = stdin_path
        out_path, err_path = os.path.join(tmp, "stdout"), os.path.join(tmp, "stderr")
        cfg.stdout_file = out_path
        cfg.stderr_file = err_path
        for spec in a.dir:
            host, guest, ro = parse_dir(spec)
            cfg.preopen_dir(host, guest, not ro)
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
        del store  # closes the WASI files so their contents are complete
        with open(out_path, "rb") as f:
            out = f.read()
        with open(err_path, "rb") as f:
            err = f.read()

    if a.json:
        print(json.dumps({
            "exitCode": exit_code,
            "trap": trap,
            "stdout": base64.b64encode(out).decode(),
            "stderr": base64.b64encode(err).decode(),
        }))
        return 0
    sys.stdout.buffer.write(out)
    sys.stdout.flush()
    sys.stderr.buffer.write(err)
    if trap is not None:
        sys.stderr.write(f"error: trap: {trap}\n")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())

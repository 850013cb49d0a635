// AssemblyScript guest (WASI through @assemblyscript/wasi-shim): prints argv and env, copies
// stdin to stdout, checks Date and crypto, then exits with argv[1] as the code ("abort" aborts).
const args = process.argv;
console.log("argc=" + args.length.toString());
for (let i = 0; i < args.length; i++) console.log("argv[" + i.toString() + "]=" + args[i]);
const keys = process.env.keys().sort();
for (let i = 0; i < keys.length; i++) console.log("env " + keys[i] + "=" + process.env.get(keys[i]));

// stdin -> stdout, in chunks.
const buf = new ArrayBuffer(64);
let total = 0;
while (true) {
  const n = process.stdin.read(buf);
  if (n <= 0) break;
  process.stdout.write(buf.slice(0, n));
  total += n;
}
console.log("stdin bytes=" + total.toString());

console.log("after 2020: " + (Date.now() > 1577836800000 ? "true" : "false"));
const rnd = new Uint8Array(32);
crypto.getRandomValues(rnd);
let nonzero = 0;
for (let i = 0; i < rnd.length; i++) if (rnd[i] != 0) nonzero++;
console.log("random bytes nonzero: " + (nonzero > 0 ? "true" : "false"));

if (args.length > 1) {
  if (args[1] == "abort") {
    console.error("aborting");
    abort("asked to abort");
  }
  process.exit(I32.parseInt(args[1]));
}

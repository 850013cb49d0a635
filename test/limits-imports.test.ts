// Caps on what the module cannot declare itself: an imported table (its maximum is the host's) must not grow
// past the table limit, and several memories together (multi-memory, where V8 runs it) stay under the memory cap.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import binaryen from 'binaryen';
import wabtInit from 'wabt';
import { instrument } from '../src/instrument/index.js';

async function wat(text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const m = wabt.parseWat('limits.wat', text, { bulk_memory: true, reference_types: true });
  try {
    m.resolveNames();
    m.validate();
    return new Uint8Array(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

/** Instantiates the rewritten module with an always-refilling fuel import and `imports`. */
function instantiate(bytes: Uint8Array, imports: WebAssembly.Imports = {}): WebAssembly.Exports {
  const module = new WebAssembly.Module(bytes);
  return new WebAssembly.Instance(module, { ...imports, warden: { fuel: () => 1n << 40n } }).exports;
}

const GROW_TABLE = `(module
  (import "host" "table" (table $t 0 funcref))
  (table $own 0 funcref)
  (func (export "grow") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))
  (func (export "size") (result i32) (table.size $t))
  ;; a table.grow bomb: grow by one until it fails
  (func (export "bomb") (result i32)
    (block $full (loop $l
      (br_if $full (i32.eq (table.grow $t (ref.null func) (i32.const 1)) (i32.const -1)))
      (br $l)))
    (table.size $t))
  (func (export "grow-own") (param i32) (result i32) (table.grow $own (ref.null func) (local.get 0))))`;

test('an imported table cannot grow past the table limit (table.grow gives -1, as at a maximum)', async () => {
  const bytes = await wat(GROW_TABLE);
  const rewritten = instrument(bytes, { tableElements: 100 });
  assert.equal(rewritten.requires.tableCapElements, 100);
  const table = new WebAssembly.Table({ initial: 0, element: 'anyfunc' });
  const e = instantiate(rewritten.bytes, { host: { table } }) as Record<string, (...a: number[]) => number>;
  assert.equal(e.grow!(60), 0);
  assert.equal(e.grow!(60), -1);
  assert.equal(e.grow!(40), 60);
  assert.equal(e.size!(), 100);
  assert.equal(e.grow!(1), -1);
  assert.equal(e.grow!(0), 100);
  assert.equal(e.grow!(0xffffffff), -1);
  assert.equal(table.length, 100);
  // the module's own table is capped by its rewritten maximum
  assert.equal(e['grow-own']!(100), 0);
  assert.equal(e['grow-own']!(1), -1);

  // a bomb stops at the limit
  const fresh = new WebAssembly.Table({ initial: 5, element: 'anyfunc' });
  const b = instantiate(rewritten.bytes, { host: { table: fresh } }) as Record<string, () => number>;
  assert.equal(b.bomb!(), 100);
  assert.equal(fresh.length, 100);

  // without a table limit, the same module grows freely (the rewrite changes nothing else)
  const free = instantiate(instrument(bytes, {}).bytes, { host: { table: new WebAssembly.Table({ initial: 0, element: 'anyfunc' }) } }) as Record<string, (n: number) => number>;
  assert.equal(free.grow!(1000), 0);
  assert.equal(free.grow!(1), 1000);
});

test('multi-memory: growing both memories cannot take them past the memory cap together', async (t) => {
  const text = `(module
    (memory $a 1)
    (memory $b 2)
    (func (export "grow-a") (param i32) (result i32) (memory.grow $a (local.get 0)))
    (func (export "grow-b") (param i32) (result i32) (memory.grow $b (local.get 0)))
    (func (export "pages") (result i32) (i32.add (memory.size $a) (memory.size $b))))`;
  // (wabt's npm build assembles one memory only: binaryen's text parser does several)
  const m = binaryen.parseText(text);
  m.setFeatures(binaryen.Features.MVP | binaryen.Features.MultiMemory | binaryen.Features.BulkMemory);
  const bytes = m.emitBinary();
  m.dispose();
  if (!WebAssembly.validate(bytes)) {
    t.skip(`V8 ${process.versions.v8} (Node ${process.version}) does not run multi-memory modules`);
    return;
  }
  const PAGE = 65536;
  const rewritten = instrument(bytes, { memoryBytes: 10 * PAGE });
  assert.equal(rewritten.requires.initialMemoryBytes, 3 * PAGE);
  const e = instantiate(rewritten.bytes) as Record<string, (...a: number[]) => number>;
  assert.equal(e['grow-a']!(4), 1); // 5 + 2 = 7 pages
  assert.equal(e['grow-b']!(4), -1); // would be 11
  assert.equal(e['grow-b']!(3), 2); // 10: exactly the cap
  assert.equal(e['grow-a']!(1), -1);
  assert.equal(e['grow-b']!(1), -1);
  assert.equal(e['grow-a']!(0), 5);
  assert.equal(e.pages!(), 10);
  // a fresh instance: the other memory's pages count too (1 + 2 + 8 > 10)
  const alone = instantiate(rewritten.bytes) as Record<string, (n: number) => number>;
  assert.equal(alone['grow-b']!(8), -1);
  assert.equal(alone['grow-b']!(7), 2);
  assert.equal(alone['grow-a']!(1), -1);
  // and a module whose memories start above the cap together is refused
  assert.throws(() => instrument(bytes, { memoryBytes: 2 * PAGE }), { kind: 'memory' });
});

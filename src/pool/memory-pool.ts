// Memory pooling: per compiled module and limit profile, a rewritten variant that imports its linear
// memory, and a free list of WebAssembly.Memory objects for it. A memory goes back on the list only if
// it never grew, and is zeroed first: the next run sees what a fresh memory shows (zeros + data segments).
import { instrument } from '../instrument/index.js';
import type { CompiledModule, LimitProfile, ModuleVariant } from '../sandbox/compile.js';
import { MEMORY_IMPORT, memoryToImport, type Unpoolable } from './rewrite.js';
import { MemoryImage, RecycledInstance, recyclePlan, type Unrecyclable } from './recycle.js';

const PAGE = 65536;
/** Memories larger than this are not pooled (zeroing them costs more than V8's fresh, lazily zeroed pages). */
export const POOL_MAX_BYTES = 4 * 1024 * 1024;
/** Idle pooled memory kept, all modules together (zeroed memory is committed: it counts in RSS). */
export const POOL_IDLE_BYTES = 64 * 1024 * 1024;
let idleBytes = 0;
/** A collected pool's idle memories go with it: its share leaves the total. */
const dropped = new FinalizationRegistry<{ bytes: number }>((held) => {
  idleBytes -= held.bytes;
});
/** Free memories kept per module and profile (runs in one thread are sequential: a few suffice). */
export const FREE_PER_MODULE = 4;

export class MemoryPool {
  private readonly free: WebAssembly.Memory[] = [];
  /** Memories handed out and not yet back (so a foreign or double release is ignored). */
  private readonly out = new WeakSet<WebAssembly.Memory>();
  /** This pool's share of idleBytes (held apart from the pool, for the FinalizationRegistry). */
  private readonly share = { bytes: 0 };
  created = 0;
  reused = 0;
  /** Idle recycled instances (src/pool/recycle.ts), each with its memory. */
  private readonly idleInstances: RecycledInstance[] = [];
  /** The memory right after instantiation (zeros + active data), taken from the first recycled instance. */
  private image: MemoryImage | undefined;
  instancesCreated = 0;
  instancesReused = 0;

  constructor(
    /** The rewritten module: it imports `warden.memory`. */
    readonly variant: ModuleVariant,
    readonly initial: number,
    readonly maximum: number | undefined,
    /** The mutable globals to reset when instances are recycled, or why they are not. */
    public recycle: { globals: string[] } | Unrecyclable,
  ) {
    dropped.register(this, this.share);
  }

  /** An instance to reuse (reset to its initial state), a new recyclable one, or undefined if this module's can't be. */
  acquireInstance(): RecycledInstance | undefined {
    if (typeof this.recycle === 'string') return undefined;
    for (let idle = this.idleInstances.pop(); idle; idle = this.idleInstances.pop()) {
      idleBytes -= this.initial * PAGE;
      this.share.bytes -= this.initial * PAGE;
      if (!idle.reset(this.image!)) continue; // grew while idle: dropped
      this.instancesReused++;
      return idle;
    }
    let r: RecycledInstance;
    try {
      r = new RecycledInstance(this.variant.module, this.variant.imports, this.acquire(), MEMORY_IMPORT, this.recycle.globals);
    } catch (e) {
      // Instantiation itself failed (e.g. a data segment out of bounds): runs take the ordinary path,
      // which reports the error as a fresh instantiation would.
      this.recycle = 'instantiation failed';
      return undefined;
    }
    this.out.delete(r.memory);
    this.image ??= new MemoryImage(new Uint8Array(r.memory.buffer));
    this.instancesCreated++;
    return r;
  }

  /** Takes an instance back after its run: kept for a reuse (reset then), or dropped if its memory grew. */
  releaseInstance(r: RecycledInstance): void {
    const bytes = this.initial * PAGE;
    if (!this.image || !r.retire(bytes)) return;
    if (this.idleInstances.length >= FREE_PER_MODULE || idleBytes + bytes > POOL_IDLE_BYTES) return;
    this.idleInstances.push(r);
    idleBytes += bytes;
    this.share.bytes += bytes;
  }

  /** Recycled instances waiting for reuse. */
  get idleInstanceCount(): number {
    return this.idleInstances.length;
  }

  /** A memory of the module's initial size, all zero. */
  acquire(): WebAssembly.Memory {
    let m = this.free.pop();
    if (m) {
      this.reused++;
      idleBytes -= this.initial * PAGE;
      this.share.bytes -= this.initial * PAGE;
    }
    else {
      m = new WebAssembly.Memory(this.maximum === undefined ? { initial: this.initial } : { initial: this.initial, maximum: this.maximum });
      this.created++;
    }
    this.out.add(m);
    return m;
  }

  /** Takes a memory back after its run (its instance must never be called again). Grown memories are dropped. */
  release(m: WebAssembly.Memory): void {
    if (!this.out.has(m)) return;
    this.out.delete(m);
    const bytes = this.initial * PAGE;
    if (m.buffer.byteLength !== bytes || this.free.length >= FREE_PER_MODULE || idleBytes + bytes > POOL_IDLE_BYTES) return;
    new Uint8Array(m.buffer).fill(0);
    this.free.push(m);
    idleBytes += bytes;
    this.share.bytes += bytes;
  }

  /** Idle pooled bytes, all modules together. */
  static get idleBytes(): number {
    return idleBytes;
  }

  /** Memories waiting for reuse. */
  get idle(): number {
    return this.free.length;
  }
}

const pools = new WeakMap<CompiledModule, Map<string, Promise<MemoryPool | Unpoolable>>>();
/** The pools (or verdicts) whose promise has resolved, for a run's fast path (no await). */
const settled = new WeakMap<CompiledModule, Map<string, MemoryPool | Unpoolable>>();
/** Per module, the profile readyPool() last answered for (a run repeats its route's profile: no key string to build). Cleared when `settled` changes. */
const lastReady = new WeakMap<CompiledModule, { memoryBytes: number; tableElements: number; pool: MemoryPool | 'unpoolable' }>();

/**
 * The memory pool of `cm` for `profile`, or why it has none (then run it with its own memory). The
 * variant is instrumented exactly as CompiledModule.variant(profile) (same code, same fuel), then its
 * memory turned into an import whose maximum is the one the memory limit gave it.
 */
export function memoryPool(cm: CompiledModule, profile: LimitProfile): Promise<MemoryPool | Unpoolable> {
  let byProfile = pools.get(cm);
  if (!byProfile) pools.set(cm, (byProfile = new Map()));
  const key = `${profile.memoryBytes}/${profile.tableElements}`;
  let p = byProfile.get(key);
  if (!p) {
    p = (async (): Promise<MemoryPool | Unpoolable> => {
      const { bytes, requires, original } = instrument(cm.source, profile);
      const rw = memoryToImport(bytes);
      if (typeof rw === 'string') return rw;
      if (rw.initial * PAGE > POOL_MAX_BYTES) return 'large memory';
      const plan = recyclePlan(rw.bytes);
      const final = typeof plan === 'string' ? rw.bytes : plan.bytes;
      const shift = rw.codeShift + (typeof plan === 'string' ? 0 : plan.codeShift);
      const module = await WebAssembly.compile(final);
      const variant: ModuleVariant = {
        module,
        requires,
        imports: WebAssembly.Module.imports(module),
        original: (f, off) => original(f, off - shift),
      };
      return new MemoryPool(variant, rw.initial, rw.maximum, typeof plan === 'string' ? plan : { globals: plan.globals });
    })();
    const pending = p;
    pending.then(
      (pool) => {
        if (byProfile!.get(key) !== pending) return; // evicted meanwhile
        let done = settled.get(cm);
        if (!done) settled.set(cm, (done = new Map()));
        done.set(key, pool);
        lastReady.delete(cm);
      },
      () => byProfile!.delete(key),
    );
    byProfile.set(key, p);
    if (byProfile.size > 8) {
      const oldest = byProfile.keys().next().value as string;
      byProfile.delete(oldest);
      settled.get(cm)?.delete(oldest);
      lastReady.delete(cm);
    }
  }
  return p;
}

/**
 * The pool of `cm` for `profile` if it is ready (no await): the MemoryPool, 'unpoolable' if the module has
 * none, or undefined while it is not known yet (then use pooledMemory()).
 */
export function readyPool(cm: CompiledModule, profile: LimitProfile): MemoryPool | 'unpoolable' | undefined {
  const last = lastReady.get(cm);
  if (last !== undefined && last.memoryBytes === profile.memoryBytes && last.tableElements === profile.tableElements) return last.pool;
  const p = settled.get(cm)?.get(`${profile.memoryBytes}/${profile.tableElements}`);
  if (p === undefined) return undefined;
  const pool = p instanceof MemoryPool ? p : 'unpoolable';
  lastReady.set(cm, { memoryBytes: profile.memoryBytes, tableElements: profile.tableElements, pool });
  return pool;
}

export { MEMORY_IMPORT };
export function isPool(p: MemoryPool | Unpoolable): p is MemoryPool {
  return p instanceof MemoryPool;
}

/** One run's pooled memory: the variant to instantiate, the memory to import, and its release. */
export interface PooledMemory {
  variant: ModuleVariant;
  /** The memory to import (as MEMORY_IMPORT). */
  memory: WebAssembly.Memory;
  /**
   * The run's instance: a recycled one bound to these imports' functions, or a new one. `imports` must
   * hold the variant's imports (this run's memory among them).
   */
  instantiate(imports: WebAssembly.Imports): WebAssembly.Instance;
  release(): void;
}

/** (module, profile) pairs run once already: the pooled variant costs a second compile, so a module run only once never pays it. */
const ranOnce = new WeakMap<CompiledModule, Set<string>>();

/**
 * A pooled memory for one run of `cm` under `profile`, or undefined when the module cannot be pooled,
 * or on its first run under this profile (a one-shot run, e.g. the CLI's, does not compile the pooled variant).
 */
export async function pooledMemory(cm: CompiledModule, profile: LimitProfile): Promise<PooledMemory | undefined> {
  const key = `${profile.memoryBytes}/${profile.tableElements}`;
  let seen = ranOnce.get(cm);
  if (!seen) ranOnce.set(cm, (seen = new Set()));
  if (!seen.has(key)) {
    seen.add(key);
    return undefined;
  }
  let p: MemoryPool | Unpoolable;
  try {
    p = await memoryPool(cm, profile);
  } catch {
    return undefined; // the rewrite refused the module: it runs with its own memory, as before
  }
  if (!(p instanceof MemoryPool)) return undefined;
  return takeFrom(p);
}

/** A pooled memory (or recycled instance) of a ready pool, for one run. */
export function takeFrom(pool: MemoryPool): PooledMemory {
  const recycled = pool.acquireInstance();
  if (recycled) {
    const descriptors = pool.variant.imports;
    return {
      variant: pool.variant,
      memory: recycled.memory,
      instantiate(imports) {
        const fns: ((...a: unknown[]) => unknown)[] = [];
        for (const d of descriptors) {
          if (d.kind !== 'function') continue;
          const f = (imports[d.module] as Record<string, unknown> | undefined)?.[d.name];
          if (typeof f !== 'function') throw new Error(`recycled instance: no function for ${d.module}.${d.name}`);
          fns.push(f as (...a: unknown[]) => unknown);
        }
        recycled.bind(fns);
        return recycled.instance;
      },
      release: () => pool.releaseInstance(recycled),
    };
  }
  const memory = pool.acquire();
  return {
    variant: pool.variant,
    memory,
    instantiate: (imports) => new WebAssembly.Instance(pool.variant.module, imports),
    release: () => pool.release(memory),
  };
}

// The route table a server answers from: each route's compiled module (compile() caches by digest, so a
// reload recompiles only changed modules), its admission gate (concurrency + bounded queue) and matching
// of request paths (exact routes first, then the longest "/prefix/..." wildcard).
import { readFileSync, statSync } from 'node:fs';
import { compile, type CompiledModule } from '../sandbox/compile.js';
import type { DirOption, RunLimits } from '../sandbox/options.js';
import { expectDigest, type Digest } from '../trust/digest.js';
import { configError } from '../config/schema.js';
import { WardenError } from '../errors.js';
import { applyPolicy, enforcePolicy, loadPolicyFile, type Policy } from '../policy/index.js';
import { ResponseHeadCache, type CgiRoute } from './cgi.js';
import type { LoadedConfig, RouteSpec } from './config.js';

/** Admission to a route: at most `concurrency` runs at once, at most `queue` more waiting; past that, 503. */
export class Gate {
  active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(
    public concurrency: number,
    public queue: number,
  ) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Whether a new request would be refused now. */
  get full(): boolean {
    return this.active >= this.concurrency && this.waiting.length >= this.queue;
  }

  /**
   * A slot: true (taken now), false (refused: the queue is full), or a place in the queue: `ready` resolves
   * true when a slot is handed over, false if cancel() took the request out of the queue first.
   */
  enter(): boolean | { ready: Promise<boolean>; cancel(): void } {
    if (this.active < this.concurrency) {
      this.active++;
      return true;
    }
    if (this.waiting.length >= this.queue) return false;
    let settle!: (got: boolean) => void;
    const ready = new Promise<boolean>((resolve) => (settle = resolve));
    const wake = (): void => settle(true);
    this.waiting.push(wake);
    return {
      ready,
      cancel: () => {
        const i = this.waiting.indexOf(wake);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          settle(false);
        }
      },
    };
  }

  /** Gives the slot to the next waiting request, or frees it. */
  leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
    // A reload may have lowered the concurrency: slots above it are not handed on.
    while (this.active < this.concurrency && this.waiting.length > 0) {
      this.active++;
      this.waiting.shift()!();
    }
  }
}

/** A route ready to serve. */
export interface Route {
  spec: RouteSpec;
  module: CompiledModule;
  gate: Gate;
  /** The route's part of the CGI environment (its env, under a policy's). */
  cgi: CgiRoute;
  /** Whether the module imports environ_* or args_* (if not, it cannot read the CGI variables: none are built). */
  readsEnvOrArgs: boolean;
  /** The handler's last response header block, parsed (see parseCgiResponse). */
  head: ResponseHeadCache;
  dirs: DirOption[];
  limits: RunLimits;
}

export class RouteTable {
  private readonly exact = new Map<string, Route>();
  /** Longest prefix first. */
  private readonly wildcards: Route[] = [];
  constructor(readonly routes: readonly Route[]) {
    for (const r of routes) {
      if (r.spec.wildcard) this.wildcards.push(r);
      else this.exact.set(r.spec.path, r);
    }
    this.wildcards.sort((a, b) => b.spec.prefix.length - a.spec.prefix.length);
  }

  /** The route for a raw request path: the exact route, else the longest wildcard whose prefix is the path or a parent of it. */
  match(path: string): Route | undefined {
    const exact = this.exact.get(path);
    if (exact) return exact;
    for (const r of this.wildcards) {
      const p = r.spec.prefix;
      if (path.startsWith(p) && (path.length === p.length || path.charCodeAt(p.length) === 47 /* / */ || p.endsWith('/'))) return r;
    }
    return undefined;
  }
}

/**
 * The limits of a route under a policy: what the config sets (already checked against the policy's ceiling),
 * else the lower of the server default and the policy's ceiling.
 */
function layeredLimits(withDefaults: RunLimits, explicit: RunLimits, applied: RunLimits): RunLimits {
  const out: Record<string, unknown> = { ...withDefaults };
  for (const [k, v] of Object.entries(applied)) {
    const d = (withDefaults as Record<string, unknown>)[k];
    if (k in explicit || d === undefined) out[k] = v;
    else if ((typeof d === 'number' || typeof d === 'bigint') && (typeof v === 'number' || typeof v === 'bigint')) out[k] = BigInt(v) < BigInt(d) ? v : d;
  }
  return out as RunLimits;
}

/** Reads, pins and compiles a route's module; every failure is a 'config' error naming the route. */
async function loadModule(spec: RouteSpec): Promise<{ module: CompiledModule; bytes: Uint8Array }> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(spec.modulePath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw configError(spec.where, 'module', `${spec.modulePath}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
  let cm: CompiledModule;
  try {
    cm = await compile(bytes);
  } catch (e) {
    throw configError(spec.where, 'module', `${spec.modulePath}: ${(e as Error).message}`);
  }
  if (spec.digest !== undefined) {
    try {
      expectDigest(`sha256:${cm.digest}` as Digest, spec.digest);
    } catch (e) {
      throw configError(spec.where, 'digest', `${spec.modulePath}: ${(e as Error).message}`);
    }
  }
  if (!cm.functionExports.includes('_start')) {
    throw configError(spec.where, 'module', `${spec.modulePath}: has no _start export (a WAGI handler is a WASI command module)`);
  }
  return { module: cm, bytes };
}

function checkDirs(spec: RouteSpec): DirOption[] {
  return spec.dirs.map((d, i) => {
    let ok = false;
    try {
      ok = statSync(d.host).isDirectory();
    } catch {
      // reported below
    }
    if (!ok) throw configError(spec.where, `dirs[${i}].host`, `${d.host}: no such directory`);
    return { host: d.host, guest: d.guest, readOnly: !d.writable };
  });
}

/**
 * Builds the route table of `config`, reusing the gates of `previous` (by route path), so in-flight
 * counts carry over a reload. Rejects with WardenError('config') naming the first bad route.
 */
export async function buildRoutes(config: LoadedConfig, previous: RouteTable | undefined): Promise<RouteTable> {
  const gates = new Map(previous?.routes.map((r) => [r.spec.path, r.gate]));
  const routes = await Promise.all(
    config.routes.map(async (spec): Promise<Route> => {
      const { module, bytes } = await loadModule(spec);
      let dirs = checkDirs(spec);
      let env: Record<string, string> = spec.env;
      let limits: RunLimits = spec.limits.run;
      if (spec.policyPath !== undefined) {
        // The route's module must pass the policy; the route's dirs, env and limits are layered under it
        // (granted dirs/env only, its limits a ceiling); the server's defaults fill what neither sets.
        const at = (e: unknown): WardenError => configError(spec.where, 'policy', `${spec.policyPath}: ${(e as Error).message}`);
        let policy: Policy;
        try {
          policy = loadPolicyFile(spec.policyPath);
          enforcePolicy(bytes, policy);
        } catch (e) {
          throw at(e);
        }
        try {
          const applied = applyPolicy({ ...(spec.dirs.length > 0 ? { dirs } : {}), env: spec.env, limits: spec.limits.explicit }, policy);
          dirs = applied.dirs;
          env = applied.env;
          limits = layeredLimits(spec.limits.run, spec.limits.explicit, applied.limits);
        } catch (e) {
          throw at(e);
        }
      }
      let gate = gates.get(spec.path);
      if (gate) {
        gate.concurrency = spec.limits.concurrency;
        gate.queue = spec.limits.queue;
      } else gate = new Gate(spec.limits.concurrency, spec.limits.queue);
      const readsEnvOrArgs = module.imports.some((i) => i.module === 'wasi_snapshot_preview1' && /^(?:environ|args)_/.test(i.name));
      return { spec, module, gate, cgi: { path: spec.path, prefix: spec.prefix, wildcard: spec.wildcard, env }, readsEnvOrArgs, dirs, limits, head: new ResponseHeadCache() };
    }),
  );
  return new RouteTable(routes);
}

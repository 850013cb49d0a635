// The server's Prometheus metrics: counters, gauges and a latency histogram by route, rendered in the
// text exposition format (version 0.0.4) for the separate /metrics listener.

import type { IncomingMessage, ServerResponse } from 'node:http';

/** Request duration buckets, in seconds. */
export const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labels = (l: Record<string, string>): string => {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** One route's counters (found with one lookup per request). */
interface RouteStats {
  byStatus: Map<number, { status: string; n: number }>;
  duration: Histogram;
  fuel: number;
}

/** What the server records per request and per route. */
export class ServerMetrics {
  private readonly routes = new Map<string, RouteStats>();
  private readonly limitHits = new Map<string, { route: string; kind: string; n: number }>();
  reloads = 0;
  reloadFailures = 0;
  /** Set by the server: in-flight and queued requests per route, read at scrape time. */
  gauges: () => { route: string; inFlight: number; queued: number }[] = () => [];
  /** Worker threads replaced (deadline backstop), read at scrape time. */
  workersReplaced: () => number = () => 0;
  readonly started = Date.now();

  request(route: string, status: number, seconds: number, fuelUsed: number, limit: string | undefined): void {
    let r = this.routes.get(route);
    if (!r) this.routes.set(route, (r = { byStatus: new Map(), duration: { counts: new Array<number>(DURATION_BUCKETS.length).fill(0), sum: 0, count: 0 }, fuel: 0 }));
    const c = r.byStatus.get(status);
    if (c) c.n++;
    else r.byStatus.set(status, { status: String(status), n: 1 });
    const h = r.duration;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) if (seconds <= DURATION_BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
    if (fuelUsed > 0) r.fuel += fuelUsed;
    if (limit) {
      const lk = `${route}\0${limit}`;
      const l = this.limitHits.get(lk);
      if (l) l.n++;
      else this.limitHits.set(lk, { route, kind: limit, n: 1 });
    }
  }

  /** The Prometheus text exposition. */
  render(): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    };
    family('warden_requests_total', 'counter', 'HTTP requests answered, by route and status ("" route: no route matched).');
    for (const [route, r] of this.routes) for (const c of r.byStatus.values()) out.push(`warden_requests_total${labels({ route, status: c.status })} ${c.n}`);
    family('warden_request_duration_seconds', 'histogram', 'Time from the request headers to the response, by route.');
    for (const [route, { duration: h }] of this.routes) {
      DURATION_BUCKETS.forEach((b, i) => out.push(`warden_request_duration_seconds_bucket${labels({ route, le: String(b) })} ${h.counts[i]}`));
      out.push(`warden_request_duration_seconds_bucket${labels({ route, le: '+Inf' })} ${h.count}`);
      out.push(`warden_request_duration_seconds_sum${labels({ route })} ${h.sum}`);
      out.push(`warden_request_duration_seconds_count${labels({ route })} ${h.count}`);
    }
    family('warden_fuel_used_total', 'counter', 'Fuel (instruction budget units) used by handlers, by route.');
    for (const [route, r] of this.routes) if (r.fuel > 0) out.push(`warden_fuel_used_total${labels({ route })} ${r.fuel}`);
    family('warden_limit_hits_total', 'counter', 'Handler runs ended by a limit or trap, by route and kind (fuel, timeout, memory, output-limit, trap, ...).');
    for (const l of this.limitHits.values()) out.push(`warden_limit_hits_total${labels({ route: l.route, kind: l.kind })} ${l.n}`);
    const g = this.gauges();
    family('warden_requests_in_flight', 'gauge', 'Handler runs in progress, by route.');
    for (const x of g) out.push(`warden_requests_in_flight${labels({ route: x.route })} ${x.inFlight}`);
    family('warden_queue_depth', 'gauge', 'Requests waiting for a handler slot, by route.');
    for (const x of g) out.push(`warden_queue_depth${labels({ route: x.route })} ${x.queued}`);
    family('warden_config_reloads_total', 'counter', 'Configuration reloads applied.');
    out.push(`warden_config_reloads_total ${this.reloads}`);
    family('warden_config_reload_failures_total', 'counter', 'Configuration reloads refused (the previous configuration stayed in use).');
    out.push(`warden_config_reload_failures_total ${this.reloadFailures}`);
    family('warden_workers_replaced_total', 'counter', 'Worker threads terminated and replaced (a run past its deadline backstop).');
    out.push(`warden_workers_replaced_total ${this.workersReplaced()}`);
    family('warden_start_time_seconds', 'gauge', 'When the server started (Unix time).');
    out.push(`warden_start_time_seconds ${Math.floor(this.started / 1000)}`);
    return out.join('\n') + '\n';
  }
}

/**
 * Several processes' /metrics texts as one: samples with the same name and labels summed (counters,
 * histograms, in-flight and queue gauges all add up across processes), the start time the earliest.
 */
export function mergeMetrics(texts: readonly string[]): string {
  const families = new Map<string, { comments: string[]; series: Map<string, number> }>();
  for (const text of texts) {
    let family = families.get('') ?? { comments: [], series: new Map<string, number>() };
    for (const line of text.split('\n')) {
      if (line === '') continue;
      if (line.startsWith('#')) {
        const name = line.split(' ')[2] ?? '';
        let f = families.get(name);
        if (!f) families.set(name, (f = { comments: [], series: new Map() }));
        if (!f.comments.includes(line)) f.comments.push(line);
        family = f;
        continue;
      }
      const sp = line.lastIndexOf(' ');
      const series = line.slice(0, sp);
      const v = Number(line.slice(sp + 1));
      const prev = family.series.get(series);
      family.series.set(series, prev === undefined ? v : series === 'warden_start_time_seconds' ? Math.min(prev, v) : prev + v);
    }
  }
  const out: string[] = [];
  for (const f of families.values()) {
    out.push(...f.comments);
    for (const [k, v] of f.series) out.push(`${k} ${v}`);
  }
  return out.join('\n') + '\n';
}

/** The metrics listener's request handler: `/metrics` answered with `render()` (Prometheus text), anything else 404. */
export function metricsHandler(render: () => string | Promise<string>): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    void Promise.resolve(render()).then((text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(text));
  };
}

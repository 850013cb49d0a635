// Warden's own HTTP/1.1 server for `warden serve` (RFC 9112): a strict request parser (anything ambiguous is a
// 4xx and the connection closed: no request smuggling behind a proxy), keep-alive and pipelining, bounded buffers
// and timeouts swept by one timer. Lighter than node:http, whose stream objects cost as much as a fresh sandbox.
import { STATUS_CODES, type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';

export interface HttpLimits {
  /** Request line + header fields at most, in bytes (431 past it; trailers of a chunked body too). */
  maxHeaderBytes: number;
  /** Header fields at most (431 past it). */
  maxHeaders: number;
  /** From a request's first byte to the end of its header block (408 past it). */
  headerTimeoutMs: number;
  /** From a request's first byte to the end of its body (408 past it). */
  bodyTimeoutMs: number;
  /** A keep-alive connection with no request in progress is closed after this long. */
  idleTimeoutMs: number;
}

/** What a request body read ends in: the bytes, or why not. */
export type BodyResult = Buffer | 'too-large' | 'aborted' | 'timeout' | 'malformed';

/** A client error the parser answered itself (the connection is closed after it), for the server's log. */
export interface ClientError {
  status: number;
  message: string;
  remote: string;
  method: string;
  target: string;
}

const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A field value (after trimming): visible ASCII, latin-1, spaces and tabs; no CR, LF, NUL or other controls. */
const VALUE_RE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** method SP request-target SP HTTP-version (the target: visible ASCII only). */
const REQUEST_LINE_RE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([\x21-\x7e]+) (HTTP\/\d\.\d)$/;
const DIGITS_RE = /^\d{1,15}$/;
/** A Host field value: a reg-name, IPv4 or [IPv6] with an optional port; no list, space or userinfo. */
const HOST_RE = /^(?:[A-Za-z0-9._~!$&'()*+;=%-]*|\[[0-9A-Fa-f:.]+\])(?::\d*)?$/;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');
/** Buffered bytes of a connection whose request is in progress, before the socket is paused (pipelined input). */
const PAUSE_BYTES = 64 * 1024;
/** Output queued on a socket past which the next pipelined request waits for 'drain'. */
const OUTPUT_HIGH_WATER = 64 * 1024;
/** A connection answered and ended on our side is cut this long after if the client keeps it open. */
const LINGER_MS = 2000;
/** Response bodies up to this size are written as one latin1 string with the header block (one write). */
const SMALL_BODY_BYTES = 4096;

/** Request headers node:http keeps only the first of (a repeat is dropped), as IncomingMessage.headers does. */
const SINGLE = new Set(['age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after', 'server', 'user-agent']);

const enum Phase {
  /** Between requests: no byte of the next one yet (idle timeout). */
  Idle,
  /** Part of a request head received (header timeout). */
  Head,
  /** The request was handed over; its body may be read (body timeout while a read waits). */
  Request,
  /** The response is written; waiting for the socket to drain before the next pipelined request. */
  Draining,
  Closed,
}

/** Token characters (RFC 9110 5.6.2), by byte. */
const TCHAR = new Uint8Array(256);
for (const ch of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[ch.charCodeAt(0)] = 1;

/** Whether the bytes received so far of a request head (no CRLFCRLF yet) can still begin with a valid request line. */
function requestLinePrefix(buf: Buffer): boolean {
  const end = Math.min(buf.length, 2048);
  let i = 0;
  while (i < end && TCHAR[buf[i]!] === 1) i++; // method
  if (i === end) return true;
  if (i === 0 || buf[i] !== 32) return false;
  i++;
  const t = i;
  while (i < end && buf[i]! >= 0x21 && buf[i]! <= 0x7e) i++; // target
  if (i === end) return true;
  if (i === t || buf[i] !== 32) return false;
  i++;
  const version = 'HTTP/';
  for (let k = 0; k < version.length && i < end; k++, i++) if (buf[i] !== version.charCodeAt(k)) return false;
  return true; // (the rest is checked when the line is complete)
}

let dateAt = 0;
let dateText = '';
/** The Date header's value, formatted at most once a second. */
function httpDate(): string {
  const now = Date.now();
  if (now - dateAt >= 1000 || now < dateAt) {
    dateAt = now - (now % 1000);
    dateText = new Date(dateAt).toUTCString();
  }
  return dateText;
}

/** One request: its head as parsed, and the calls that read its body and answer it. */
export class HttpRequest {
  /** Names and values as received, flat (name, value, name, value...); values trimmed. */
  readonly rawHeaders: string[];
  private headersObject: IncomingHttpHeaders | undefined;
  /** Set once a response was written or the connection went away. */
  done = false;
  private abortListener: (() => void) | undefined;

  constructor(
    private readonly conn: Connection,
    readonly method: string,
    /** The request target as sent: "/path?query" (or absolute-form). */
    readonly url: string,
    /** "1.1" or "1.0". */
    readonly httpVersion: string,
    rawHeaders: string[],
    /** Declared body length; -1 when chunked; 0 when there is none. */
    readonly contentLength: number,
    readonly expectContinue: boolean,
    readonly remoteAddress: string,
  ) {
    this.rawHeaders = rawHeaders;
  }

  /** True when the request has a body to read (a declared length above 0, or chunked). */
  get hasBody(): boolean {
    return this.contentLength !== 0;
  }

  /** The header fields by lower-case name, as node:http's IncomingMessage.headers gives them (built on first use). */
  get headers(): IncomingHttpHeaders {
    if (this.headersObject) return this.headersObject;
    const h: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
    const raw = this.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const value = raw[i + 1]!;
      const prev = h[name];
      if (prev === undefined) h[name] = name === 'set-cookie' ? [value] : value;
      else if (Array.isArray(prev)) prev.push(value);
      else if (!SINGLE.has(name)) h[name] = `${prev}${name === 'cookie' ? '; ' : ', '}${value}`;
    }
    return (this.headersObject = h as IncomingHttpHeaders);
  }

  /** Reads the whole body, at most `cap` bytes (sending 100 Continue first when the client asked for it). */
  readBody(cap: number): Promise<BodyResult> {
    return this.conn.readBody(this, cap);
  }

  /** Calls `listener` if the connection goes away before this request is answered (replaces an earlier one). */
  onAbort(listener: (() => void) | undefined): void {
    this.abortListener = listener;
  }

  /** @internal */
  aborted(): void {
    if (this.done) return;
    this.done = true;
    const l = this.abortListener;
    this.abortListener = undefined;
    l?.();
  }

  /**
   * Writes the response: `headers` flat (name, value...; already valid field names and values), content-length,
   * date and connection added here. The connection is closed after it when `close`, when the client asked, when
   * the server is draining, or when the request's body was not read to its end.
   */
  respond(status: number, reason: string | undefined, headers: readonly string[], body: string | Buffer, close = false): void {
    if (this.done) return;
    this.done = true;
    this.abortListener = undefined;
    this.conn.respond(this, status, reason, headers, body, close);
  }

  /** Closes the connection without a response. */
  destroy(): void {
    this.done = true;
    this.conn.destroy();
  }
}

/** The server: a net.Server whose connections parse HTTP/1.1 and hand each request to `onRequest`. */
export class HttpServer {
  readonly net: NetServer;
  readonly connections = new Set<Connection>();
  draining = false;
  /** The end of a kept-alive response's header block (as node:http: the idle timeout told to the client). */
  readonly keepAlive: string;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    readonly limits: HttpLimits,
    readonly onRequest: (req: HttpRequest) => void,
    readonly onClientError: (e: ClientError) => void,
  ) {
    this.keepAlive = `connection: keep-alive\r\nkeep-alive: timeout=${Math.max(1, Math.floor(limits.idleTimeoutMs / 1000))}\r\n\r\n`;
    this.net = createNetServer({ noDelay: true }, (socket) => this.connections.add(new Connection(this, socket)));
    const every = Math.max(10, Math.min(1000, Math.floor(Math.min(limits.headerTimeoutMs, limits.bodyTimeoutMs, limits.idleTimeoutMs) / 4)));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  /** Ends connections past their timeout. */
  private sweep(): void {
    const now = Date.now();
    for (const c of this.connections) c.checkTimeout(now);
  }

  /** Closes connections with no request in progress (on shutdown: the others close after their response). */
  closeIdle(): void {
    this.draining = true;
    for (const c of this.connections) if (c.idle) c.destroy();
  }

  /** Stops accepting connections; `done` is called once the listener is closed and every connection is gone. */
  close(done: () => void): void {
    this.draining = true;
    this.net.close(() => {
      clearInterval(this.sweeper);
      done();
    });
    this.closeIdle();
  }

  /** Cuts every connection (the end of a drain timeout). */
  destroyAll(): void {
    for (const c of this.connections) c.destroy();
  }
}

/** A body being read: by declared length, or chunk by chunk (RFC 9112 7.1). */
interface BodyRead {
  cap: number;
  chunks: Buffer[];
  total: number;
  /** Bytes still expected: of the body (declared length) or of the current chunk's data. */
  remaining: number;
  /** Chunked decoding: 'size' line, chunk 'data', the CRLF 'after' data, 'trailer' lines. */
  state: 'length' | 'size' | 'data' | 'after' | 'trailer';
  trailerBytes: number;
  resolve: (r: BodyResult) => void;
}

/** One client connection: the parser's state and the request in progress. */
export class Connection {
  private phase = Phase.Idle;
  /** When the current phase's timeout started (ms since the epoch). */
  private since = Date.now();
  /** When the current request's first byte arrived. */
  private requestStart = 0;
  /** Received bytes not consumed yet (a received chunk itself, or a view of `store`). */
  private buf: Buffer | undefined;
  /** Storage that `buf` is a view of once bytes had to be appended; its first `used` bytes are filled. */
  private store: Buffer | undefined;
  private used = 0;
  /** How far the head's CRLFCRLF search got (bytes arrive in pieces). */
  private scanned = 0;
  private req: HttpRequest | undefined;
  private body: BodyRead | undefined;
  /** The current request's body was read to its end (or it had none). */
  private bodyDone = true;
  /** The current request asked for the connection to end after it. */
  private closeAfter = false;
  private paused = false;
  private readonly remote: string;

  constructor(
    private readonly server: HttpServer,
    private readonly socket: Socket,
  ) {
    this.remote = socket.remoteAddress ?? '';
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => this.onEnd());
    socket.on('error', () => this.destroy());
    socket.on('close', () => this.onClose());
  }

  get idle(): boolean {
    return this.phase === Phase.Idle && this.buf === undefined;
  }

  private onData(d: Buffer): void {
    if (this.phase === Phase.Closed) return; // answered and ending: what the client still sends is dropped
    this.append(d);
    switch (this.phase) {
      case Phase.Idle:
        this.phase = Phase.Head;
        this.since = this.requestStart = Date.now();
        return this.parseHead();
      case Phase.Head:
        return this.parseHead();
      case Phase.Request:
        if (this.body) return this.feedBody();
    }
    // A request in progress (or output not drained) and a client sending more (pipelining) than we keep: stop
    // reading until it is answered.
    if (this.buf!.length > PAUSE_BYTES && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
  }

  /**
   * Adds received bytes to `buf`, in storage that grows by doubling: a head or a chunk-size line arriving a byte
   * at a time costs linear time, not quadratic.
   */
  private append(d: Buffer): void {
    const cur = this.buf;
    if (cur === undefined) {
      this.buf = d;
      return;
    }
    const store = this.store;
    const need = cur.length + d.length;
    if (store !== undefined && cur.buffer === store.buffer && cur.byteOffset + cur.length === store.byteOffset + this.used && store.length - this.used >= d.length) {
      d.copy(store, this.used);
      this.used += d.length;
      this.buf = store.subarray(cur.byteOffset - store.byteOffset, this.used);
      return;
    }
    const grown = Buffer.allocUnsafe(Math.max(4096, need * 2));
    cur.copy(grown, 0);
    d.copy(grown, cur.length);
    this.store = grown;
    this.used = need;
    this.buf = grown.subarray(0, need);
  }

  /** The client ended its side: as node:http does by default, the request in progress counts as abandoned. */
  private onEnd(): void {
    this.destroy();
  }

  private onClose(): void {
    this.phase = Phase.Closed;
    this.server.connections.delete(this);
    if (this.body) this.finishBody('aborted');
    this.req?.aborted();
  }

  destroy(): void {
    this.phase = Phase.Closed;
    if (!this.socket.destroyed) this.socket.destroy();
  }

  private parseHead(): void {
    let buf = this.buf!;
    // RFC 9112 2.2: empty lines before a request line are ignored
    let skip = 0;
    while (skip + 1 < buf.length && buf[skip] === 13 && buf[skip + 1] === 10) skip += 2;
    if (skip > 0) {
      buf = buf.subarray(skip);
      this.buf = buf.length > 0 ? buf : undefined;
      this.scanned = 0;
      if (buf.length === 0) return;
    }
    const end = buf.indexOf(CRLFCRLF, Math.max(0, this.scanned - 3));
    const limits = this.server.limits;
    if (end < 0) {
      if (buf.length > limits.maxHeaderBytes) return this.clientError(431, `request head over ${limits.maxHeaderBytes} bytes`);
      // What can never become a request is refused now rather than at the header timeout: a line ended by a bare
      // LF, or a first line that is not the start of a request line (random bytes, a TLS handshake...).
      for (let i = buf.indexOf(10, this.scanned); i >= 0; i = buf.indexOf(10, i + 1)) {
        if (i === 0 || buf[i - 1] !== 13) return this.clientError(400, 'bare LF in the request head');
      }
      if (this.scanned < 2048 && !requestLinePrefix(buf)) return this.clientError(400, 'malformed request line');
      this.scanned = buf.length;
      return;
    }
    if (end + 2 > limits.maxHeaderBytes) return this.clientError(431, `request head over ${limits.maxHeaderBytes} bytes`);
    const head = buf.toString('latin1', 0, end);
    this.buf = end + 4 < buf.length ? buf.subarray(end + 4) : undefined;
    this.scanned = 0;
    this.parseRequest(head);
  }

  private parseRequest(head: string): void {
    // Lines end in CRLF; a lone CR or LF anywhere is malformed (RFC 9112 2.2: no bare-CR/LF leniency).
    let lineEnd = head.indexOf('\r\n');
    const requestLine = lineEnd < 0 ? head : head.slice(0, lineEnd);
    const m = REQUEST_LINE_RE.exec(requestLine);
    if (!m) {
      return this.clientError(400, requestLine.includes('\n') || requestLine.includes('\r') ? 'bare CR or LF in the request head' : 'malformed request line');
    }
    const method = m[1]!;
    const target = m[2]!;
    const version = m[3]!;
    if (version !== 'HTTP/1.1' && version !== 'HTTP/1.0') return this.clientError(505, `unsupported version ${version}`, method, target);
    const v11 = version === 'HTTP/1.1';
    const limits = this.server.limits;
    const raw: string[] = [];
    let contentLength = -2; // -2: none seen
    let chunked = false;
    let te = false;
    let hosts = 0;
    let expect: string | undefined;
    let connClose = !v11;
    let pos = lineEnd < 0 ? head.length : lineEnd + 2;
    while (pos < head.length) {
      lineEnd = head.indexOf('\r\n', pos);
      const line = lineEnd < 0 ? head.slice(pos) : head.slice(pos, lineEnd);
      pos = lineEnd < 0 ? head.length : lineEnd + 2;
      if (raw.length / 2 >= limits.maxHeaders) return this.clientError(431, `more than ${limits.maxHeaders} header fields`, method, target);
      const colon = line.indexOf(':');
      const name = colon > 0 ? line.slice(0, colon) : '';
      if (!TOKEN_RE.test(name)) {
        const why = line.startsWith(' ') || line.startsWith('\t') ? 'obsolete line folding' : line.includes('\n') || line.includes('\r') ? 'bare CR or LF in the request head' : 'malformed header field';
        return this.clientError(400, why, method, target);
      }
      let a = colon + 1;
      let b = line.length;
      while (a < b && (line.charCodeAt(a) === 32 || line.charCodeAt(a) === 9)) a++;
      while (b > a && (line.charCodeAt(b - 1) === 32 || line.charCodeAt(b - 1) === 9)) b--;
      const value = a === colon + 1 && b === line.length ? line.slice(a) : line.slice(a, b);
      if (!VALUE_RE.test(value)) return this.clientError(400, `invalid characters in header ${name}`, method, target);
      raw.push(name, value);
      // The framing fields, checked here once (names are case-insensitive: compare lengths first).
      switch (name.length) {
        case 4:
          if (name.toLowerCase() === 'host') {
            hosts++;
            // uri-host [":" port]: one authority, not a list
            if (!HOST_RE.test(value)) return this.clientError(400, 'malformed host field', method, target);
          }
          break;
        case 6:
          if (name.toLowerCase() === 'expect') expect = value.toLowerCase();
          break;
        case 10:
          if (name.toLowerCase() === 'connection') {
            for (const t of value.toLowerCase().split(',')) {
              const token = t.trim();
              if (token === 'close') connClose = true;
              else if (token === 'keep-alive' && !v11) connClose = false;
            }
          }
          break;
        case 14:
          if (name.toLowerCase() === 'content-length') {
            if (!DIGITS_RE.test(value)) return this.clientError(400, `invalid content-length ${JSON.stringify(value)}`, method, target);
            const n = Number(value);
            if (contentLength !== -2 && contentLength !== n) return this.clientError(400, 'conflicting content-length fields', method, target);
            contentLength = n;
          }
          break;
        case 17:
          if (name.toLowerCase() === 'transfer-encoding') {
            if (te || value.toLowerCase() !== 'chunked') return this.clientError(501, `unsupported transfer-encoding ${JSON.stringify(value)} (only chunked)`, method, target);
            te = chunked = true;
          }
          break;
      }
    }
    if (te && contentLength !== -2) return this.clientError(400, 'both content-length and transfer-encoding', method, target);
    if (te && !v11) return this.clientError(400, 'transfer-encoding in an HTTP/1.0 request', method, target);
    if (hosts > 1 || (v11 && hosts === 0)) return this.clientError(400, hosts > 1 ? 'more than one host field' : 'no host field', method, target);
    let expectContinue = false;
    if (expect !== undefined) {
      if (expect !== '100-continue') return this.clientError(417, `unsupported expectation ${JSON.stringify(expect)}`, method, target);
      expectContinue = v11;
    }
    const length = chunked ? -1 : contentLength === -2 ? 0 : contentLength;
    this.closeAfter = connClose;
    this.bodyDone = length === 0;
    this.phase = Phase.Request;
    this.since = Date.now();
    const req = (this.req = new HttpRequest(this, method, target, v11 ? '1.1' : '1.0', raw, length, expectContinue, this.remote));
    this.server.onRequest(req);
  }

  /** Answers a request the parser refused, then closes the connection. */
  private clientError(status: number, message: string, method = '', target = ''): void {
    // (the reason may quote the client's bytes: only printable ASCII of it is sent back)
    const body = `${status} ${STATUS_CODES[status]?.toLowerCase() ?? 'error'}: ${message.replace(/[^\x20-\x7e]/g, '?')}\n`;
    this.server.onClientError({ status, message, remote: this.remote, method, target: target.length > 200 ? target.slice(0, 200) + '...' : target });
    this.buf = undefined;
    this.closing();
    if (!this.socket.writable) return void this.socket.destroy();
    this.socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\ndate: ${httpDate()}\r\nconnection: close\r\n\r\n${body}`,
      'latin1',
    );
  }

  /** Ending after a last response: input is dropped from now on, and the sweep cuts a client that lingers. */
  private closing(): void {
    this.phase = Phase.Closed;
    this.since = Date.now();
  }

  /** Reads `req`'s body (see HttpRequest.readBody). */
  readBody(req: HttpRequest, cap: number): Promise<BodyResult> {
    if (req !== this.req || this.phase !== Phase.Request || this.body) return Promise.resolve('aborted');
    if (req.contentLength === 0) return Promise.resolve(Buffer.alloc(0));
    if (req.contentLength > cap) return Promise.resolve('too-large');
    if (req.expectContinue) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    return new Promise((resolve) => {
      this.body = { cap, chunks: [], total: 0, remaining: req.contentLength > 0 ? req.contentLength : 0, state: req.contentLength > 0 ? 'length' : 'size', trailerBytes: 0, resolve };
      this.since = this.requestStart; // the body timeout counts from the request's first byte
      if (this.paused) {
        this.paused = false;
        this.socket.resume();
      }
      this.feedBody();
    });
  }

  private finishBody(r: BodyResult): void {
    const b = this.body!;
    this.body = undefined;
    if (typeof r !== 'string') this.bodyDone = true;
    else this.closeAfter = true; // the rest of the body is not read: the connection cannot carry another request
    b.resolve(r);
  }

  /** Consumes buffered bytes into the body being read. */
  private feedBody(): void {
    const b = this.body!;
    while (this.buf !== undefined && this.body === b) {
      const buf = this.buf;
      switch (b.state) {
        case 'length':
        case 'data': {
          const n = Math.min(b.remaining, buf.length);
          if (b.total + n > b.cap) return this.finishBody('too-large');
          b.chunks.push(n === buf.length ? buf : buf.subarray(0, n));
          b.total += n;
          b.remaining -= n;
          this.buf = n < buf.length ? buf.subarray(n) : undefined;
          if (b.remaining === 0) {
            if (b.state === 'length') return this.finishBody(b.chunks.length === 1 ? b.chunks[0]! : Buffer.concat(b.chunks, b.total));
            b.state = 'after';
          }
          break;
        }
        case 'after':
          if (buf.length < 2) return;
          if (buf[0] !== 13 || buf[1] !== 10) return this.finishBody('malformed');
          this.buf = buf.length > 2 ? buf.subarray(2) : undefined;
          b.state = 'size';
          break;
        case 'size':
        case 'trailer': {
          const nl = buf.indexOf(10);
          const lineLimit = this.server.limits.maxHeaderBytes;
          if (nl < 0) {
            if (buf.length > lineLimit) return this.finishBody('malformed');
            return;
          }
          if (nl === 0 || buf[nl - 1] !== 13) return this.finishBody('malformed');
          const line = buf.toString('latin1', 0, nl - 1);
          this.buf = nl + 1 < buf.length ? buf.subarray(nl + 1) : undefined;
          if (b.state === 'trailer') {
            b.trailerBytes += nl + 1;
            if (b.trailerBytes > lineLimit) return this.finishBody('malformed');
            if (line === '') return this.finishBody(b.chunks.length === 1 ? b.chunks[0]! : Buffer.concat(b.chunks, b.total));
            const colon = line.indexOf(':');
            if (colon <= 0 || !TOKEN_RE.test(line.slice(0, colon)) || !VALUE_RE.test(line.slice(colon + 1))) return this.finishBody('malformed');
            break; // trailer fields are read and dropped
          }
          // chunk-size [BWS ; chunk-ext]: 1 to 16 hex digits
          const semi = line.indexOf(';');
          const hex = semi < 0 ? line : line.slice(0, semi).replace(/[ \t]+$/, '');
          if (!/^[0-9A-Fa-f]{1,16}$/.test(hex) || (semi >= 0 && !VALUE_RE.test(line.slice(semi)))) return this.finishBody('malformed');
          const size = parseInt(hex, 16);
          if (!Number.isSafeInteger(size)) return this.finishBody('too-large');
          if (size === 0) b.state = 'trailer';
          else {
            if (b.total + size > b.cap) return this.finishBody('too-large');
            b.state = 'data';
            b.remaining = size;
          }
          break;
        }
      }
    }
  }

  /** Writes `req`'s response (see HttpRequest.respond), then goes on to the next request of the connection. */
  respond(req: HttpRequest, status: number, reason: string | undefined, list: readonly string[], body: string | Buffer, close: boolean): void {
    if (req !== this.req || this.phase === Phase.Closed) return;
    if (this.body) this.finishBody('aborted'); // answered while its body was still being read
    const closing = close || this.closeAfter || !this.bodyDone || this.server.draining;
    let head = `HTTP/1.1 ${status} ${reason ?? STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    for (let i = 0; i + 1 < list.length; i += 2) head += `${list[i]}: ${list[i + 1]}\r\n`;
    const bodyless = status === 204 || status === 304;
    const bytes = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    if (!bodyless) head += `content-length: ${bytes}\r\n`;
    head += `date: ${httpDate()}\r\n`;
    head += closing ? 'connection: close\r\n\r\n' : this.server.keepAlive;
    const sock = this.socket;
    if (bodyless || bytes === 0 || req.method === 'HEAD') sock.write(head, 'latin1');
    else if (typeof body === 'string') sock.write(head + body, bytes === body.length ? 'latin1' : 'utf8');
    else if (bytes <= SMALL_BODY_BYTES) sock.write(head + body.toString('latin1', 0, bytes), 'latin1');
    else {
      sock.cork();
      sock.write(head, 'latin1');
      sock.write(body);
      sock.uncork();
    }
    this.req = undefined;
    if (closing) {
      this.closing();
      this.buf = undefined;
      sock.end();
      return;
    }
    this.bodyDone = true;
    this.closeAfter = false;
    if (this.paused) {
      this.paused = false;
      sock.resume();
    }
    if (sock.writableLength > OUTPUT_HIGH_WATER) {
      // A client that does not read its responses: the next pipelined request waits until they drain.
      this.phase = Phase.Draining;
      this.since = Date.now();
      sock.once('drain', () => this.next());
      return;
    }
    this.next();
  }

  /** After a response: idle, or on to a pipelined request already buffered (on a later turn, not nested). */
  private next(): void {
    if (this.phase === Phase.Closed) return;
    if (this.buf === undefined) {
      this.phase = Phase.Idle;
      this.since = Date.now();
      return;
    }
    this.phase = Phase.Head;
    this.since = this.requestStart = Date.now();
    setImmediate(() => {
      if (this.phase === Phase.Head && this.buf !== undefined) this.parseHead();
    });
  }

  /** Called by the server's sweep: ends this connection if its phase's time is up. */
  checkTimeout(now: number): void {
    const l = this.server.limits;
    switch (this.phase) {
      case Phase.Idle:
        if (now - this.since > l.idleTimeoutMs) this.destroy();
        break;
      case Phase.Head:
        if (now - this.since > l.headerTimeoutMs) this.clientError(408, `request headers not received within ${l.headerTimeoutMs} ms`);
        break;
      case Phase.Request:
        if (this.body && now - this.requestStart > l.bodyTimeoutMs) this.finishBody('timeout');
        break;
      case Phase.Draining:
        if (now - this.since > l.idleTimeoutMs) this.destroy();
        break;
      case Phase.Closed:
        if (!this.socket.destroyed && now - this.since > LINGER_MS) this.socket.destroy();
        break;
    }
  }
}

/**
 * The one shape every emulator in this folder has, and the pieces they share.
 *
 * Rule for this folder: an emulator imports nothing from `src/providers/` and nothing from the handler it checks,
 * except to mount that handler in front of it. The tables and parsers an emulator needs are its own, written from the
 * seed page and the provider note (`sigv4.ts` is the model): an emulator that borrowed the adapter's table would
 * agree with the adapter's mistakes.
 *
 * An emulator is options + a parser that names the operation + the fault pipeline below + one method per operation.
 * Its refusals extend {@link Refusal} and say in `toResponse()` how the provider writes an error.
 */
import { dropAfter, FaultInjector, FaultKind, waitFor, type FaultTarget } from './faults.js';
import { xmlDocument, type XmlChild } from './xml.js';

/** What every emulator offers tests, the admin routes and the mounts. */
export interface Emulator {
  /** Armed faults. */
  readonly faults: FaultInjector;
  /** Counts of what was served, as JSON. */
  readonly stats: object;
  /** Serves one request addressed to the emulator's base path. */
  handle(request: Request): Promise<Response>;
  /** Forgets every stored object, open session, statistic and fault. */
  reset(): void;
  /** A copy of the bytes stored under `id` (the provider's object key, file id or upload id), or `undefined`. */
  storedBytes(id: string): Uint8Array<ArrayBuffer> | undefined;
  /** The upload sessions neither finished nor cancelled. */
  pending(): readonly object[];
  /** Moves the emulator's clock `ms` ahead until the next reset, so that tokens and URLs expire without a wait; the total. */
  advanceClock(ms: number): number;
}

/** What every emulator's options start with. */
export interface EmulatorOptions {
  /** Where the emulator is mounted on its origin, e.g. `/emulator/s3`; a trailing slash is dropped. */
  basePath: string;
  /** The clock in milliseconds, for expiry and date-window tests; defaults to `Date.now`. */
  now?: () => number;
  /** The origin written into the URLs the emulator hands out; defaults to the origin the request came to, or the page's. */
  origin?: string;
}

/**
 * The skeleton every emulator extends: faults, stats that reset to their empty values, the mount path, the clock, and
 * `handle()`, which serves a request, writes a thrown {@link Refusal} in the provider's dialect and adds the
 * emulator's own headers (request id, CORS). An emulator writes `serve`, `forget`, `storedBytes` and `pending`.
 */
export abstract class EmulatorBase<Stats extends object> implements Emulator {
  /** Armed faults, for tests. */
  readonly faults = new FaultInjector();
  /** Counts since the last reset. */
  readonly stats: Stats;
  /** The mount path, without a trailing slash. */
  readonly basePath: string;
  readonly #origin: string | undefined;
  readonly #clock: () => number;
  #clockAdvancedMs = 0;
  readonly #emptyStats: () => Stats;

  protected constructor(options: EmulatorOptions, emptyStats: () => Stats) {
    this.basePath = options.basePath.replace(/\/+$/, '');
    this.#clock = options.now ?? Date.now;
    this.#origin = options.origin;
    this.#emptyStats = emptyStats;
    this.stats = emptyStats();
  }

  /** Serves one request addressed to `{origin}{basePath}/…`. */
  async handle(request: Request): Promise<Response> {
    const requestId = this.newRequestId();
    let response: Response;
    try {
      response = await this.serve(request, requestId);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      response = error.toResponse(requestId, request.method);
    }
    return withHeaders(response, this.answerHeaders(request, requestId));
  }

  advanceClock(ms: number): number {
    this.#clockAdvancedMs += ms;
    return this.#clockAdvancedMs;
  }

  /** Forgets every stored object, open session, statistic, fault and clock advance. */
  reset(): void {
    this.faults.clear();
    this.#clockAdvancedMs = 0;
    const stats = this.stats as Record<string, unknown>;
    for (const [name, empty] of Object.entries(this.#emptyStats())) {
      const current = stats[name];
      // Lists are emptied in place, so a test holding one sees the reset.
      if (Array.isArray(current)) current.length = 0;
      else stats[name] = empty;
    }
    this.forget();
  }

  abstract storedBytes(id: string): Uint8Array<ArrayBuffer> | undefined;
  abstract pending(): readonly object[];

  /** Serves the request, or throws a {@link Refusal}. */
  protected abstract serve(request: Request, requestId: string): Promise<Response>;
  /** Forgets what the emulator stores (objects, sessions, tokens), for {@link reset}. */
  protected abstract forget(): void;

  /** The emulator's clock in milliseconds. */
  protected now(): number {
    return this.#clock() + this.#clockAdvancedMs;
  }

  /** The origin for the URLs the emulator writes: the `origin` option, else the one `arrivedAt` came to, else the page's. */
  protected urlOrigin(arrivedAt?: URL): string {
    return this.#origin ?? arrivedAt?.origin ?? pageOrigin();
  }

  /** The id this request is known by in the provider's answers. */
  protected newRequestId(): string {
    return randomHex(16);
  }

  /** Headers every answer carries: the request id's header, CORS. */
  protected answerHeaders(_request: Request, _requestId: string): Record<string, string> {
    return {};
  }
}

/** The page's origin when the emulator runs in one; for URLs an emulator writes without an `origin` option. */
function pageOrigin(): string {
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
  if (!origin) throw new Error('An emulator outside a page needs the `origin` option to write URLs');
  return origin;
}

/** `bytes` random bytes as lower-case hex, for request ids, file ids and tokens. */
export function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Options of {@link corsHeaders}: what the provider's CORS rule lets a page do. */
export interface CorsRule {
  methods: string;
  /** Response headers the page may read. */
  exposed: readonly string[];
  /** `*` unless the rule names the page's origin. */
  allowOrigin?: string;
}

/** The CORS headers a bucket or API rule answers with; the headers a preflight asks for are allowed back. */
export function corsHeaders(request: Request, rule: CorsRule): Record<string, string> {
  const headers: Record<string, string> = {
    'access-control-allow-origin': rule.allowOrigin ?? '*',
    'access-control-allow-methods': rule.methods,
    'access-control-expose-headers': rule.exposed.join(', '),
    'access-control-max-age': '3000',
  };
  const requested = request.headers.get('access-control-request-headers');
  if (requested) headers['access-control-allow-headers'] = requested;
  return headers;
}

/** `response` with `extra` headers set; a dropped connection stays a network error, since it has no headers. */
export function withHeaders(response: Response, extra: Record<string, string>): Response {
  if (response.type === 'error') return response;
  const headers = new Headers(response.headers);
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

/** A refusal, thrown inside an emulator and written by `toResponse()` in the provider's own error dialect. */
export abstract class Refusal extends Error {
  constructor(
    readonly status: number,
    /** The provider's own code: a name (`NoSuchUpload`) or a number (COS `-197`, iFlytek `10005`). */
    readonly code: string | number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  /** The provider's error answer; `requestId` is the id the emulator gives this request. */
  abstract toResponse(requestId: string, method: string): Response;
}

/** An error in the object-store XML dialect (S3, OSS, OBS): `<Error><Code/><Message/>…<RequestId/><HostId/></Error>`. */
export class XmlRefusal extends Refusal {
  constructor(
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
    /** Extra children written after `Message`, such as S3's `PartNumber` or `UploadId`. */
    readonly details: readonly XmlChild[] = [],
  ) {
    super(status, code, message, headers);
  }

  toResponse(requestId: string, method: string): Response {
    const headers = new Headers(this.headers);
    // Object stores answer HEAD errors with the status alone: a HEAD response cannot carry the XML.
    if (method === 'HEAD') return new Response(null, { status: this.status, headers });
    headers.set('content-type', 'application/xml');
    const children: XmlChild[] = [
      ['Code', this.code],
      ['Message', this.message],
      ...this.details,
      ['RequestId', requestId],
      ['HostId', randomHex(24)],
    ];
    return new Response(xmlDocument('Error', children, null), { status: this.status, headers });
  }
}

/** An error in a JSON API dialect; `body` writes the provider's own fields (`{code, message}`, `{error_code, error_msg}` …). */
export class JsonRefusal extends Refusal {
  constructor(
    status: number,
    code: string | number,
    message: string,
    readonly body: (requestId: string) => object,
    headers: Record<string, string> = {},
  ) {
    super(status, code, message, headers);
  }

  toResponse(requestId: string, method: string): Response {
    const headers = new Headers(this.headers);
    // A HEAD answer cannot carry the JSON.
    if (method === 'HEAD') return new Response(null, { status: this.status, headers });
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new Response(JSON.stringify(this.body(requestId)), { status: this.status, headers });
  }
}

/**
 * An object store's (S3, OSS, OBS) error for an injected failure: the fault's own `code` when it names one, else
 * 503 is `SlowDown` and anything else `InternalError`.
 */
export function objectStoreFailure(
  status: number,
  retryAfter: string | undefined,
  code?: string,
): { code: string; message: string; headers: Record<string, string> } {
  const slowDown = status === 503;
  const named = code ?? (slowDown ? 'SlowDown' : 'InternalError');
  return {
    code: named,
    message: code ? `The request was refused with ${code}.` : slowDown ? 'Please reduce your request rate.' : 'We encountered an internal error. Please try again.',
    headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
  };
}

/** The steps of the fault pipeline, each named so that a protocol can reorder them. */
export const FaultStep = {
  /** Hold the request (`delay` fault). */
  Delay: 'delay',
  /** Break the connection before answering (`drop` fault). */
  Drop: 'drop',
  /** The emulator's own checks: signature, expiry (and the `expire` fault), body. */
  Authenticate: 'authenticate',
  /** Forget the upload session the request names (`lose-session` fault), so the request meets a missing session. */
  LoseSession: 'lose-session',
  /** Answer with the provider's error for an injected status (`fail` fault). */
  Fail: 'fail',
} as const;
export type FaultStep = (typeof FaultStep)[keyof typeof FaultStep];

/**
 * The order every emulator applies the steps in unless its protocol says otherwise: hold and drop before reading the
 * request, check it, then lose the session or fail it. After these the operation is served, and a `store-then-drop`
 * fault may replace a successful answer with a dropped connection.
 */
export const DEFAULT_FAULT_ORDER: readonly FaultStep[] = [
  FaultStep.Delay,
  FaultStep.Drop,
  FaultStep.Authenticate,
  FaultStep.LoseSession,
  FaultStep.Fail,
];

/** What an emulator plugs into {@link serveWithFaults}. */
export interface FaultPipeline {
  faults: FaultInjector;
  request: Request;
  target: FaultTarget;
  /** The emulator's checks; an `expire` fault is for it to take, as only it knows how an expired URL is refused. */
  authenticate?: () => void | Promise<void>;
  /** Forgets the session the request names; without it a `lose-session` fault does not apply to this request. */
  forgetSession?: () => void;
  /** Throws (or returns) the provider's error for an injected failure, with the fault's own `code` where it names one. */
  fail: (status: number, retryAfter: string | undefined, code: string | undefined) => Response;
  /** Serves the operation. */
  serve: () => Promise<Response>;
  /** A protocol's own order, e.g. one that must read the body before a delay; defaults to {@link DEFAULT_FAULT_ORDER}. */
  order?: readonly FaultStep[];
  /**
   * The request body's length, asked only when a `drop` fault with `afterBytes` fires: one whose `afterBytes` covers
   * the body lets the request take effect and loses only the answer, as when a connection breaks after the server read
   * it all. Without it, such a fault breaks the connection after `afterBytes` whatever the length.
   */
  bodyLength?: () => number | Promise<number>;
}

/**
 * Runs one request through the fault steps in order, then serves it. A `store-then-drop` fault lets the operation
 * take effect (the bytes are stored) and then breaks the connection before the client reads the answer; a
 * `slow-answer` fault lets it take effect and holds the answer.
 */
export async function serveWithFaults(pipeline: FaultPipeline): Promise<Response> {
  const { faults, request, target } = pipeline;
  let answerLost = false;
  for (const step of pipeline.order ?? DEFAULT_FAULT_ORDER) {
    switch (step) {
      case FaultStep.Delay: {
        const delay = faults.take(FaultKind.Delay, target);
        if (!delay) break;
        await waitFor(delay.ms ?? 0, request.signal);
        // A client gone during the delay is not served, or it would spend faults armed for later requests.
        if (request.signal.aborted) return Response.error();
        break;
      }
      case FaultStep.Drop: {
        const drop = faults.take(FaultKind.Drop, target);
        if (!drop) break;
        const afterBytes = drop.afterBytes ?? 0;
        if (afterBytes === 0 || !pipeline.bodyLength || (await pipeline.bodyLength()) > afterBytes) return dropAfter(request, afterBytes);
        answerLost = true;
        break;
      }
      case FaultStep.Authenticate:
        await pipeline.authenticate?.();
        break;
      case FaultStep.LoseSession:
        if (pipeline.forgetSession && faults.take(FaultKind.LoseSession, target)) pipeline.forgetSession();
        break;
      case FaultStep.Fail: {
        const failure = faults.take(FaultKind.Fail, target);
        if (failure) return pipeline.fail(failure.status ?? 500, failure.retryAfter, failure.code);
        break;
      }
    }
  }
  const response = await pipeline.serve();
  const slow = faults.take(FaultKind.SlowAnswer, target);
  if (slow) await waitFor(slow.ms ?? 0);
  return answerLost ? Response.error() : dropAfterStoring(faults, target, response);
}

/**
 * The `store-then-drop` step on its own, for an emulator that serves outside {@link serveWithFaults}: a successful
 * answer becomes a dropped connection once, the effect it reports already made.
 */
export function dropAfterStoring(faults: FaultInjector, target: FaultTarget, response: Response): Response {
  if (response.ok && faults.take(FaultKind.StoreThenDrop, target)) return Response.error();
  return response;
}

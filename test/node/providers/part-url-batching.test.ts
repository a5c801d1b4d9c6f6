// The batched part URLs of the two parallel modes that carry hash contexts (KooDrive `hashCtx`, PDS
// `parallel_sha1_ctx`): four lanes over the adapter's own uploadPart, the contexts coming in one after another at
// random pace (slower or faster than the requests), every request answering after a random delay. A lost wake-up
// or an ordering race between lanes that share one URL call would leave a lane waiting with nothing left to come.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createKooDriveAdapter } from '../../../src/providers/huawei-koodrive.js';
import { createAliyunPdsAdapter } from '../../../src/providers/aliyun-pds.js';
import type { AdapterContext, ProviderAdapter } from '../../../src/core/adapter.js';
import type { HttpRequest, HttpResponse } from '../../../src/core/http.js';

const PART_COUNT = 20;
const PART_SIZE = 64;
const LANES = 4;
const ROUNDS = 60;
const STALL_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A seeded generator, so that a failing round can be told apart and replayed. */
function random(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 2 ** 32;
  };
}

function reply(request: HttpRequest, status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return { status, headers: { get: (name) => headers[name] ?? null }, text: JSON.stringify(body), url: request.url };
}

interface Service {
  /** Answers one API call or part PUT; `hashed` says which parts' contexts exist so far. */
  answer(request: HttpRequest, hashed: ReadonlySet<number>): HttpResponse;
}

const kooDrive: Service = {
  answer(request, hashed) {
    if (request.method === 'PUT') return reply(request, 200, {});
    const body = JSON.parse(String(request.body)) as { multiParts?: Array<{ partNumber: number; hashCtx?: number[] }> };
    if (request.url.endsWith('/files/create')) return reply(request, 200, { code: '0', fileId: 'F', uploadId: 'U', fileName: 'f' });
    if (request.url.endsWith('/multipart/uploadUrl')) {
      const parts = body.multiParts ?? [];
      for (const part of parts) assert.ok(part.partNumber === 1 || hashed.has(part.partNumber), `part ${part.partNumber}'s context before it exists`);
      return reply(request, 200, { code: '0', multiParts: parts.map((part) => ({ partNumber: part.partNumber, uploadUrl: `https://obs.test/${part.partNumber}` })) });
    }
    return reply(request, 200, { code: '0' });
  },
};

const pds: Service = {
  answer(request, hashed) {
    if (request.method === 'PUT') return reply(request, 200, {}, { ETag: `"${request.url}"` });
    const body = JSON.parse(String(request.body)) as { part_info_list?: Array<{ part_number: number; parallel_sha1_ctx?: unknown }> };
    const urls = (body.part_info_list ?? []).map((part) => {
      if (part.parallel_sha1_ctx !== undefined) assert.ok(part.part_number === 1 || hashed.has(part.part_number), `part ${part.part_number}'s context before it exists`);
      return { part_number: part.part_number, upload_url: `https://oss.test/${part.part_number}`, content_type: '' };
    });
    if (request.url.endsWith('/create')) return reply(request, 201, { file_id: 'F', upload_id: 'U', part_info_list: urls });
    return reply(request, 200, { part_info_list: urls });
  },
};

async function round(adapter: ProviderAdapter, service: Service, next: () => number, hashSlowness: number): Promise<'done' | 'stalled'> {
  const size = PART_COUNT * PART_SIZE;
  const hashed = new Set<number>();
  const reached: Array<() => void> = [];
  const contexts = Array.from({ length: PART_COUNT + 2 }, (_, n) => new Promise<void>((resolve) => (reached[n] = resolve)));
  void (async () => {
    for (let n = 1; n <= PART_COUNT + 1; n++) {
      await sleep(next() * hashSlowness);
      hashed.add(n);
      reached[n]!();
    }
  })();
  const blob = new Blob([new Uint8Array(size)]);
  const ctx: AdapterContext = {
    file: { name: 'f.bin', size, type: '', lastModified: 0 },
    blob,
    plan: { partSize: PART_SIZE, partCount: PART_COUNT },
    signal: new AbortController().signal,
    receipts: [],
    saveSession: async () => undefined,
    digest: async (_name, partNumber) => {
      await contexts[partNumber ?? PART_COUNT + 1];
      return partNumber === undefined ? '00' : [1, 2, 3, 4, 5, 6, 7, 8];
    },
    send: async (request) => {
      await sleep(next() * 3);
      return service.answer(request, hashed);
    },
  };
  const created = await adapter.create(ctx);
  assert.equal(created.kind, 'session');
  const session = created.kind === 'session' ? created.session : undefined;
  let taken = 0;
  const lane = async () => {
    while (taken < PART_COUNT) {
      const partNumber = ++taken;
      const offset = (partNumber - 1) * PART_SIZE;
      await adapter.uploadPart(ctx, session, { partNumber, offset, size: PART_SIZE, blob: blob.slice(offset, offset + PART_SIZE) });
    }
  };
  const lanes = Promise.all(Array.from({ length: LANES }, lane)).then(() => 'done' as const);
  let timer: NodeJS.Timeout | undefined;
  const stall = new Promise<'stalled'>((resolve) => (timer = setTimeout(() => resolve('stalled'), STALL_MS)));
  return Promise.race([lanes, stall]).finally(() => clearTimeout(timer));
}

const adapters: Array<[string, () => ProviderAdapter, Service]> = [
  ['KooDrive parallel', () => createKooDriveAdapter({ endpoint: 'https://koodrive.test', mode: 'parallel', rapidUpload: false, urlBatchSize: 5 }), kooDrive],
  [
    'PDS parallel',
    () => createAliyunPdsAdapter({ endpoint: 'https://pds.test', getToken: () => 'token', driveId: '1', parallelUpload: true, rapidUpload: false }),
    pds,
  ],
];

for (const [name, make, service] of adapters) {
  test(`${name}: lanes sharing batched part URL calls never stall, whether hashing is slower or faster than the requests`, async () => {
    for (let seed = 1; seed <= ROUNDS; seed++) {
      // Hashing from far faster (0 ms per context) to far slower (up to 8 ms) than a request (up to 3 ms).
      const outcome = await round(make(), service, random(seed), [0, 1, 8][seed % 3]!);
      assert.equal(outcome, 'done', `round ${seed} left a lane waiting`);
    }
  });
}

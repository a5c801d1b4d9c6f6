import { expect } from '@open-wc/testing';
import { setupWorker } from 'msw/browser';
import { HttpResponse, getResponse, http } from 'msw';
import { createStore, entries, set } from 'idb-keyval';
import { S3Emulator } from '../../src/emulators/s3-emulator.js';
import { emulatorHandlers } from '../../src/emulators/msw.js';
import { UploadManager } from '../../src/core/upload-manager.js';
import type { UploadManagerOptions } from '../../src/core/upload-manager.js';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { createS3Adapter, parseS3Error } from '../../src/providers/s3.js';
import type { S3AdapterOptions, S3Session } from '../../src/providers/s3.js';
import type { ProviderAdapter } from '../../src/core/adapter.js';
import { companionBackendHandlers } from '../helpers/s3-companion-backend.js';
import { fileWithBytes } from '../helpers/make-blob.js';
import { once, uploadOutcome, leavePageAfter } from '../helpers/manager-events.js';
import { describeAdapterContract } from './adapter-contract.js';
import { ADAPTER_HARNESSES } from './adapter-harnesses.js';
import { releaseManagers } from '../helpers/manager-fixture.js';

const MiB = 1024 * 1024;
const KEY_PAIR = { accessKeyId: 'AKIDCONTRACT0000000', secretAccessKey: 'contract-secret-key' };

const emulator = new S3Emulator({ basePath: '/emulator/s3', bucket: 'mcu-bucket', credentials: KEY_PAIR });
const worker = setupWorker(...emulatorHandlers(emulator), ...companionBackendHandlers(emulator, { basePath: '/api' }));

function fileOf(size: number, name = 'contract.bin', seed = 7): { file: File; bytes: Uint8Array<ArrayBuffer> } {
  return fileWithBytes(size, name, seed);
}

/**
 * Waits until no part has reached the emulator for 300 ms. A part whose body had all left when the page paused can
 * still land after it, and would otherwise count as one the next visit sent.
 */
async function partsSettled(): Promise<void> {
  for (let seen = -1; seen !== emulator.stats.partNumbersReceived.length; ) {
    seen = emulator.stats.partNumbersReceived.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe('S3 adapter against the strict emulator (in the page)', () => {
  let dbName: string;
  let waits: number[];
  const managers: UploadManager[] = [];

  function setup(adapterOptions: S3AdapterOptions = {}, options: Partial<UploadManagerOptions> = {}, adapter?: ProviderAdapter) {
    const manager = new UploadManager({
      adapter: adapter ?? createS3Adapter({ endpoint: `${location.origin}/api`, ...adapterOptions }),
      checkpointStore: new CheckpointStore({ dbName }),
      partSize: 5 * MiB,
      retryHooks: { wait: async (ms) => void waits.push(ms), random: () => 0 },
      ...options,
    });
    managers.push(manager);
    return manager;
  }

  const upload = uploadOutcome;

  before(() => worker.start({ quiet: true, onUnhandledRequest: 'bypass' }));
  after(() => worker.stop());
  beforeEach(() => {
    dbName = `mcu-contract-${crypto.randomUUID()}`;
    waits = [];
    emulator.reset();
    emulator.faults.clear();
  });
  afterEach(async () => {
    await releaseManagers(managers, dbName);
  });

  it('uploads a multipart file with Content-MD5 per part, stored byte for byte', async () => {
    const { file, bytes } = fileOf(12 * MiB + 3);
    const { result, error } = await upload(setup(), file);
    expect(error).to.equal(undefined);
    expect(emulator.storedBytes(result!.key as string)).to.deep.equal(bytes);
    expect(emulator.stats.partNumbersReceived.sort()).to.deep.equal([1, 2, 3]);
    expect(emulator.stats.complete).to.equal(1);
  });

  it('signs the next parts\' URLs while a part uploads, so that a lane does not wait for its signature', async () => {
    const order: string[] = [];
    const label = (request: Request) => {
      const url = new URL(request.url);
      const signed = /\/api\/s3\/multipart\/[^/]+\/(\d+)$/.exec(url.pathname);
      if (signed) return `sign ${signed[1]}`;
      return request.method === 'PUT' && url.searchParams.has('partNumber') ? `PUT ${url.searchParams.get('partNumber')}` : undefined;
    };
    worker.events.on('request:start', ({ request }) => {
      const what = label(request);
      if (what) order.push(`${what} asked`);
    });
    worker.events.on('response:mocked', ({ request }) => {
      const what = label(request);
      if (what?.startsWith('PUT')) order.push(`${what} stored`);
    });
    try {
      const { file, bytes } = fileOf(15 * MiB + 5);
      const { result, error } = await upload(setup({}, { concurrency: 1 }), file);
      expect(error).to.equal(undefined);
      expect(emulator.storedBytes(result!.key as string)).to.deep.equal(bytes);
      // One lane: before, each part's signature was asked for only after the part before it was stored.
      expect(order.indexOf('sign 2 asked')).to.be.lessThan(order.indexOf('PUT 1 stored'));
      expect(order.indexOf('sign 3 asked')).to.be.lessThan(order.indexOf('PUT 2 stored'));
      expect(order.filter((entry) => entry.startsWith('sign')), 'each part signed once').to.have.length(4);
    } finally {
      worker.events.removeAllListeners();
    }
  });

  it('signs and verifies a CRC32C checksum header instead of Content-MD5', async () => {
    const { file, bytes } = fileOf(11 * MiB);
    const { result, error } = await upload(setup({ checksum: 'crc32c' }), file);
    expect(error).to.equal(undefined);
    expect(emulator.storedBytes(result!.key as string)).to.deep.equal(bytes);
  });

  it('sends a small file in one request, and a 0-byte file as an empty object', async () => {
    const small = fileOf(1000, 'small.txt');
    const { result } = await upload(setup(), small.file);
    expect(emulator.stats.postObject).to.equal(1);
    expect(emulator.stats.create).to.equal(0);
    expect(emulator.storedBytes(result!.key as string)).to.deep.equal(small.bytes);

    const empty = new File([], 'empty.txt');
    const second = await upload(setup(), empty);
    expect(second.error).to.equal(undefined);
    expect(emulator.storedBytes(second.result!.key as string)).to.deep.equal(new Uint8Array(0));
  });

  it('has the backend sign a small file\'s x-amz-checksum header too, which the store then verifies', async () => {
    const small = fileOf(1000, 'small-crc.txt');
    const { result, error } = await upload(setup({ checksum: 'crc32c' }), small.file);
    expect(error).to.equal(undefined);
    expect(emulator.stats.putObject).to.equal(1);
    expect(emulator.storedBytes(result!.key as string)).to.deep.equal(small.bytes);
  });

  it('retries a single PUT whose answer was lost after the store kept the bytes to the same key: one object', async () => {
    const keys: string[] = [];
    let dropped = 0;
    worker.use(
      http.put('*/emulator/s3/*', async ({ request }) => {
        keys.push(new URL(request.url).pathname);
        const response = await emulator.handle(request);
        // The store kept the object; the connection breaks before the page hears so.
        if (response.ok && dropped++ === 0) return Response.error();
        return response;
      }),
    );
    try {
      const small = fileOf(1000, 'lost-answer.txt');
      const { result, error } = await upload(setup({ checksum: 'crc32' }), small.file);
      expect(error).to.equal(undefined);
      expect(keys).to.have.length(2);
      expect(new Set(keys).size).to.equal(1);
      expect(emulator.stats.putObject).to.equal(2);
      expect(emulator.storedBytes(result!.key as string)).to.deep.equal(small.bytes);
    } finally {
      worker.resetHandlers();
    }
  });

  /** The key a single request wrote to: a PUT's path, or a POST form's `key` field. */
  async function keyWritten(request: Request): Promise<string> {
    if (request.method === 'PUT') return decodeURIComponent(new URL(request.url).pathname.replace(/^\/emulator\/s3\/mcu-bucket\//, ''));
    return String((await request.clone().formData()).get('key'));
  }

  for (const method of ['POST', 'PUT'] as const) {
    const operation = method === 'POST' ? 'PostObject' : 'PutObject';
    const stored = () => (method === 'POST' ? emulator.stats.postObject : emulator.stats.putObject);
    const intercept = method === 'POST' ? http.post : http.put;

    it(`signs a single ${method} again only when its signature expired, and then for the key the first answer named`, async () => {
      const fault = emulator.faults.expireUrls({ operation, times: 1 });
      emulator.faults.failRequest({ operation }, { status: 500, times: 1 });
      const asked: Array<string | null> = [];
      worker.use(
        http.get('*/api/s3/params', ({ request }) => {
          asked.push(new URL(request.url).searchParams.get('key'));
          expect(new URL(request.url).searchParams.get('method')).to.equal(method);
          return getResponse(companionBackendHandlers(emulator, { basePath: '/api' }), request);
        }),
      );
      try {
        const small = fileOf(1000, 'expired-single.txt');
        const { result, error } = await upload(setup({ singleMethod: method }), small.file);
        expect(error).to.equal(undefined);
        expect(fault.fired).to.equal(1);
        expect(asked).to.deep.equal([null, result!.key]);
        expect(stored()).to.equal(1);
        expect(emulator.storedBytes(result!.key as string)).to.deep.equal(small.bytes);
      } finally {
        worker.resetHandlers();
      }
    });

    it(`after a reload, sends a single ${method} whose answer never came to the same key: one object`, async () => {
      const keys = new Set<string>();
      let held = true;
      worker.use(
        intercept('*/emulator/s3/*', async ({ request }) => {
          keys.add(await keyWritten(request));
          const response = await emulator.handle(request);
          // The store keeps the bytes; the page goes away before the answer reaches it.
          while (held) await new Promise((resolve) => setTimeout(resolve, 20));
          return response;
        }),
      );
      try {
        const small = fileOf(1000, 'reloaded-single.txt');
        const first = setup({ singleMethod: method });
        await first.addFiles([small.file]);
        first.start();
        while (stored() === 0) await new Promise((resolve) => setTimeout(resolve, 20));
        first.pause();
        await once(first, 'task-state', (d) => d.state === 'paused');
        first.dispose();
        held = false;

        const { result, error } = await upload(setup({ singleMethod: method }), small.file);
        expect(error).to.equal(undefined);
        expect(stored()).to.equal(2);
        expect([...keys]).to.deep.equal([result!.key]);
        expect(emulator.storedBytes(result!.key as string)).to.deep.equal(small.bytes);
      } finally {
        worker.resetHandlers();
      }
    });
  }

  it('sends a small file as a form under a POST policy by default, whose Content-MD5 the store checks: a damaged file is sent again', async () => {
    let damaged = 0;
    worker.use(
      http.post('*/emulator/s3/mcu-bucket', async ({ request }) => {
        const form = await request.clone().formData();
        if (damaged++ > 0) return emulator.handle(request);
        const file = new Uint8Array(await (form.get('file') as File).arrayBuffer());
        file[0] ^= 1;
        form.set('file', new Blob([file]));
        const answer = await emulator.handle(new Request(request.url, { method: 'POST', body: form }));
        expect(answer.status).to.equal(400);
        expect(await answer.clone().text()).to.contain('BadDigest');
        return answer;
      }),
    );
    try {
      const small = fileOf(1000, 'form.txt');
      const { result, error } = await upload(setup(), small.file);
      expect(error).to.equal(undefined);
      expect(damaged).to.equal(2);
      expect(emulator.stats.postObject).to.equal(1);
      expect(emulator.stats.putObject).to.equal(0);
      expect(emulator.storedBytes(result!.key as string)).to.deep.equal(small.bytes);
      expect(result!.location).to.equal(`${location.origin}/emulator/s3/mcu-bucket/${(result!.key as string).split('/').map(encodeURIComponent).join('/')}`);
    } finally {
      worker.resetHandlers();
    }
  });

  it('takes Uppy Companion\'s POST answer as it is: key only among the fields, 201 with XML, no Content-MD5 bound', async () => {
    worker.use(
      http.get('*/api/s3/params', async ({ request }) => {
        const query = new URL(request.url).searchParams;
        const key = `companion/${query.get('filename')}`;
        const fields = await emulator.presignPost({ key, fields: { success_action_status: '201', 'content-type': query.get('type') ?? '' }, expiresIn: 300 });
        return HttpResponse.json({ method: 'POST', url: emulator.bucketUrl(), fields, expires: 300 });
      }),
    );
    try {
      const small = fileOf(1000, 'from-companion.txt');
      const { result, error } = await upload(setup(), small.file);
      expect(error).to.equal(undefined);
      expect(result!.key).to.equal('companion/from-companion.txt');
      expect(result!.location).to.equal(`${location.origin}/emulator/s3/mcu-bucket/companion/from-companion.txt`);
      expect(emulator.storedBytes('companion/from-companion.txt')).to.deep.equal(small.bytes);
    } finally {
      worker.resetHandlers();
    }
  });

  it('goes on with presigned PUTs when the store has no POST Object (as R2), for this file and the next', async () => {
    const methods: Array<string | null> = [];
    worker.use(
      http.get('*/api/s3/params', ({ request }) => {
        methods.push(new URL(request.url).searchParams.get('method'));
        return getResponse(companionBackendHandlers(emulator, { basePath: '/api' }), request);
      }),
      http.post('*/emulator/s3/mcu-bucket', () =>
        new HttpResponse('<Error><Code>NotImplemented</Code><Message>POST Object is not implemented</Message></Error>', {
          status: 501,
          headers: { 'content-type': 'application/xml' },
        }),
      ),
    );
    try {
      const manager = setup();
      const one = fileOf(1000, 'one.txt');
      const two = fileOf(2000, 'two.txt', 9);
      const first = await upload(manager, one.file);
      expect(first.error).to.equal(undefined);
      const second = await upload(manager, two.file);
      expect(second.error).to.equal(undefined);
      expect(methods).to.deep.equal(['POST', 'PUT', 'PUT']);
      expect(emulator.stats.putObject).to.equal(2);
      expect(emulator.storedBytes(second.result!.key as string)).to.deep.equal(two.bytes);
    } finally {
      worker.resetHandlers();
    }
  });

  it('never plans a part under the 5 MiB minimum, whatever part size is asked', async () => {
    const { file } = fileOf(12 * MiB);
    const { error } = await upload(setup({}, { partSize: 1 * MiB }), file);
    expect(error).to.equal(undefined);
    expect(emulator.stats.uploadPart).to.equal(3);
  });

  it('surfaces the emulator\'s EntityTooSmall as limit-exceeded when parts are too small', async () => {
    const base = createS3Adapter({ endpoint: `${location.origin}/api` });
    const tooSmall: ProviderAdapter<S3Session> = { ...base, planParts: (file) => ({ partSize: MiB, partCount: Math.ceil(file.size / MiB) }) };
    const { file } = fileOf(3 * MiB);
    const { error } = await upload(setup({}, {}, tooSmall), file);
    expect(error?.code).to.equal('limit-exceeded');
    expect(error?.provider?.code).to.equal('EntityTooSmall');
  });

  it('retries a part whose Content-MD5 the store refused (BadDigest), and fails with hash-mismatch if it persists', async () => {
    const base = createS3Adapter({ endpoint: `${location.origin}/api` });
    let corruptions = 1;
    const flaky: ProviderAdapter<S3Session> = {
      ...base,
      uploadPart: (ctx, session, part) =>
        base.uploadPart(
          // Part 2's digest is the wrong one whichever part's upload asks for it (its URL may be signed ahead).
          { ...ctx, digest: async (name, n) => (n === 2 && corruptions-- > 0 ? 'AAAAAAAAAAAAAAAAAAAAAA==' : ctx.digest(name, n)) },
          session,
          part,
        ),
    };
    const { file, bytes } = fileOf(10 * MiB + 1);
    const { result, error } = await upload(setup({}, {}, flaky), file);
    expect(error).to.equal(undefined);
    expect(emulator.storedBytes(result!.key as string)).to.deep.equal(bytes);

    corruptions = Infinity;
    const again = await upload(setup({}, {}, flaky), fileOf(10 * MiB + 1, 'other.bin', 8).file);
    expect(again.error?.code).to.equal('hash-mismatch');
    expect(again.error?.provider?.code).to.equal('BadDigest');
    expect(again.error?.message).to.contain('Content-MD5');
  });

  it('names the checksum the store refused as not matching the bytes', async () => {
    const base = createS3Adapter({ endpoint: `${location.origin}/api`, checksum: 'sha1' });
    const wrong: ProviderAdapter<S3Session> = {
      ...base,
      // A SHA-1 of other bytes, well formed, signed by the backend: only the store can tell it is wrong.
      uploadPart: (ctx, session, part) => base.uploadPart({ ...ctx, digest: async () => 'L9ThxnotKPzthJ7hu3bnORuT6xI=' }, session, part),
    };
    const { error } = await upload(setup({}, {}, wrong), fileOf(1000, 'wrong-sha1.txt').file);
    expect(error?.code).to.equal('hash-mismatch');
    expect(error?.message).to.match(/SHA-?1/i);
  });

  it('fails with cors-blocked, naming ExposeHeaders, when the part ETag is not readable', async () => {
    // A response without a readable ETag is what the page sees when the bucket's CORS rule does not expose it.
    worker.use(
      http.put('*/emulator/s3/*', async ({ request }) => {
        const response = await emulator.handle(request);
        const headers = new Headers(response.headers);
        headers.delete('ETag');
        return new Response(response.body, { status: response.status, headers });
      }),
    );
    try {
      const { error } = await upload(setup(), fileOf(10 * MiB + 1).file);
      expect(error?.code).to.equal('cors-blocked');
      expect(error?.retryable).to.equal(false);
      expect(error?.message).to.contain('ExposeHeaders');
      expect(emulator.stats.complete).to.equal(0);
    } finally {
      worker.resetHandlers();
    }
  });

  /** The companion backend behind `route`, as a backend would be that drops the checksum the page asked it to sign. */
  const backendDroppingChecksum = (route: string) =>
    http.get(route, async ({ request }) => {
      const url = new URL(request.url);
      url.searchParams.delete('checksumAlgorithm');
      url.searchParams.delete('checksum');
      return getResponse(companionBackendHandlers(emulator, { basePath: '/api' }), new Request(url, { headers: request.headers }));
    });

  it('says a backend left a header unsigned (HeadersNotSigned), not that it signed the wrong bucket or key', async () => {
    // A backend that drops the checksum the page asked for: the page still sends x-amz-checksum-crc32c.
    worker.use(backendDroppingChecksum('*/api/s3/multipart/:uploadId/:partNumber'));
    try {
      const { error } = await upload(setup({ checksum: 'crc32c' }), fileOf(10 * MiB + 1).file);
      expect(error?.code).to.equal('provider-rejected');
      expect(error?.retryable).to.equal(false);
      expect(error?.provider?.code).to.equal('AccessDenied');
      expect(error?.message).to.contain('does not cover');
      expect(error?.message).to.contain('x-amz-checksum-crc32c');
      expect(error?.message).not.to.contain('wrong bucket or key');
    } finally {
      worker.resetHandlers();
    }
  });

  it('names the unsigned checksum header of a single PUT too', async () => {
    worker.use(backendDroppingChecksum('*/api/s3/params'));
    try {
      const { error } = await upload(setup({ checksum: 'sha256' }), fileOf(1000, 'unsigned.txt').file);
      expect(error?.code).to.equal('provider-rejected');
      expect(error?.message).to.contain('x-amz-checksum-sha256');
      expect(emulator.stats.putObject).to.equal(0);
    } finally {
      worker.resetHandlers();
    }
  });

  for (const refusal of [
    { status: 405, code: 'MethodNotAllowed' },
    { status: 502, code: 'NotImplemented' },
  ]) {
    it(`resumes from its own receipts, with a warning, when the store cannot list parts (${refusal.code})`, async () => {
      // What the shipped handler answers when the store has no ListParts: s3rver's 405, or another store's 501.
      worker.use(
        http.get('*/api/s3/multipart/:uploadId', () =>
          HttpResponse.json({ error: { code: refusal.code, message: 'This store does not list parts.' } }, { status: refusal.status }),
        ),
      );
      try {
        const { file, bytes } = fileOf(20 * MiB + 5);
        const first = setup({}, { concurrency: 1 });
        await first.addFiles([file]);
        first.start();
        await leavePageAfter(first, 11 * MiB);
        await partsSettled();
        const before = [...emulator.stats.partNumbersReceived];
        expect(before.length).to.be.at.least(2);

        const second = setup({}, { concurrency: 1 });
        const warning = once(second, 'warning');
        const [task] = await second.addFiles([file]);
        const done = once(second, 'task-complete');
        second.start();
        const { result } = await done;
        expect(task.resumed).to.equal(true);
        expect((await warning).error.unsupported).to.equal(true);
        expect(waits).to.deep.equal([]);
        expect(emulator.stats.create).to.equal(1);
        const resent = emulator.stats.partNumbersReceived.slice(before.length);
        // Without a listing, a part the store kept but whose answer the page never heard goes again: at one part in
        // flight, that is at most one part.
        expect(resent.filter((n) => before.includes(n)).length).to.be.at.most(1);
        expect([...new Set([...before, ...resent])].sort((a, b) => a - b)).to.deep.equal([1, 2, 3, 4, 5]);
        expect(emulator.storedBytes(result.key as string)).to.deep.equal(bytes);
      } finally {
        worker.resetHandlers();
      }
    });
  }

  it('sends again the parts taken on trust when completing refuses them (InvalidPart), keeping the session', async () => {
    worker.use(
      http.get('*/api/s3/multipart/:uploadId', () =>
        HttpResponse.json({ error: { code: 'MethodNotAllowed', message: 'This store does not list parts.' } }, { status: 405 }),
      ),
    );
    try {
      const { file, bytes } = fileOf(20 * MiB + 5);
      const first = setup({}, { concurrency: 1 });
      await first.addFiles([file]);
      first.start();
      await leavePageAfter(first, 11 * MiB);
      await partsSettled();
      // A receipt whose ETag the store does not hold, as when a gateway lost a part it had acknowledged.
      const store = createStore(dbName, 'checkpoints');
      const [[fingerprint, record]] = (await entries(store)) as Array<[IDBValidKey, { receipts: Array<{ etag?: string }> }]>;
      record.receipts[0].etag = '"00000000000000000000000000000000"';
      await set(fingerprint, record, store);
      const before = [...emulator.stats.partNumbersReceived];

      const second = setup({}, { concurrency: 1 });
      const warnings: Array<{ code: string; refusedParts?: readonly number[] }> = [];
      second.addEventListener('warning', (event) => warnings.push(event.detail.error));
      const { result, error } = await upload(second, file);
      expect(error).to.equal(undefined);
      expect(warnings.map((warning) => warning.refusedParts)).to.deep.equal([undefined, []]);
      expect(emulator.stats.create).to.equal(1);
      expect(emulator.stats.complete).to.equal(1);
      const resent = emulator.stats.partNumbersReceived.slice(before.length).sort((a, b) => a - b);
      expect(resent).to.deep.equal([1, 2, 3, 4, 5]);
      expect(emulator.storedBytes(result!.key as string)).to.deep.equal(bytes);
    } finally {
      worker.resetHandlers();
    }
  });

  it('reads the part S3 names in an InvalidPart answer', () => {
    const xml = '<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found.</Message>' +
      '<UploadId>u</UploadId><PartNumber>2</PartNumber><ETag>"x"</ETag></Error>';
    const error = parseS3Error({ status: 400, headers: new Headers(), text: xml, url: 'http://s3.test/b/k' });
    expect([error.code, error.refusedParts]).to.deep.equal(['provider-rejected', [2]]);
  });

  it('fails clearly on a backend that answers 500 or non-JSON', async () => {
    const html = createS3Adapter({ endpoint: `${location.origin}/not-a-backend` });
    const { error } = await upload(setup({}, { retryPolicy: { retries: 1 } }, html), fileOf(12 * MiB).file);
    expect(error?.code).to.be.oneOf(['not-found', 'bad-response']);
    expect(error?.message).to.contain('/not-a-backend');
  });
});

describeAdapterContract('s3', ADAPTER_HARNESSES['s3']!);

import { expect } from '@open-wc/testing';
import { md5 } from 'hash-wasm';
import { UploadError } from '../../../src/core/errors.js';
import type { DigestSpec } from '../../../src/hashing/digest-spec.js';
import { HashClient, type HashRun } from '../../../src/hashing/hash-client.js';
import { hashWorkerUrl } from '../../../src/hashing/worker-source.js';
import { makeBytes } from '../../helpers/make-blob.js';

const KiB = 1024;
const PART = 64 * KiB;
const PARTS = 24;
const MD5: DigestSpec = { name: 'md5', algorithm: 'md5', scope: 'part', encoding: 'hex', when: 'before-part' };
/** Long enough for an unpaced pool to hash all 1.5 MiB many times over. */
const SETTLE_MS = 400;

/** The most bytes the run has reported hashed, and a wait for a byte count. */
function watch(run: HashRun): { most(): number; reached(bytes: number): Promise<void> } {
  let most = 0;
  const waiters: Array<{ bytes: number; resolve(): void }> = [];
  run.onProgress = (bytesHashed) => {
    most = Math.max(most, bytesHashed);
    for (const waiter of waiters.filter((w) => w.bytes <= most)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  return {
    most: () => most,
    reached: (bytes) => (bytes <= most ? Promise.resolve() : new Promise((resolve) => waiters.push({ bytes, resolve }))),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

describe('HashClient pacing (partsAhead)', () => {
  const bytes = makeBytes(PARTS * PART, 31);
  const blob = new Blob([bytes]);
  const plan = { partSize: PART, partCount: PARTS };
  let client: HashClient;

  beforeEach(() => {
    client = new HashClient({ workers: 2, chunkSize: 16 * KiB });
  });
  afterEach(() => client.terminate());

  it('reads no part past the last one taken plus partsAhead, reads on as parts are taken, and every digest is right', async () => {
    const run = client.start({ blob, plan, specs: [MD5], partsAhead: 2 });
    const progress = watch(run);
    await progress.reached(2 * PART);
    await settle();
    expect(progress.most(), 'before any part is taken').to.equal(2 * PART);
    run.take(10);
    await progress.reached(12 * PART);
    await settle();
    expect(progress.most(), 'with part 10 taken').to.equal(12 * PART);
    // A digest asked for past the window is one a caller waits on: it must come, and bring the parts before it.
    const last = await run.digest('md5', PARTS);
    expect(last).to.equal(await md5(bytes.subarray((PARTS - 1) * PART)));
    await run.done;
    for (let partNumber = 1; partNumber <= PARTS; partNumber++) {
      expect(await run.digest('md5', partNumber)).to.equal(await md5(bytes.subarray((partNumber - 1) * PART, partNumber * PART)));
    }
  });

  it('a paced job canceled while it waits for parts to be taken stops, and the pool serves the next job', async () => {
    const run = client.start({ blob, plan, specs: [MD5], partsAhead: 1 });
    await watch(run).reached(PART);
    run.cancel();
    const error = await run.done.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).to.be.instanceOf(UploadError);
    expect((error as UploadError).code).to.equal('aborted');
    const next = client.start({ blob, plan, specs: [MD5] });
    await next.done;
    expect(await next.digest('md5', 7)).to.equal(await md5(bytes.subarray(6 * PART, 7 * PART)));
  });
});

describe('HashClient reading', () => {
  it('reads with arrayBuffer() in a browser whose Blob streams are not byte streams, digests unchanged', async () => {
    // The worker, started behind a module that first makes BYOB readers unavailable, as in such a browser. Static
    // imports run in order, and the worker's message listener is in place when its script has run.
    const patch = `const getReader = ReadableStream.prototype.getReader;
    ReadableStream.prototype.getReader = function (options) {
      if (options && options.mode === 'byob') throw new TypeError('not a byte stream');
      return getReader.call(this, options);
    };`;
    const script = (text: string) => URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
    const patchUrl = script(patch);
    const url = script(`import ${JSON.stringify(patchUrl)};\nimport ${JSON.stringify(hashWorkerUrl().href)};\n`);
    const client = new HashClient({ workers: 2, chunkSize: 16 * KiB, createWorker: () => new Worker(url, { type: 'module' }) });
    try {
      const bytes = makeBytes(5 * PART + 123, 32);
      const run = client.start({
        blob: new Blob([bytes]),
        plan: { partSize: PART, partCount: 6 },
        specs: [MD5, { name: 'file', algorithm: 'md5', scope: 'file', encoding: 'hex', when: 'before-complete' }],
      });
      await run.done;
      expect(await run.digest('file')).to.equal(await md5(bytes));
      expect(await run.digest('md5', 6)).to.equal(await md5(bytes.subarray(5 * PART)));
    } finally {
      client.terminate();
      URL.revokeObjectURL(url);
      URL.revokeObjectURL(patchUrl);
    }
  });
});

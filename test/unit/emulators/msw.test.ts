import { expect } from '@open-wc/testing';
import { md5 } from 'hash-wasm';
import { setupWorker } from 'msw/browser';
import { emulatorHandlers } from '../../../src/emulators/msw.js';
import { S3Emulator } from '../../../src/emulators/s3-emulator.js';
import { makeBytes } from '../../helpers/make-blob.js';
import { companionBackendHandlers } from '../../helpers/s3-companion-backend.js';

const MiB = 1024 * 1024;
// Another origin than the page's: the handlers must match the base path on any origin, and msw answers before DNS.
const s3 = new S3Emulator({
  basePath: '/emulator/s3',
  bucket: 'mcu-bucket',
  credentials: { accessKeyId: 'AKIDEMULATOR000000', secretAccessKey: 'emulator-secret-key-not-a-secret' },
  origin: 'http://s3.emulator.test',
});
const worker = setupWorker(...emulatorHandlers(s3), ...companionBackendHandlers(s3));

async function json<T>(response: Response): Promise<T> {
  expect(response.ok, `${response.status} ${response.url}`).to.equal(true);
  return (await response.json()) as T;
}

before(async () => {
  await worker.start({ serviceWorker: { url: '/mockServiceWorker.js' }, onUnhandledRequest: 'bypass', quiet: true });
});
after(() => worker.stop());
beforeEach(() => s3.reset());

describe('s3EmulatorHandlers under msw', () => {
  it('serves a presigned PUT on another origin, with a readable ETag', async () => {
    const body = makeBytes(1000);
    const url = await s3.presign({ method: 'PUT', key: 'a.bin', expiresIn: 60 });
    expect(new URL(url).origin).to.equal('http://s3.emulator.test');
    const response = await fetch(url, { method: 'PUT', body });
    expect(response.status).to.equal(200);
    expect(response.headers.get('etag')).to.equal(`"${await md5(body)}"`);
    expect(await md5(s3.storedBytes('a.bin') as Uint8Array)).to.equal(await md5(body));
  });

  it('answers OPTIONS and refuses unsigned requests through the worker', async () => {
    const preflight = await fetch('http://s3.emulator.test/emulator/s3/mcu-bucket/a.bin', { method: 'OPTIONS' });
    expect(preflight.status).to.equal(200);
    const unsigned = await fetch('http://s3.emulator.test/emulator/s3/mcu-bucket/a.bin', { method: 'PUT', body: 'x' });
    expect(unsigned.status).to.equal(403);
    expect(await unsigned.text()).to.contain('<Code>AccessDenied</Code>');
  });

  it('turns a dropped connection into a failed fetch', async () => {
    const fault = s3.faults.dropConnection({ operation: 'PutObject' });
    const url = await s3.presign({ method: 'PUT', key: 'a.bin', expiresIn: 60 });
    let failure: unknown;
    try {
      await fetch(url, { method: 'PUT', body: 'x' });
    } catch (error) {
      failure = error;
    }
    expect(failure).to.be.instanceOf(TypeError);
    expect(fault.fired).to.equal(1);
    expect(s3.storedBytes('a.bin')).to.equal(undefined);
  });
});

describe('companionBackendHandlers', () => {
  it('runs a whole multipart upload through the Companion routes and the emulator', async () => {
    const part1 = makeBytes(5 * MiB, 1);
    const part2 = makeBytes(777, 2);
    const { key, uploadId } = await json<{ key: string; uploadId: string }>(
      await fetch('/api/s3/multipart', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filename: 'movie.bin', type: 'video/mp4', metadata: {} }),
      }),
    );
    expect(key).to.match(/^uploads\/.+\/movie\.bin$/);
    const q = `key=${encodeURIComponent(key)}`;
    const { presignedUrls } = await json<{ presignedUrls: Record<string, string> }>(
      await fetch(`/api/s3/multipart/${uploadId}/batch?${q}&partNumbers=1,2`),
    );
    const etag1 = (await fetch(presignedUrls['1'] as string, { method: 'PUT', body: part1 })).headers.get('etag');
    const signed = await json<{ url: string; headers: Record<string, string> }>(
      await fetch(`/api/s3/multipart/${uploadId}/2?${q}`),
    );
    const etag2 = (await fetch(signed.url, { method: 'PUT', body: part2, headers: signed.headers })).headers.get('etag');

    const listed = await json<Array<{ PartNumber: number; Size: number; ETag: string }>>(
      await fetch(`/api/s3/multipart/${uploadId}?${q}`),
    );
    expect(listed).to.deep.equal([
      { PartNumber: 1, Size: 5 * MiB, ETag: etag1 },
      { PartNumber: 2, Size: 777, ETag: etag2 },
    ]);
    const completed = await json<{ location: string; etag: string }>(
      await fetch(`/api/s3/multipart/${uploadId}/complete?${q}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ parts: listed.map(({ PartNumber, ETag }) => ({ PartNumber, ETag })) }),
      }),
    );
    expect(completed.etag).to.match(/^"[0-9a-f]{32}-2"$/);
    expect(await md5(s3.storedBytes(key) as Uint8Array)).to.equal(await md5(new Uint8Array([...part1, ...part2])));
  });

  it('passes S3 refusals through as JSON errors with S3 codes', async () => {
    const { key, uploadId } = await json<{ key: string; uploadId: string }>(
      await fetch('/api/s3/multipart', { method: 'POST', body: JSON.stringify({ filename: 'a.txt', type: 'text/plain' }) }),
    );
    const q = `key=${encodeURIComponent(key)}`;
    expect(await json(await fetch(`/api/s3/multipart/${uploadId}?${q}`, { method: 'DELETE' }))).to.deep.equal({});
    const gone = await fetch(`/api/s3/multipart/${uploadId}?${q}`);
    expect(gone.status).to.equal(404);
    expect(((await gone.json()) as { error: { code: string } }).error.code).to.equal('NoSuchUpload');
  });

  it('hands out single-PUT parameters whose signed Content-MD5 the emulator enforces', async () => {
    const body = new TextEncoder().encode('small file');
    const contentMd5 = btoa(String.fromCharCode(...(await md5(body)).match(/../g)!.map((h) => parseInt(h, 16))));
    const params = await json<{ method: string; url: string; headers: Record<string, string>; key: string }>(
      await fetch(`/api/s3/params?method=PUT&size=${body.length}&filename=a.txt&type=text/plain&contentMd5=${encodeURIComponent(contentMd5)}`),
    );
    const tampered = await fetch(params.url, { method: params.method, headers: params.headers, body: 'other bytes' });
    expect(tampered.status).to.equal(400);
    const put = await fetch(params.url, { method: params.method, headers: params.headers, body });
    expect(put.status).to.equal(200);
    expect(new TextDecoder().decode(s3.storedBytes(params.key))).to.equal('small file');
  });
});

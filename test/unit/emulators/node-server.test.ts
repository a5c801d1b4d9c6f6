import { expect } from '@open-wc/testing';
import { md5 } from 'hash-wasm';
import { makeBytes } from '../../helpers/make-blob.js';
import type { E2eServers } from '../../helpers/e2e-servers-plugin.js';

const MiB = 1024 * 1024;

async function ok<T>(response: Response): Promise<T> {
  expect(response.ok, `${response.status} ${response.url} ${response.ok ? '' : await response.clone().text()}`).to.equal(true);
  return (await response.json()) as T;
}

/** The Companion-route upload the adapter will do, over real HTTP from this page's origin to another. */
async function uploadThrough(api: string, parts: Uint8Array<ArrayBuffer>[]): Promise<{ key: string; etags: string[] }> {
  const { key, uploadId } = await ok<{ key: string; uploadId: string }>(
    await fetch(`${api}/s3/multipart`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filename: 'e2e.bin', type: 'application/octet-stream', metadata: {} }),
    }),
  );
  const q = `key=${encodeURIComponent(key)}`;
  const etags: string[] = [];
  for (const [index, part] of parts.entries()) {
    const signed = await ok<{ url: string; headers: Record<string, string> }>(
      await fetch(`${api}/s3/multipart/${uploadId}/${index + 1}?${q}`),
    );
    const put = await fetch(signed.url, { method: 'PUT', body: part, headers: signed.headers });
    expect(put.status).to.equal(200);
    // Readable only because the CORS rule exposes ETag.
    etags.push(put.headers.get('etag') as string);
  }
  await ok(
    await fetch(`${api}/s3/multipart/${uploadId}/complete?${q}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parts: etags.map((ETag, i) => ({ PartNumber: i + 1, ETag })) }),
    }),
  );
  return { key, etags };
}

describe('e2e servers over real HTTP', () => {
  let servers: E2eServers;
  let admin: string;

  before(async () => {
    servers = await ok<E2eServers>(await fetch('/__e2e.json'));
    admin = `${servers.emulatorUrl}/__admin/s3`;
  });
  beforeEach(async () => {
    expect((await fetch(`${admin}/reset`, { method: 'POST' })).status).to.equal(204);
  });

  it('is on other origins than the page', () => {
    for (const url of [servers.emulatorUrl, servers.apiUrl, servers.s3rverApiUrl, servers.s3rverUrl]) {
      expect(new URL(url).origin).not.to.equal(location.origin);
    }
  });

  it('uploads through /api to the strict emulator, cross-origin, and the admin routes read the bytes back', async () => {
    const parts = [makeBytes(5 * MiB, 3), makeBytes(4321, 4)];
    const { key, etags } = await uploadThrough(servers.apiUrl, parts);
    expect(etags).to.deep.equal([`"${await md5(parts[0] as Uint8Array)}"`, `"${await md5(parts[1] as Uint8Array)}"`]);
    const stored = new Uint8Array(await (await fetch(`${admin}/objects/${encodeURIComponent(key)}`)).arrayBuffer());
    expect(await md5(stored)).to.equal(await md5(new Uint8Array([...(parts[0] as Uint8Array), ...(parts[1] as Uint8Array)])));
    const stats = await ok<{ uploadPart: number; create: number; complete: number; partNumbersReceived: number[] }>(
      await fetch(`${admin}/stats`),
    );
    expect(stats).to.deep.include({ uploadPart: 2, create: 1, complete: 1 });
    expect(stats.partNumbersReceived).to.deep.equal([1, 2]);
  });

  it('lets a cross-origin PUT carry signed digest headers (the preflight echoes them)', async () => {
    const body = makeBytes(100);
    const contentMd5 = btoa(String.fromCharCode(...(await md5(body)).match(/../g)!.map((h) => parseInt(h, 16))));
    const params = await ok<{ url: string; headers: Record<string, string>; key: string }>(
      await fetch(`${servers.apiUrl}/s3/params?method=PUT&filename=d.bin&type=application/octet-stream&contentMd5=${encodeURIComponent(contentMd5)}`),
    );
    expect(params.headers['content-md5']).to.equal(contentMd5);
    const put = await fetch(params.url, { method: 'PUT', headers: params.headers, body });
    expect(put.status).to.equal(200);
    expect(put.headers.get('etag')).to.equal(`"${await md5(body)}"`);
  });

  it('arms faults over HTTP: a 503 with Retry-After, then a dropped connection, each counted', async () => {
    const armed = await fetch(`${admin}/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'fail', operation: 'PutObject', status: 503, retryAfter: '2' }),
    });
    expect(armed.status).to.equal(201);
    const params = await ok<{ url: string; headers: Record<string, string> }>(
      await fetch(`${servers.apiUrl}/s3/params?method=PUT&filename=f.bin&type=application/octet-stream`),
    );
    const slowDown = await fetch(params.url, { method: 'PUT', headers: params.headers, body: 'x' });
    expect(slowDown.status).to.equal(503);
    expect(slowDown.headers.get('retry-after')).to.equal('2');
    expect(await slowDown.text()).to.contain('<Code>SlowDown</Code>');
    // Armed only now: a drop is decided before the signature and would have pre-empted the 503.
    await ok(await fetch(`${admin}/faults`, { method: 'POST', body: JSON.stringify({ kind: 'drop', operation: 'PutObject' }) }));
    let dropped: unknown;
    try {
      const response = await fetch(params.url, { method: 'PUT', headers: params.headers, body: 'x' });
      await response.arrayBuffer();
    } catch (error) {
      dropped = error;
    }
    expect(dropped).to.be.instanceOf(TypeError);
    expect((await fetch(params.url, { method: 'PUT', headers: params.headers, body: 'x' })).status).to.equal(200);
    const faults = await ok<Array<{ kind: string; fired: number }>>(await fetch(`${admin}/faults`));
    expect(faults.map(({ kind, fired }) => [kind, fired])).to.deep.equal([['fail', 1], ['drop', 1]]);
  });

  it('moves an emulator\'s clock over HTTP: a signed URL expires without a wait, and reset brings the clock back', async () => {
    const params = await ok<{ url: string; headers: Record<string, string> }>(
      await fetch(`${servers.apiUrl}/s3/params?method=PUT&filename=late.bin&type=application/octet-stream`),
    );
    // Past the longest lifetime SigV4 allows (7 days), whatever the handler signed for.
    const advanceMs = 8 * 24 * 3600_000;
    const moved = await ok<{ skewMs: number }>(await fetch(`${admin}/clock`, { method: 'POST', body: JSON.stringify({ advanceMs }) }));
    expect(moved.skewMs).to.equal(advanceMs);
    const late = await fetch(params.url, { method: 'PUT', headers: params.headers, body: 'x' });
    expect(late.status).to.equal(403);
    expect(await late.text()).to.contain('Request has expired');
    expect((await fetch(`${admin}/reset`, { method: 'POST' })).status).to.equal(204);
    expect((await fetch(params.url, { method: 'PUT', headers: params.headers, body: 'x' })).status).to.equal(200);
  });

  it('uploads through /api-s3rver to s3rver and reads the object back with a plain GET', async () => {
    const parts = [makeBytes(5 * MiB, 5), makeBytes(99, 6)];
    const { key } = await uploadThrough(servers.s3rverApiUrl, parts);
    const stored = new Uint8Array(await (await fetch(`${servers.s3rverUrl}/${servers.s3rverBucket}/${key}`)).arrayBuffer());
    expect(await md5(stored)).to.equal(await md5(new Uint8Array([...(parts[0] as Uint8Array), ...(parts[1] as Uint8Array)])));
  });
});

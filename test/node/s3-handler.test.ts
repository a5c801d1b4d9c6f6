import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { s3Checksum } from '../../src/emulators/checksums.js';
import {
  EMULATOR_S3_BASE_PATH,
  EMULATOR_S3_BUCKET,
  startEmulatorServer,
} from '../../src/emulators/node-server.js';
import type { EmulatorServer } from '../../src/emulators/node-server.js';
import { createS3Handler } from '../../src/server/s3-handler.js';
import type { S3HandlerOptions, S3KeyInput } from '../../src/server/s3-handler.js';
import { listen } from './helpers/listen.js';
import type { Listening } from './helpers/listen.js';
import { emulatorS3Options } from './helpers/s3-emulator-options.js';

let emulator: EmulatorServer;
const servers: Listening[] = [];

async function serveHandler(options: Partial<S3HandlerOptions> = {}): Promise<Listening> {
  const server = await listen(
    createS3Handler({
      ...emulatorS3Options(emulator),
      keyPrefix: 'uploads/',
      ...options,
    }),
  );
  servers.push(server);
  return server;
}

async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init);
  // any: each test reads the fields of the answer shape it expects
  return { status: response.status, body: (await response.json()) as any };
}

before(async () => {
  emulator = await startEmulatorServer();
});
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await emulator.close();
});

describe('createS3Handler /s3/params', () => {
  it('answers a POST policy for exactly one key and type unless method=PUT is asked', async () => {
    const { url } = await serveHandler({ expiresIn: 120 });
    const { status, body } = await getJson(`${url}/s3/params?filename=a.txt&type=text/plain`);
    assert.equal(status, 200);
    assert.equal(body.method, 'POST');
    assert.equal(body.url, `${emulator.url}${EMULATOR_S3_BASE_PATH}/${EMULATOR_S3_BUCKET}`);
    assert.equal(body.expires, 120);
    assert.equal(body.fields.key, body.key);
    const policy = JSON.parse(atob(body.fields.Policy));
    assert.deepEqual(
      policy.conditions.filter((condition: Record<string, string>) => 'key' in condition || 'Content-Type' in condition),
      [{ 'Content-Type': 'text/plain' }, { key: body.key }],
    );
    assert.ok(!policy.conditions.some((condition: unknown) => Array.isArray(condition)), 'no starts-with, no length range');
    const expiresIn = (Date.parse(policy.expiration) - Date.now()) / 1000;
    assert.ok(expiresIn > 100 && expiresIn <= 120, `${expiresIn}`);
  });

  it('refuses other methods, and x-amz-checksum-* on a POST policy, which S3 documents no form field for', async () => {
    const { url } = await serveHandler();
    const bad = await getJson(`${url}/s3/params?method=GET&filename=a.txt`);
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'invalid-method');
    const crc = await getJson(`${url}/s3/params?filename=a.txt&checksumAlgorithm=CRC32&checksum=${encodeURIComponent('AAAAAA==')}`);
    assert.equal(crc.status, 400);
    assert.equal(crc.body.error.code, 'invalid-checksum');
    const malformed = await getJson(`${url}/s3/params?filename=a.txt&contentMd5=abc`);
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'invalid-checksum');
    const put = await getJson(`${url}/s3/params?method=put&filename=a.txt&contentMd5=${encodeURIComponent('1B2M2Y8AsgTpgAmY7PhCfg==')}`);
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.headers, { 'content-type': 'application/octet-stream', 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' });
  });

  it('binds contentMd5 into a POST policy: the form must carry it, and the store checks the file against it', async () => {
    const { url } = await serveHandler();
    const bytes = new TextEncoder().encode('checked bytes');
    const md5 = createHash('md5').update(bytes).digest('base64');
    const { status, body } = await getJson(`${url}/s3/params?filename=a.txt&type=text/plain&size=${bytes.byteLength}&contentMd5=${encodeURIComponent(md5)}`);
    assert.equal(status, 200);
    assert.equal(body.fields['Content-MD5'], md5);
    const post = (fields: Record<string, string>, file: Uint8Array<ArrayBuffer>) => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append('file', new Blob([file]));
      return fetch(body.url, { method: 'POST', body: form });
    };
    const damaged = await post(body.fields, new TextEncoder().encode('checked bytez'));
    assert.equal(damaged.status, 400);
    assert.match(await damaged.text(), /BadDigest/);
    const { 'Content-MD5': _dropped, ...withoutMd5 } = body.fields;
    const unchecked = await post(withoutMd5, new TextEncoder().encode('checked bytez'));
    assert.equal(unchecked.status, 403);
    assert.match(await unchecked.text(), /Policy Condition failed: .*\$Content-MD5/);
    assert.equal(emulator.s3.storedBytes(body.key), undefined);
    const stored = await post(body.fields, bytes);
    assert.equal(stored.status, 204, await stored.text());
    assert.equal(stored.headers.get('etag'), `"${createHash('md5').update(bytes).digest('hex')}"`);
    assert.deepEqual(emulator.s3.storedBytes(body.key), bytes);
  });

  it('signs a checksum header into a single PUT, which the store verifies against the bytes', async () => {
    const { url } = await serveHandler();
    const bytes = new TextEncoder().encode('checked bytes');
    const checksum = await s3Checksum('crc32c', bytes);
    const query = `method=PUT&filename=a.txt&type=text/plain&size=${bytes.byteLength}&checksumAlgorithm=crc32c&checksum=${encodeURIComponent(checksum)}`;
    const { status, body } = await getJson(`${url}/s3/params?${query}`);
    assert.equal(status, 200);
    assert.deepEqual(body.headers, { 'content-type': 'text/plain', 'x-amz-checksum-crc32c': checksum });
    const damaged = await fetch(body.url, { method: 'PUT', body: new TextEncoder().encode('checked bytez'), headers: body.headers });
    assert.equal(damaged.status, 400);
    assert.match(await damaged.text(), /BadDigest/);
    const put = await fetch(body.url, { method: 'PUT', body: bytes, headers: body.headers });
    assert.equal(put.status, 200, await put.text());
    assert.deepEqual(emulator.s3.storedBytes(body.key), bytes);
  });

  it('never lets a key ending in ${filename} become a starts-with policy', async () => {
    const { url } = await serveHandler({ getKey: () => 'uploads/${filename}' });
    const answer = await getJson(`${url}/s3/params?filename=a.txt`);
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, 'invalid-key');
  });
});

describe('createS3Handler getKey', () => {
  it('receives the request, the principal and the checked input, and keeps keys in the principal directory', async () => {
    const inputs: S3KeyInput[] = [];
    const { url } = await serveHandler({
      authorize: () => 'user 7',
      getKey: (input) => {
        inputs.push(input);
        return `uploads/user%207/${input.request.headers.get('x-folder')}/${input.filename}`;
      },
    });
    const created = await getJson(`${url}/s3/multipart`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-folder': 'inbox' },
      body: JSON.stringify({ filename: 'a.svg', type: 'image/svg+xml', metadata: { size: 3, note: 'n', nested: {} } }),
    });
    assert.equal(created.status, 200);
    assert.equal(created.body.key, 'uploads/user%207/inbox/a.svg');
    assert.equal(inputs.length, 1);
    assert.equal(inputs[0]?.principal, 'user 7');
    assert.equal(inputs[0]?.type, 'application/octet-stream');
    assert.deepEqual(inputs[0]?.metadata, { size: '3', note: 'n' });
  });

  it("answers 500 and tells onError when getKey names a key outside the principal's directory", async () => {
    const errors: unknown[] = [];
    const { url } = await serveHandler({ authorize: () => 'alice', getKey: () => 'uploads/bob/a.txt', onError: (error) => errors.push(error) });
    const answer = await getJson(`${url}/s3/params?method=PUT&filename=a.txt`);
    assert.equal(answer.status, 500);
    assert.equal(answer.body.error.code, 'internal-error');
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /getKey returned a key outside/);
  });
});

describe('createS3Handler options', () => {
  it('refuses invalid options when it is created', () => {
    const base = { bucket: 'b', region: 'r' };
    assert.throws(() => createS3Handler({ ...base, maxBatchSize: 0 }), RangeError);
    assert.throws(() => createS3Handler({ ...base, upstreamTimeoutMs: 0 }), RangeError);
    assert.throws(() => createS3Handler({ ...base, allowedContentTypes: ['text'] }), TypeError);
    assert.throws(() => createS3Handler({ ...base, allowedContentTypes: [] }), TypeError);
    assert.throws(() => createS3Handler({ ...base, allowedHeaders: ['x y'] }), TypeError);
    assert.throws(() => createS3Handler({ ...base, keyPrefix: '../up' }), TypeError);
    assert.throws(() => createS3Handler({ ...base, basePath: 'api' }), TypeError);
  });
});

describe('createS3Handler completion', () => {
  it("names the part S3 refused with InvalidPart, so the page re-sends that part only", async () => {
    const { url } = await serveHandler();
    const created = await fetch(`${url}/s3/multipart`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filename: 'p.bin', type: 'application/octet-stream' }),
    }).then((response) => response.json() as Promise<{ key: string; uploadId: string }>);
    const key = `key=${encodeURIComponent(created.key)}`;
    const signed = await getJson(`${url}/s3/multipart/${encodeURIComponent(created.uploadId)}/1?${key}`);
    const stored = await fetch(signed.body.url, { method: 'PUT', body: new Uint8Array(5 * 1024 * 1024) });
    const answer = await getJson(`${url}/s3/multipart/${encodeURIComponent(created.uploadId)}/complete?${key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parts: [{ PartNumber: 1, ETag: stored.headers.get('etag') }, { PartNumber: 2, ETag: '"0123456789abcdef0123456789abcdef"' }] }),
    });
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error.code, 'InvalidPart');
    assert.equal(answer.body.error.partNumber, 2);
  });
});

describe('createS3Handler and stores without an operation', () => {
  it('passes a 501 NotImplemented through as 501 (the page then resumes from its receipts), and other 5xx as 502', async () => {
    const errors: unknown[] = [];
    // A store as minimal gateways are: no ListParts (501), and a failing AbortMultipartUpload (503).
    const store = {
      send: async (command: { constructor: { name: string } }) => {
        const status = command.constructor.name === 'ListPartsCommand' ? 501 : 503;
        throw Object.assign(new Error('store says no'), {
          name: status === 501 ? 'NotImplemented' : 'ServiceUnavailable',
          $metadata: { httpStatusCode: status },
        });
      },
    };
    const server = await listen(
      createS3Handler({
        bucket: 'b',
        region: 'us-east-1',
        keyPrefix: 'uploads/',
        s3Client: store as unknown as NonNullable<S3HandlerOptions['s3Client']>,
        onError: (error) => errors.push(error),
      }),
    );
    try {
      const list = await fetch(`${server.url}/s3/multipart/up1?key=uploads/a.bin`);
      assert.equal(list.status, 501);
      assert.equal(((await list.json()) as { error: { code: string } }).error.code, 'NotImplemented');
      assert.equal(errors.length, 0);
      const abort = await fetch(`${server.url}/s3/multipart/up1?key=uploads/a.bin`, { method: 'DELETE' });
      assert.equal(abort.status, 502);
      assert.equal(errors.length, 1);
    } finally {
      await server.close();
    }
  });
});

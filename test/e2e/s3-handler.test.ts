import { expect } from '@open-wc/testing';
import { md5 } from 'hash-wasm';

/** The URLs the e2e servers plugin serves at /__e2e.json. */
interface E2eConfig {
  emulatorUrl: string;
  apiUrl: string;
  s3rverApiUrl: string;
  s3rverUrl: string;
  s3rverBucket: string;
}

interface ApiAnswer {
  status: number;
  text: string;
  json: any; // any: the handler answers JSON of several shapes, and each test asserts the fields it reads
}

const MiB = 1024 * 1024;
let config: E2eConfig;

async function call(url: string, init?: RequestInit): Promise<ApiAnswer> {
  const response = await fetch(url, init);
  const text = await response.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // Left undefined: the assertions on `json` then fail and show `text`.
  }
  return { status: response.status, text, json };
}

const postJson = (url: string, body: unknown): Promise<ApiAnswer> =>
  call(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

function randomBytes(length: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  // getRandomValues fills at most 64 KiB per call.
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + 65536)));
  }
  return bytes;
}

function base64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function hexToBase64(hex: string): string {
  return base64(Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16)));
}

function expectError(answer: ApiAnswer, status: number, code: string): void {
  expect(answer.status, answer.text).to.equal(status);
  expect(answer.json?.error?.code, answer.text).to.equal(code);
  expect(answer.json.error.message).to.be.a('string').and.not.equal('');
  expect(answer.text).not.to.match(/X-Amz-Signature|\n\s+at /);
}

async function createUpload(api: string, filename = 'e2e.bin'): Promise<{ key: string; uploadId: string }> {
  const created = await postJson(`${api}/s3/multipart`, { filename, type: 'application/octet-stream', metadata: {} });
  expect(created.status, created.text).to.equal(200);
  expect(created.json.key).to.be.a('string');
  expect(created.json.uploadId).to.be.a('string');
  return created.json;
}

const uploadPath = (api: string, uploadId: string, rest = '') => `${api}/s3/multipart/${encodeURIComponent(uploadId)}${rest}`;
const keyQuery = (key: string) => `key=${encodeURIComponent(key)}`;

/** create → sign batch → PUT parts from the page → (list) → complete, returning the key and the bytes sent. */
async function uploadThroughApi(api: string, expectListing: boolean): Promise<{ key: string; bytes: Uint8Array }> {
  const bytes = randomBytes(5 * MiB + 4321);
  const parts = [bytes.subarray(0, 5 * MiB), bytes.subarray(5 * MiB)];
  const { key, uploadId } = await createUpload(api, 'route flow ü.bin');

  const batch = await call(`${uploadPath(api, uploadId, '/batch')}?${keyQuery(key)}&partNumbers=1,2`);
  expect(batch.status, batch.text).to.equal(200);
  expect(Object.keys(batch.json.presignedUrls)).to.have.members(['1', '2']);
  expect(batch.json.expires).to.be.a('number').above(0);

  const etags: string[] = [];
  for (const [index, part] of parts.entries()) {
    const put = await fetch(batch.json.presignedUrls[String(index + 1)], { method: 'PUT', body: part });
    expect(put.status, await put.clone().text()).to.equal(200);
    const etag = put.headers.get('etag');
    expect(etag, 'ETag must be exposed through CORS').to.be.a('string');
    expect(etag?.replace(/"/g, '')).to.equal(await md5(part));
    etags.push(etag as string);
  }

  const listed = await call(`${uploadPath(api, uploadId)}?${keyQuery(key)}`);
  if (expectListing) {
    expect(listed.status, listed.text).to.equal(200);
    expect(listed.json).to.deep.equal([
      { PartNumber: 1, Size: parts[0]?.byteLength, ETag: etags[0] },
      { PartNumber: 2, Size: parts[1]?.byteLength, ETag: etags[1] },
    ]);
  } else {
    // s3rver 3.7.1 does not implement ListParts; the handler passes its answer on as JSON, not as a crash.
    expectError(listed, 405, 'MethodNotAllowed');
  }

  const completed = await postJson(`${uploadPath(api, uploadId, '/complete')}?${keyQuery(key)}`, {
    parts: etags.map((etag, index) => ({ PartNumber: index + 1, ETag: etag })),
  });
  expect(completed.status, completed.text).to.equal(200);
  expect(completed.json.location).to.be.a('string');
  expect(completed.json.key).to.equal(key);
  return { key, bytes };
}

async function expectStoredBytes(url: string, bytes: Uint8Array): Promise<void> {
  const stored = await fetch(url);
  expect(stored.status).to.equal(200);
  const storedBytes = new Uint8Array(await stored.arrayBuffer());
  expect(storedBytes.byteLength).to.equal(bytes.byteLength);
  expect(await md5(storedBytes)).to.equal(await md5(bytes));
}

describe('createS3Handler over real HTTP', () => {
  before(async () => {
    const response = await fetch('/__e2e.json');
    expect(response.status, 'the e2e servers plugin must serve /__e2e.json').to.equal(200);
    config = (await response.json()) as E2eConfig;
  });

  describe('validation', () => {
    let key: string;
    let uploadId: string;

    before(async () => {
      ({ key, uploadId } = await createUpload(config.apiUrl));
    });

    it('refuses keys that traverse, start with a slash, hold a backslash or control characters', async () => {
      const prefix = key.slice(0, key.indexOf('/') + 1);
      for (const badKey of [`${prefix}../secret`, `${prefix}a/./b`, `/${key}`, `${prefix}a\\b`, `${prefix}a\u0000b`, `${prefix}${'x'.repeat(1025)}`, '']) {
        expectError(await call(`${uploadPath(config.apiUrl, uploadId, '/1')}?${keyQuery(badKey)}`), 400, 'invalid-key');
      }
      expectError(await call(uploadPath(config.apiUrl, uploadId, '/1')), 400, 'invalid-key');
    });

    it('refuses to sign for a key outside the key prefix', async () => {
      for (const route of ['/1', '/batch']) {
        const answer = await call(`${uploadPath(config.apiUrl, uploadId, route)}?key=not-the-prefix-${Date.now()}/file.bin&partNumbers=1`);
        expectError(answer, 400, 'key-outside-prefix');
      }
      const listed = await call(`${uploadPath(config.apiUrl, uploadId)}?key=elsewhere/${encodeURIComponent(key)}`);
      expectError(listed, 400, 'key-outside-prefix');
    });

    it('refuses part numbers outside 1..10000 or not plain integers', async () => {
      for (const partNumber of ['0', '10001', '-1', '1.5', 'abc', '01', '1e3']) {
        expectError(await call(`${uploadPath(config.apiUrl, uploadId, `/${partNumber}`)}?${keyQuery(key)}`), 400, 'invalid-part-number');
      }
    });

    it('refuses bad partNumbers lists', async () => {
      for (const list of ['', '1,1', '1,0', '1,x', '1,,2', '10001', '2,-3']) {
        const answer = await call(`${uploadPath(config.apiUrl, uploadId, '/batch')}?${keyQuery(key)}&partNumbers=${list}`);
        expectError(answer, 400, 'invalid-part-numbers');
      }
      expectError(await call(`${uploadPath(config.apiUrl, uploadId, '/batch')}?${keyQuery(key)}`), 400, 'invalid-part-numbers');
    });

    it('refuses a body that is not a JSON object', async () => {
      for (const body of ['{"filename":', 'filename=a.txt', '[]', '"a"', '']) {
        const answer = await call(`${config.apiUrl}/s3/multipart`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        expectError(answer, 400, 'invalid-json');
      }
    });

    it('refuses a body that is not application/json with 415, so no simple cross-site form can write', async () => {
      const create = await call(`${config.apiUrl}/s3/multipart`, { method: 'POST', body: JSON.stringify({ filename: 'a.txt' }) });
      expectError(create, 415, 'unsupported-media-type');
      const complete = await call(`${uploadPath(config.apiUrl, uploadId, '/complete')}?${keyQuery(key)}`, { method: 'POST', body: 'not json' });
      expectError(complete, 415, 'unsupported-media-type');
    });

    it('refuses a create without a usable filename or type', async () => {
      expectError(await postJson(`${config.apiUrl}/s3/multipart`, { type: 'text/plain' }), 400, 'invalid-filename');
      expectError(await postJson(`${config.apiUrl}/s3/multipart`, { filename: 'a\nb' }), 400, 'invalid-filename');
      expectError(await postJson(`${config.apiUrl}/s3/multipart`, { filename: 'é'.repeat(513) }), 400, 'invalid-filename');
      expectError(await postJson(`${config.apiUrl}/s3/multipart`, { filename: 'a', type: 'text/plain\r\nx: y' }), 400, 'invalid-type');
      expectError(await postJson(`${config.apiUrl}/s3/multipart`, { filename: 'a', size: -1 }), 400, 'invalid-size');
      expectError(await call(`${config.apiUrl}/s3/params?type=text/plain`), 400, 'invalid-filename');
    });

    it('refuses complete parts that are empty, out of order or without ETags', async () => {
      const url = `${uploadPath(config.apiUrl, uploadId, '/complete')}?${keyQuery(key)}`;
      for (const parts of [
        undefined,
        [],
        [{ PartNumber: 2, ETag: '"a"' }, { PartNumber: 1, ETag: '"b"' }],
        [{ PartNumber: 1, ETag: '"a"' }, { PartNumber: 1, ETag: '"a"' }],
        [{ PartNumber: 1 }],
        [{ PartNumber: 1, ETag: 7 }],
        [{ PartNumber: 0, ETag: '"a"' }],
        ['1'],
      ]) {
        expectError(await postJson(url, { parts }), 400, 'invalid-parts');
      }
    });

    it('refuses malformed digests on a sign-part call', async () => {
      const url = `${uploadPath(config.apiUrl, uploadId, '/1')}?${keyQuery(key)}`;
      expectError(await call(`${url}&contentMd5=abc`), 400, 'invalid-checksum');
      expectError(await call(`${url}&checksumAlgorithm=MD4&checksum=AAAAAA%3D%3D`), 400, 'invalid-checksum');
      expectError(await call(`${url}&checksumAlgorithm=CRC32`), 400, 'invalid-checksum');
      expectError(await call(`${url}&checksumAlgorithm=SHA256&checksum=AAAAAA%3D%3D`), 400, 'invalid-checksum');
    });

    it('answers 404 JSON for unknown routes and 405 JSON with Allow for wrong methods', async () => {
      for (const path of ['/s3/nothing', '/s3', '/s3/multipart/a/b/c/d', '/s3/params/x']) {
        expectError(await call(`${config.apiUrl}${path}`), 404, 'not-found');
      }
      const wrongMethods: [string, string][] = [
        ['GET', '/s3/multipart'],
        ['POST', `/s3/multipart/${encodeURIComponent(uploadId)}/1?${keyQuery(key)}`],
        ['GET', `/s3/multipart/${encodeURIComponent(uploadId)}/complete?${keyQuery(key)}`],
      ];
      for (const [method, path] of wrongMethods) expectError(await call(`${config.apiUrl}${path}`, { method }), 405, 'method-not-allowed');
    });

    it('lets a cross-origin page use only the methods a route serves: its preflight grants no other', async () => {
      const notServed: [string, string][] = [
        ['PUT', '/s3/multipart'],
        ['PATCH', `/s3/multipart/${encodeURIComponent(uploadId)}?${keyQuery(key)}`],
        ['DELETE', '/s3/params?filename=a'],
      ];
      for (const [method, path] of notServed) {
        const refused = await fetch(`${config.apiUrl}${path}`, { method }).then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(refused, `${method} ${path}`).to.be.instanceOf(TypeError);
      }
      const served = await fetch(`${uploadPath(config.apiUrl, `${uploadId}-none`)}?${keyQuery(key)}`, { method: 'DELETE' });
      expect(served.status).to.equal(404);
    });

    it('answers an unknown upload with S3 NoSuchUpload as 404 JSON', async () => {
      const answer = await call(`${uploadPath(config.apiUrl, 'no-such-upload-id')}?${keyQuery(key)}`);
      expectError(answer, 404, 'NoSuchUpload');
    });

    it('never echoes a presigned URL into an error body', async () => {
      const signed = await call(`${uploadPath(config.apiUrl, uploadId, '/1')}?${keyQuery(key)}`);
      expect(signed.status, signed.text).to.equal(200);
      const presignedUrl: string = signed.json.url;
      const signature = new URL(presignedUrl).searchParams.get('X-Amz-Signature') as string;
      expect(signature).to.match(/^[0-9a-f]{64}$/);
      const answers = [
        await call(`${uploadPath(config.apiUrl, uploadId, '/1')}?${keyQuery(presignedUrl)}`),
        await call(`${uploadPath(config.apiUrl, uploadId, '/1')}?${keyQuery(`${key}/../${presignedUrl}`)}`),
        await call(`${uploadPath(config.apiUrl, presignedUrl, '/1')}?${keyQuery(key)}`),
        await call(`${uploadPath(config.apiUrl, uploadId, `/${encodeURIComponent(presignedUrl)}`)}?${keyQuery(key)}`),
        await postJson(`${config.apiUrl}/s3/multipart`, { filename: `${presignedUrl}\u0001` }),
        await postJson(`${uploadPath(config.apiUrl, uploadId, '/complete')}?${keyQuery(key)}`, { parts: [{ PartNumber: 1, ETag: presignedUrl }] }),
        await postJson(`${uploadPath(config.apiUrl, `${uploadId}-gone`, '/complete')}?${keyQuery(key)}`, { parts: [{ PartNumber: 1, ETag: presignedUrl }] }),
      ];
      for (const answer of answers) {
        expect(answer.status, answer.text).to.be.within(400, 599);
        expect(answer.json?.error?.code, answer.text).to.be.a('string');
        expect(answer.text).not.to.contain(signature);
        expect(answer.text).not.to.contain('X-Amz-Credential');
      }
    });
  });

  describe('against the strict emulator', () => {
    it('runs create → sign batch → PUT → list → complete and stores the bytes exactly', async () => {
      const { key, bytes } = await uploadThroughApi(config.apiUrl, true);
      await expectStoredBytes(`${config.emulatorUrl}/__admin/s3/objects/${encodeURIComponent(key)}`, bytes);
    });

    it('lists nothing after abort: the upload is gone (404 NoSuchUpload)', async () => {
      const { key, uploadId } = await createUpload(config.apiUrl);
      const aborted = await call(`${uploadPath(config.apiUrl, uploadId)}?${keyQuery(key)}`, { method: 'DELETE' });
      expect(aborted.status, aborted.text).to.equal(200);
      expect(aborted.json).to.deep.equal({});
      expectError(await call(`${uploadPath(config.apiUrl, uploadId)}?${keyQuery(key)}`), 404, 'NoSuchUpload');
      const signed = await call(`${uploadPath(config.apiUrl, uploadId, '/batch')}?${keyQuery(key)}&partNumbers=1`);
      const put = await fetch(signed.json.presignedUrls['1'], { method: 'PUT', body: randomBytes(16) });
      expect(put.status).to.equal(404);
    });

    it('signs Content-MD5 and x-amz-checksum-sha256 as headers the PUT must carry and S3 verifies', async () => {
      const { key, uploadId } = await createUpload(config.apiUrl);
      const part = randomBytes(64 * 1024);
      const contentMd5 = hexToBase64(await md5(part));
      const sha256 = base64(new Uint8Array(await crypto.subtle.digest('SHA-256', part)));
      const signed = await call(
        `${uploadPath(config.apiUrl, uploadId, '/1')}?${keyQuery(key)}&contentMd5=${encodeURIComponent(contentMd5)}` +
          `&checksumAlgorithm=sha256&checksum=${encodeURIComponent(sha256)}`,
      );
      expect(signed.status, signed.text).to.equal(200);
      expect(signed.json.headers).to.deep.equal({ 'content-md5': contentMd5, 'x-amz-checksum-sha256': sha256 });
      const query = new URL(signed.json.url).searchParams;
      expect(query.get('X-Amz-SignedHeaders')).to.equal('content-md5;host;x-amz-checksum-sha256');
      expect([...query.keys()].filter((name) => /checksum|content-md5/i.test(name))).to.deep.equal([]);

      const withoutHeaders = await fetch(signed.json.url, { method: 'PUT', body: part });
      expect(withoutHeaders.status, 'the signed headers are required').to.equal(403);
      const tampered = part.slice();
      tampered[0] = (tampered[0] ?? 0) ^ 0xff;
      const wrongBytes = await fetch(signed.json.url, { method: 'PUT', body: tampered, headers: signed.json.headers });
      expect(wrongBytes.status).to.equal(400);
      expect(await wrongBytes.text()).to.contain('BadDigest');
      const good = await fetch(signed.json.url, { method: 'PUT', body: part, headers: signed.json.headers });
      expect(good.status, await good.clone().text()).to.equal(200);
      expect(good.headers.get('etag')).to.equal(`"${await md5(part)}"`);
    });

    it('signs a single PUT through /s3/params?method=PUT, binding type and length, and stores the bytes exactly', async () => {
      const bytes = randomBytes(12345);
      const params = await call(
        `${config.apiUrl}/s3/params?method=PUT&filename=${encodeURIComponent('small one.txt')}&type=text/plain&size=${bytes.byteLength}`,
      );
      expect(params.status, params.text).to.equal(200);
      expect(params.json.method).to.equal('PUT');
      expect(params.json.expires).to.be.a('number').above(0);
      expect(params.json.fields).to.deep.equal({});
      expect(params.json.headers).to.deep.equal({ 'content-type': 'text/plain' });
      expect(new URL(params.json.url).searchParams.get('X-Amz-SignedHeaders')).to.equal('content-length;content-type;host');
      const otherType = await fetch(params.json.url, { method: 'PUT', body: bytes, headers: { 'content-type': 'text/html' } });
      expect(otherType.status, 'the signed Content-Type is required').to.equal(403);
      const longer = await fetch(params.json.url, { method: 'PUT', body: randomBytes(bytes.byteLength + 1), headers: params.json.headers });
      expect(longer.status, 'the signed Content-Length is required').to.equal(403);
      const put = await fetch(params.json.url, { method: 'PUT', body: bytes, headers: params.json.headers });
      expect(put.status, await put.clone().text()).to.equal(200);
      await expectStoredBytes(`${config.emulatorUrl}/__admin/s3/objects/${encodeURIComponent(params.json.key)}`, bytes);
    });

    it('answers /s3/params with a POST policy by default, as Uppy Companion does', async () => {
      const params = await call(`${config.apiUrl}/s3/params?filename=${encodeURIComponent('small one.txt')}&type=text/plain&metadata[name]=x`);
      expect(params.status, params.text).to.equal(200);
      expect(params.json.method).to.equal('POST');
      expect(params.json.url).to.equal(`${config.emulatorUrl}/emulator/s3/mcu-bucket`);
      expect(params.json.fields.key).to.equal(params.json.key);
      expect(params.json.key).to.match(/^uploads\/[0-9a-f-]{36}\/small one\.txt$/);
      expect(params.json.fields['Content-Type']).to.equal('text/plain');
      const policy = JSON.parse(atob(params.json.fields.Policy));
      expect(policy.conditions).to.deep.include({ key: params.json.key });
      expect(policy.conditions).to.deep.include({ 'Content-Type': 'text/plain' });
      expect(params.json.fields['X-Amz-Signature']).to.match(/^[0-9a-f]{64}$/);
    });
  });

  describe('against s3rver', () => {
    it('runs create → sign batch → PUT → complete and stores the bytes exactly', async () => {
      const { key, bytes } = await uploadThroughApi(config.s3rverApiUrl, false);
      const path = key.split('/').map(encodeURIComponent).join('/');
      await expectStoredBytes(`${config.s3rverUrl}/${config.s3rverBucket}/${path}`, bytes);
    });
  });
});

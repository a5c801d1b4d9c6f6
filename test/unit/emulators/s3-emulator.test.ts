import { expect } from '@open-wc/testing';
import { crc32, crc64, md5, sha1, sha256 } from 'hash-wasm';
import { S3Emulator, type S3EmulatorOptions } from '../../../src/emulators/s3-emulator.js';
import { presignUrl } from '../../../src/emulators/sigv4.js';
import { xmlElements, xmlText } from '../../../src/emulators/xml.js';
import { makeBytes } from '../../helpers/make-blob.js';

const MiB = 1024 * 1024;
const CREDENTIALS = { accessKeyId: 'AKIDEMULATOR000000', secretAccessKey: 'emulator-secret-key-not-a-secret' };
const ORIGIN = 'http://127.0.0.1:8787';
const START = Date.UTC(2026, 0, 1);

let clock = START;

function emulator(options: Partial<S3EmulatorOptions> = {}): S3Emulator {
  return new S3Emulator({
    basePath: '/emulator/s3',
    bucket: 'mcu-bucket',
    credentials: CREDENTIALS,
    now: () => clock,
    origin: ORIGIN,
    ...options,
  });
}

interface SendInit {
  query?: Record<string, string>;
  body?: Uint8Array<ArrayBuffer> | string;
  /** Headers signed into the URL and sent. */
  signed?: Record<string, string>;
  /** Headers sent without being signed. */
  headers?: Record<string, string>;
  expiresIn?: number;
}

async function send(s3: S3Emulator, method: string, key: string, init: SendInit = {}): Promise<Response> {
  const url = await s3.presign({
    method,
    key,
    query: init.query ?? {},
    expiresIn: init.expiresIn ?? 900,
    ...(init.signed && { headers: init.signed }),
  });
  return s3.handle(new Request(url, { method, headers: { ...init.signed, ...init.headers }, body: init.body ?? null }));
}

async function s3Error(response: Response): Promise<{ status: number; code?: string; message?: string; xml: string }> {
  const xml = await response.text();
  return { status: response.status, code: xmlText(xml, 'Code'), message: xmlText(xml, 'Message'), xml };
}

async function create(s3: S3Emulator, key = 'uploads/file.bin'): Promise<string> {
  const response = await send(s3, 'POST', key, { query: { uploads: '' } });
  expect(response.status).to.equal(200);
  return xmlText(await response.text(), 'UploadId') as string;
}

async function uploadPart(s3: S3Emulator, uploadId: string, partNumber: number, body: Uint8Array<ArrayBuffer>, key = 'uploads/file.bin', extra: SendInit = {}): Promise<Response> {
  return send(s3, 'PUT', key, { query: { partNumber: String(partNumber), uploadId }, body, ...extra });
}

function completeXml(parts: Array<[number, string]>): string {
  const items = parts.map(([n, etag]) => `<Part><PartNumber>${n}</PartNumber><ETag>${etag}</ETag></Part>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${items}</CompleteMultipartUpload>`;
}

function hexToBase64(hex: string): string {
  return btoa(String.fromCharCode(...(hex.match(/../g) ?? []).map((byte) => parseInt(byte, 16))));
}

beforeEach(() => {
  clock = START;
});

describe('S3Emulator: signatures', () => {
  it('accepts a URL presigned by the AWS SDK (x-id and hoisted checksum query parameters included)', async () => {
    // Made with @aws-sdk/s3-request-presigner 3.1163.0 for endpoint http://127.0.0.1:8787/emulator/s3, forcePathStyle,
    // signingDate 2026-01-01T00:00:00Z: the signature passes and the request reaches the (unknown) upload.
    const sdkUrl =
      'http://127.0.0.1:8787/emulator/s3/mcu-bucket/uploads/a%20b%2B%281%29.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
      '&X-Amz-Content-Sha256=UNSIGNED-PAYLOAD&X-Amz-Credential=AKIDEMULATOR000000%2F20260101%2Fus-east-1%2Fs3%2Faws4_request' +
      '&X-Amz-Date=20260101T000000Z&X-Amz-Expires=900' +
      '&X-Amz-Signature=e7b6458cad12987849d2ba1531f27aac9690b0b748e4c9a52cb5135583b331ea&X-Amz-SignedHeaders=host' +
      '&partNumber=2&uploadId=no-such-upload&x-amz-checksum-crc32=AAAAAA%3D%3D&x-amz-sdk-checksum-algorithm=CRC32' +
      '&x-id=UploadPart';
    const s3 = emulator();
    const accepted = await s3Error(await s3.handle(new Request(sdkUrl, { method: 'PUT', body: 'part' })));
    expect([accepted.status, accepted.code]).to.deep.equal([404, 'NoSuchUpload']);

    const tampered = sdkUrl.replace('x-id=UploadPart', 'x-id=PutObject');
    const refused = await s3Error(await s3.handle(new Request(tampered, { method: 'PUT', body: 'part' })));
    expect([refused.status, refused.code]).to.deep.equal([403, 'SignatureDoesNotMatch']);
  });

  it('refuses a URL signed with another secret', async () => {
    const s3 = emulator();
    const uploadId = await create(s3);
    const url = await presignUrl({
      method: 'PUT',
      url: `${ORIGIN}/emulator/s3/mcu-bucket/uploads/file.bin?partNumber=1&uploadId=${uploadId}&x-id=UploadPart`,
      credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' },
      region: 'us-east-1',
      expiresIn: 900,
      now: clock,
    });
    const error = await s3Error(await s3.handle(new Request(url, { method: 'PUT', body: 'x' })));
    expect([error.status, error.code]).to.deep.equal([403, 'SignatureDoesNotMatch']);
    expect(s3.stats.uploadPart).to.equal(0);
  });

  it('signs every query parameter: a changed, added or removed one is refused', async () => {
    const s3 = emulator();
    const uploadId = await create(s3);
    const url = await s3.presign({ method: 'PUT', key: 'uploads/file.bin', query: { partNumber: '1', uploadId }, expiresIn: 900 });
    const variants = [
      url.replace('partNumber=1', 'partNumber=2'),
      `${url}&extra=1`,
      url.replace('&x-id=UploadPart', ''),
    ];
    for (const variant of variants) {
      const error = await s3Error(await s3.handle(new Request(variant, { method: 'PUT', body: 'x' })));
      expect([error.status, error.code], variant).to.deep.equal([403, 'SignatureDoesNotMatch']);
    }
    expect((await s3.handle(new Request(url, { method: 'PUT', body: 'x' }))).status).to.equal(200);
  });

  it('refuses a changed key, method or host', async () => {
    const s3 = emulator();
    const url = await s3.presign({ method: 'PUT', key: 'uploads/a.txt', expiresIn: 900 });
    const otherKey = url.replace('/uploads/a.txt', '/uploads/b.txt');
    const otherHost = url.replace('127.0.0.1:8787', '127.0.0.1:8788');
    for (const [target, method] of [[otherKey, 'PUT'], [otherHost, 'PUT'], [url, 'GET']] as const) {
      const error = await s3Error(await s3.handle(new Request(target, { method, body: method === 'GET' ? null : 'x' })));
      expect(error.code, `${method} ${target}`).to.equal('SignatureDoesNotMatch');
    }
    expect(s3.storedBytes('uploads/b.txt')).to.equal(undefined);
  });

  it('checks signed headers: a different or missing value is refused', async () => {
    const s3 = emulator();
    const body = new TextEncoder().encode('hello');
    const contentMd5 = hexToBase64(await md5(body));
    const url = await s3.presign({ method: 'PUT', key: 'k', expiresIn: 900, headers: { 'content-md5': contentMd5 } });
    const missing = await s3Error(await s3.handle(new Request(url, { method: 'PUT', body })));
    expect(missing.code).to.equal('SignatureDoesNotMatch');
    const different = await s3.handle(new Request(url, { method: 'PUT', body, headers: { 'content-md5': hexToBase64(await md5('x')) } }));
    expect((await s3Error(different)).code).to.equal('SignatureDoesNotMatch');
    const right = await s3.handle(new Request(url, { method: 'PUT', body, headers: { 'content-md5': contentMd5 } }));
    expect(right.status).to.equal(200);
  });

  it('refuses x-amz-* headers that were not signed, as S3 does', async () => {
    const s3 = emulator();
    const url = await s3.presign({ method: 'PUT', key: 'k', expiresIn: 900 });
    const response = await s3.handle(new Request(url, { method: 'PUT', body: 'x', headers: { 'x-amz-meta-a': '1' } }));
    const error = await s3Error(response);
    expect([error.status, error.code]).to.deep.equal([403, 'AccessDenied']);
    expect(xmlText(error.xml, 'HeadersNotSigned')).to.equal('x-amz-meta-a');
  });

  it('refuses an unknown access key with InvalidAccessKeyId', async () => {
    const s3 = emulator();
    const url = await presignUrl({
      method: 'GET',
      url: `${ORIGIN}/emulator/s3/mcu-bucket/k`,
      credentials: { accessKeyId: 'AKIDSOMEONEELSE', secretAccessKey: CREDENTIALS.secretAccessKey },
      region: 'us-east-1',
      expiresIn: 900,
      now: clock,
    });
    const error = await s3Error(await s3.handle(new Request(url)));
    expect([error.status, error.code]).to.deep.equal([403, 'InvalidAccessKeyId']);
  });

  it('refuses an expired URL with AccessDenied "Request has expired", and accepts it just before', async () => {
    const s3 = emulator();
    const url = await s3.presign({ method: 'PUT', key: 'k', expiresIn: 60 });
    clock = START + 60_000;
    expect((await s3.handle(new Request(url, { method: 'PUT', body: 'a' }))).status).to.equal(200);
    clock = START + 61_000;
    const error = await s3Error(await s3.handle(new Request(url, { method: 'PUT', body: 'b' })));
    expect([error.status, error.code, error.message]).to.deep.equal([403, 'AccessDenied', 'Request has expired']);
    expect(new TextDecoder().decode(s3.storedBytes('k'))).to.equal('a');
  });

  it('refuses X-Amz-Expires above 604800 with AuthorizationQueryParametersError', async () => {
    const s3 = emulator();
    const week = await s3.presign({ method: 'GET', key: 'k', expiresIn: 604_800 });
    expect((await s3Error(await s3.handle(new Request(week)))).code).to.equal('NoSuchKey');
    const tooLong = await s3.presign({ method: 'GET', key: 'k', expiresIn: 604_801 });
    const error = await s3Error(await s3.handle(new Request(tooLong)));
    expect([error.status, error.code]).to.deep.equal([400, 'AuthorizationQueryParametersError']);
  });

  it('refuses an unsigned request with AccessDenied, and a half-signed one with AuthorizationQueryParametersError', async () => {
    const s3 = emulator();
    const unsigned = await s3Error(await s3.handle(new Request(`${ORIGIN}/emulator/s3/mcu-bucket/k`, { method: 'PUT', body: 'x' })));
    expect([unsigned.status, unsigned.code]).to.deep.equal([403, 'AccessDenied']);
    const url = await s3.presign({ method: 'GET', key: 'k', expiresIn: 900 });
    const half = await s3Error(await s3.handle(new Request(url.replace(/&X-Amz-Credential=[^&]*/, ''))));
    expect([half.status, half.code]).to.deep.equal([400, 'AuthorizationQueryParametersError']);
  });

  it('refuses a URL signed for another region', async () => {
    const s3 = emulator();
    const url = await presignUrl({
      method: 'GET',
      url: `${ORIGIN}/emulator/s3/mcu-bucket/k`,
      credentials: CREDENTIALS,
      region: 'eu-west-1',
      expiresIn: 900,
      now: clock,
    });
    const error = await s3Error(await s3.handle(new Request(url)));
    expect([error.status, error.code]).to.deep.equal([400, 'AuthorizationQueryParametersError']);
    expect(error.message).to.contain("the region 'eu-west-1' is wrong");
  });
});

describe('S3Emulator: multipart upload', () => {
  it('stores the exact bytes of a completed upload under the multipart ETag, then forgets the upload id', async () => {
    const s3 = emulator();
    const part1 = makeBytes(5 * MiB, 1);
    const part2 = makeBytes(1234, 2);
    const uploadId = await create(s3);

    const r1 = await uploadPart(s3, uploadId, 1, part1);
    const r2 = await uploadPart(s3, uploadId, 2, part2);
    expect(r1.headers.get('etag')).to.equal(`"${await md5(part1)}"`);
    expect(r2.headers.get('etag')).to.equal(`"${await md5(part2)}"`);

    const listed = await send(s3, 'GET', 'uploads/file.bin', { query: { uploadId } });
    const parts = xmlElements(await listed.text(), 'Part').map((p) => [xmlText(p, 'PartNumber'), xmlText(p, 'Size'), xmlText(p, 'ETag')]);
    expect(parts).to.deep.equal([
      ['1', String(5 * MiB), r1.headers.get('etag')],
      ['2', '1234', r2.headers.get('etag')],
    ]);

    const body = completeXml([[1, r1.headers.get('etag') as string], [2, r2.headers.get('etag') as string]]);
    const completed = await send(s3, 'POST', 'uploads/file.bin', { query: { uploadId }, body });
    expect(completed.status).to.equal(200);
    const xml = await completed.text();
    const md5s = new Uint8Array([...(await md5(part1)).match(/../g)!, ...(await md5(part2)).match(/../g)!].map((h) => parseInt(h, 16)));
    expect(xmlText(xml, 'ETag')).to.equal(`"${await md5(md5s)}-2"`);
    expect(xmlText(xml, 'Location')).to.equal(`${ORIGIN}/emulator/s3/mcu-bucket/uploads/file.bin`);

    const stored = s3.storedBytes('uploads/file.bin') as Uint8Array;
    expect(stored.byteLength).to.equal(part1.byteLength + part2.byteLength);
    expect(await md5(stored)).to.equal(await md5(new Uint8Array([...part1, ...part2])));
    expect(s3.stats).to.deep.include({ create: 1, uploadPart: 2, listParts: 1, complete: 1 });
    expect(s3.stats.partNumbersReceived).to.deep.equal([1, 2]);

    for (const response of [
      await uploadPart(s3, uploadId, 3, part2),
      await send(s3, 'GET', 'uploads/file.bin', { query: { uploadId } }),
      await send(s3, 'POST', 'uploads/file.bin', { query: { uploadId }, body }),
    ]) {
      const error = await s3Error(response);
      expect([error.status, error.code]).to.deep.equal([404, 'NoSuchUpload']);
    }
  });

  it('accepts quoted or unquoted ETags, but not a wrong one or a missing part (InvalidPart)', async () => {
    const s3 = emulator({ minPartSize: 1 });
    const uploadId = await create(s3);
    const part = makeBytes(10);
    const etag = (await uploadPart(s3, uploadId, 1, part)).headers.get('etag') as string;
    for (const parts of [[[1, `"${'0'.repeat(32)}"`]], [[1, etag], [2, etag]]] as Array<Array<[number, string]>>) {
      const error = await s3Error(await send(s3, 'POST', 'uploads/file.bin', { query: { uploadId }, body: completeXml(parts) }));
      expect([error.status, error.code]).to.deep.equal([400, 'InvalidPart']);
    }
    const ok = await send(s3, 'POST', 'uploads/file.bin', { query: { uploadId }, body: completeXml([[1, etag.replace(/"/g, '')]]) });
    expect(ok.status).to.equal(200);
  });

  it('refuses parts listed out of order with InvalidPartOrder', async () => {
    const s3 = emulator({ minPartSize: 1 });
    const uploadId = await create(s3);
    const e1 = (await uploadPart(s3, uploadId, 1, makeBytes(3, 1))).headers.get('etag') as string;
    const e2 = (await uploadPart(s3, uploadId, 2, makeBytes(3, 2))).headers.get('etag') as string;
    for (const parts of [[[2, e2], [1, e1]], [[1, e1], [1, e1]]] as Array<Array<[number, string]>>) {
      const error = await s3Error(await send(s3, 'POST', 'uploads/file.bin', { query: { uploadId }, body: completeXml(parts) }));
      expect([error.status, error.code]).to.deep.equal([400, 'InvalidPartOrder']);
    }
  });

  it('refuses a non-last part under 5 MiB with EntityTooSmall, but not a small last part', async () => {
    const s3 = emulator();
    const uploadId = await create(s3);
    const e1 = (await uploadPart(s3, uploadId, 1, makeBytes(5 * MiB - 1, 1))).headers.get('etag') as string;
    const e2 = (await uploadPart(s3, uploadId, 2, makeBytes(10, 2))).headers.get('etag') as string;
    const error = await s3Error(await send(s3, 'POST', 'uploads/file.bin', { query: { uploadId }, body: completeXml([[1, e1], [2, e2]]) }));
    expect([error.status, error.code]).to.deep.equal([400, 'EntityTooSmall']);
    expect(xmlText(error.xml, 'PartNumber')).to.equal('1');

    const e1Full = (await uploadPart(s3, uploadId, 1, makeBytes(5 * MiB, 1))).headers.get('etag') as string;
    const ok = await send(s3, 'POST', 'uploads/file.bin', { query: { uploadId }, body: completeXml([[1, e1Full], [2, e2]]) });
    expect(ok.status).to.equal(200);
  });

  it('refuses a body that is not a CompleteMultipartUpload document with MalformedXML', async () => {
    const s3 = emulator();
    const uploadId = await create(s3);
    for (const body of ['', '<Nope/>', '<CompleteMultipartUpload></CompleteMultipartUpload>']) {
      const error = await s3Error(await send(s3, 'POST', 'uploads/file.bin', { query: { uploadId }, body }));
      expect([error.status, error.code], body).to.deep.equal([400, 'MalformedXML']);
    }
  });

  it('refuses part numbers outside 1..10000 with InvalidArgument', async () => {
    const s3 = emulator();
    const uploadId = await create(s3);
    for (const partNumber of [0, 10_001]) {
      const error = await s3Error(await uploadPart(s3, uploadId, partNumber, makeBytes(1)));
      expect([error.status, error.code], String(partNumber)).to.deep.equal([400, 'InvalidArgument']);
    }
    expect((await uploadPart(s3, uploadId, 10_000, makeBytes(1))).status).to.equal(200);
  });

  it('refuses a part above the maximum part size with EntityTooLarge', async () => {
    const s3 = emulator({ maxPartSize: 1000 });
    const uploadId = await create(s3);
    const error = await s3Error(await uploadPart(s3, uploadId, 1, makeBytes(1001)));
    expect([error.status, error.code]).to.deep.equal([400, 'EntityTooLarge']);
    expect((await uploadPart(s3, uploadId, 1, makeBytes(1000))).status).to.equal(200);
  });

  it('answers an unknown upload id, or one used with another key, with 404 NoSuchUpload', async () => {
    const s3 = emulator();
    const uploadId = await create(s3, 'uploads/a');
    for (const response of [
      await uploadPart(s3, 'unknown', 1, makeBytes(1), 'uploads/a'),
      await uploadPart(s3, uploadId, 1, makeBytes(1), 'uploads/b'),
    ]) {
      const error = await s3Error(response);
      expect([error.status, error.code, xmlText(error.xml, 'RequestId')?.length]).to.deep.equal([404, 'NoSuchUpload', 16]);
    }
  });

  it('aborts with 204, after which the upload id is NoSuchUpload', async () => {
    const s3 = emulator();
    const uploadId = await create(s3);
    await uploadPart(s3, uploadId, 1, makeBytes(5));
    expect(s3.pending()).to.deep.equal([{ uploadId, key: 'uploads/file.bin', partNumbers: [1] }]);
    expect((await send(s3, 'DELETE', 'uploads/file.bin', { query: { uploadId } })).status).to.equal(204);
    expect(s3.pending()).to.deep.equal([]);
    const again = await s3Error(await send(s3, 'DELETE', 'uploads/file.bin', { query: { uploadId } }));
    expect([again.status, again.code]).to.deep.equal([404, 'NoSuchUpload']);
    expect(s3.stats.abort).to.equal(1);
  });

  it('pages ListParts with max-parts and part-number-marker', async () => {
    const s3 = emulator();
    const uploadId = await create(s3);
    for (const n of [3, 1, 2]) await uploadPart(s3, uploadId, n, makeBytes(n));
    const first = await (await send(s3, 'GET', 'uploads/file.bin', { query: { uploadId, 'max-parts': '2' } })).text();
    expect(xmlElements(first, 'Part').map((p) => xmlText(p, 'PartNumber'))).to.deep.equal(['1', '2']);
    expect([xmlText(first, 'IsTruncated'), xmlText(first, 'NextPartNumberMarker'), xmlText(first, 'MaxParts')]).to.deep.equal(['true', '2', '2']);
    const second = await (await send(s3, 'GET', 'uploads/file.bin', { query: { uploadId, 'max-parts': '2', 'part-number-marker': '2' } })).text();
    expect(xmlElements(second, 'Part').map((p) => xmlText(p, 'PartNumber'))).to.deep.equal(['3']);
    expect(xmlText(second, 'IsTruncated')).to.equal('false');
  });
});

describe('S3Emulator: objects and digests', () => {
  it('stores a 0-byte PutObject and serves it back with GET and HEAD', async () => {
    const s3 = emulator();
    const put = await send(s3, 'PUT', 'empty.txt', { body: new Uint8Array(0), headers: { 'content-type': 'text/plain' } });
    expect(put.status).to.equal(200);
    expect(put.headers.get('etag')).to.equal('"d41d8cd98f00b204e9800998ecf8427e"');
    expect(s3.storedBytes('empty.txt')?.byteLength).to.equal(0);
    const get = await send(s3, 'GET', 'empty.txt');
    expect([get.status, get.headers.get('content-type'), (await get.arrayBuffer()).byteLength]).to.deep.equal([200, 'text/plain', 0]);
    const head = await send(s3, 'HEAD', 'empty.txt');
    expect([head.status, head.headers.get('etag')]).to.deep.equal([200, '"d41d8cd98f00b204e9800998ecf8427e"']);
    const missing = await send(s3, 'HEAD', 'nothing.txt');
    expect([missing.status, await missing.text()]).to.deep.equal([404, '']);
    expect(s3.stats.putObject).to.equal(1);
  });

  it('serves a byte range of an object', async () => {
    const s3 = emulator();
    await send(s3, 'PUT', 'r.bin', { body: 'abcdefghij' });
    const ranged = await send(s3, 'GET', 'r.bin', { headers: { range: 'bytes=2-4' } });
    expect([ranged.status, await ranged.text(), ranged.headers.get('content-range')]).to.deep.equal([206, 'cde', 'bytes 2-4/10']);
  });

  it('verifies Content-MD5: BadDigest on mismatch, InvalidDigest when malformed', async () => {
    const s3 = emulator();
    const uploadId = await create(s3);
    const body = makeBytes(100);
    const right = hexToBase64(await md5(body));
    const wrong = hexToBase64(await md5('other'));
    const bad = await s3Error(await uploadPart(s3, uploadId, 1, body, undefined, { headers: { 'content-md5': wrong } }));
    expect([bad.status, bad.code]).to.deep.equal([400, 'BadDigest']);
    const malformed = await s3Error(await uploadPart(s3, uploadId, 1, body, undefined, { headers: { 'content-md5': 'abc' } }));
    expect([malformed.status, malformed.code]).to.deep.equal([400, 'InvalidDigest']);
    expect(s3.stats.uploadPart).to.equal(0);
    expect((await uploadPart(s3, uploadId, 1, body, undefined, { headers: { 'content-md5': right } })).status).to.equal(200);
    const put = await s3Error(await send(s3, 'PUT', 'p', { body, headers: { 'content-md5': wrong } }));
    expect(put.code).to.equal('BadDigest');
  });

  const checksums: Array<[string, string, (bytes: Uint8Array) => Promise<string>]> = [
    ['crc32', 'CRC32', (b) => crc32(b)],
    ['crc32c', 'CRC32C', (b) => crc32(b, 0x82f63b78)],
    ['crc64nvme', 'CRC64NVME', (b) => crc64(b, '9a6c9329ac4bc9b5')],
    ['sha1', 'SHA1', (b) => sha1(b)],
    ['sha256', 'SHA256', (b) => sha256(b)],
  ];
  for (const [algorithm, name, digest] of checksums) {
    it(`verifies x-amz-checksum-${algorithm}: echoed when right, BadDigest naming ${name} when wrong`, async () => {
      const s3 = emulator();
      const uploadId = await create(s3);
      const body = makeBytes(1000);
      const header = `x-amz-checksum-${algorithm}`;
      const right = hexToBase64(await digest(body));
      const wrong = hexToBase64(await digest(makeBytes(1000, 7)));
      const ok = await uploadPart(s3, uploadId, 1, body, undefined, { signed: { [header]: right } });
      expect([ok.status, ok.headers.get(header)]).to.deep.equal([200, right]);
      const bad = await s3Error(await uploadPart(s3, uploadId, 2, body, undefined, { signed: { [header]: wrong } }));
      expect([bad.status, bad.code]).to.deep.equal([400, 'BadDigest']);
      expect(bad.message).to.equal(`The ${name} you specified did not match the calculated checksum.`);
      const listed = await (await send(s3, 'GET', 'uploads/file.bin', { query: { uploadId } })).text();
      expect(xmlText(listed, `Checksum${name}`)).to.equal(right);
    });
  }

  it('checks the known CRC64NVME check value of "123456789"', async () => {
    // Check value 0xae8b14860a799888 from the CRC catalogue; S3 sends it big-endian in Base64.
    expect(hexToBase64(await crc64('123456789', '9a6c9329ac4bc9b5'))).to.equal(hexToBase64('ae8b14860a799888'));
  });
});

describe('S3Emulator: POST Object (a browser form under a POST policy)', () => {
  const BUCKET_URL = `${ORIGIN}/emulator/s3/mcu-bucket`;
  const base64Md5 = async (bytes: Uint8Array) => btoa(String.fromCharCode(...(await md5(bytes)).match(/../g)!.map((h) => parseInt(h, 16))));

  /** A form: `fields`, then the file (unless `null`), then `after`; sent to the bucket URL. */
  function post(s3: S3Emulator, fields: Record<string, string>, file: Uint8Array<ArrayBuffer> | null, after: Record<string, string> = {}) {
    const form = new FormData();
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    if (file) form.append('file', new Blob([file]), 'picked.bin');
    for (const [name, value] of Object.entries(after)) form.append(name, value);
    return s3.handle(new Request(BUCKET_URL, { method: 'POST', body: form }));
  }

  const signed = (s3: S3Emulator, fields: Record<string, string> = {}, conditions: unknown[] = [], key = 'uploads/form.bin') =>
    s3.presignPost({ key, fields: { 'Content-Type': 'image/png', ...fields }, conditions, expiresIn: 60 });

  it('stores the file under the policy\'s key and type, answering 204 with ETag and Location, or 201 with XML', async () => {
    const s3 = emulator();
    const bytes = makeBytes(1000);
    const answer = await post(s3, await signed(s3, { 'Content-MD5': await base64Md5(bytes) }), bytes);
    expect(answer.status, await answer.clone().text()).to.equal(204);
    expect(answer.headers.get('etag')).to.equal(`"${await md5(bytes)}"`);
    expect(answer.headers.get('location')).to.equal(`${BUCKET_URL}/uploads/form.bin`);
    expect(s3.storedBytes('uploads/form.bin')).to.deep.equal(bytes);
    const got = await send(s3, 'GET', 'uploads/form.bin');
    expect(got.headers.get('content-type')).to.equal('image/png');
    const created = await post(s3, await signed(s3, { success_action_status: '201' }, [], 'uploads/${filename}'), bytes);
    expect(created.status).to.equal(201);
    expect(xmlText(await created.text(), 'Key')).to.equal('uploads/picked.bin');
    expect(s3.stats.postObject).to.equal(2);
  });

  it('checks the file against a Content-MD5 field: BadDigest on mismatch, InvalidDigest when malformed', async () => {
    const s3 = emulator();
    const bytes = makeBytes(100);
    const damaged = await s3Error(await post(s3, await signed(s3, { 'Content-MD5': await base64Md5(makeBytes(100, 2)) }), bytes));
    expect([damaged.status, damaged.code]).to.deep.equal([400, 'BadDigest']);
    const malformed = await s3Error(await post(s3, await signed(s3, { 'Content-MD5': 'abc' }), bytes));
    expect([malformed.status, malformed.code]).to.deep.equal([400, 'InvalidDigest']);
    expect(s3.storedBytes('uploads/form.bin')).to.equal(undefined);
  });

  it('holds every field to a condition: a changed one fails it, one without a condition is an extra input field', async () => {
    const s3 = emulator();
    const fields = await signed(s3);
    const changed = await s3Error(await post(s3, { ...fields, 'Content-Type': 'text/html' }, makeBytes(1)));
    expect([changed.status, changed.code]).to.deep.equal([403, 'AccessDenied']);
    expect(changed.message).to.equal('Invalid according to Policy: Policy Condition failed: ["eq", "$Content-Type", "image/png"]');
    const extra = await s3Error(await post(s3, { ...fields, 'x-amz-meta-note': 'n' }, makeBytes(1)));
    expect(extra.message).to.equal('Invalid according to Policy: Extra input fields: x-amz-meta-note');
    expect((await post(s3, { ...fields, 'x-ignore-note': 'n' }, makeBytes(1))).status).to.equal(204);
    const prefixed = await signed(s3, {}, [['starts-with', '$x-amz-meta-tag', 'ok-']]);
    expect((await post(s3, { ...prefixed, 'x-amz-meta-tag': 'ok-1' }, makeBytes(1))).status).to.equal(204);
    expect((await s3Error(await post(s3, { ...prefixed, 'x-amz-meta-tag': 'no-1' }, makeBytes(1)))).code).to.equal('AccessDenied');
  });

  it('ignores fields after the file, so a condition on one of them fails', async () => {
    const s3 = emulator();
    const { 'Content-Type': type, ...rest } = await signed(s3);
    const late = await s3Error(await post(s3, rest, makeBytes(1), { 'Content-Type': type as string }));
    expect([late.status, late.code]).to.deep.equal([403, 'AccessDenied']);
    expect(s3.stats.postObject).to.equal(0);
  });

  it('bounds the file by content-length-range with EntityTooLarge and EntityTooSmall', async () => {
    const s3 = emulator();
    const fields = await signed(s3, {}, [['content-length-range', 10, 10]]);
    const large = await s3Error(await post(s3, fields, makeBytes(11)));
    expect([large.status, large.code]).to.deep.equal([400, 'EntityTooLarge']);
    expect(xmlText(large.xml, 'MaxSizeAllowed')).to.equal('10');
    expect((await s3Error(await post(s3, fields, makeBytes(9)))).code).to.equal('EntityTooSmall');
    expect((await post(s3, fields, makeBytes(10))).status).to.equal(204);
  });

  it('refuses an expired policy, another secret\'s signature, an unknown key and a form without a policy', async () => {
    const s3 = emulator();
    const fields = await signed(s3);
    clock += 61_000;
    const expired = await s3Error(await post(s3, fields, makeBytes(1)));
    expect([expired.status, expired.code, expired.message]).to.deep.equal([403, 'AccessDenied', 'Invalid according to Policy: Policy expired.']);
    clock = START;
    const forged = emulator({ credentials: { ...CREDENTIALS, secretAccessKey: 'another-secret' } });
    expect((await s3Error(await post(s3, await signed(forged), makeBytes(1)))).code).to.equal('SignatureDoesNotMatch');
    const stranger = emulator({ credentials: { ...CREDENTIALS, accessKeyId: 'AKIDSTRANGER000000' } });
    expect((await s3Error(await post(s3, await signed(stranger), makeBytes(1)))).code).to.equal('InvalidAccessKeyId');
    const { Policy: _policy, ...anonymous } = fields;
    expect((await s3Error(await post(s3, anonymous, makeBytes(1)))).code).to.equal('AccessDenied');
    expect(s3.stats.postObject).to.equal(0);
  });

  it('refuses a form without a file or key, with a file field before others, too many field bytes, or not multipart', async () => {
    const s3 = emulator();
    const fields = await signed(s3);
    expect((await s3Error(await post(s3, fields, null))).code).to.equal('IncorrectNumberOfFilesInPostRequest');
    const { key: _key, ...keyless } = fields;
    expect((await s3Error(await post(s3, keyless, makeBytes(1)))).code).to.equal('InvalidArgument');
    const large = await s3Error(await post(s3, { 'x-ignore-pad': 'x'.repeat(21 * 1024), ...fields }, makeBytes(1)));
    expect([large.status, large.code]).to.deep.equal([400, 'MaxPostPreDataLengthExceededError']);
    const urlEncoded = await s3Error(await s3.handle(new Request(BUCKET_URL, { method: 'POST', body: new URLSearchParams(fields) })));
    expect([urlEncoded.status, urlEncoded.code]).to.deep.equal([412, 'PreconditionFailed']);
    const broken = await s3Error(await s3.handle(new Request(BUCKET_URL, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: 'not a form' })));
    expect([broken.status, broken.code]).to.deep.equal([400, 'MalformedPOSTRequest']);
  });

  it('expires the next policy on an expire fault', async () => {
    const s3 = emulator();
    const fault = s3.faults.expireUrls({ operation: 'PostObject' });
    const fields = await signed(s3);
    expect((await s3Error(await post(s3, fields, makeBytes(1)))).message).to.equal('Invalid according to Policy: Policy expired.');
    expect((await post(s3, fields, makeBytes(1))).status).to.equal(204);
    expect(fault.fired).to.equal(1);
  });
});

describe('S3Emulator: CORS', () => {
  // A page cannot set Access-Control-Request-Headers itself (a forbidden header); the echo is tested over real HTTP.
  it('answers preflight with 200 without asking for a signature', async () => {
    const s3 = emulator();
    const response = await s3.handle(new Request(`${ORIGIN}/emulator/s3/mcu-bucket/k?partNumber=1&uploadId=u`, {
      method: 'OPTIONS',
    }));
    expect(response.status).to.equal(200);
    expect(response.headers.get('access-control-allow-origin')).to.equal('*');
    expect(response.headers.get('access-control-allow-methods')).to.equal('GET, PUT, POST, DELETE, HEAD');
  });

  it('exposes ETag on successes and errors alike, unless the bucket rule forgets it', async () => {
    const s3 = emulator();
    const ok = await send(s3, 'PUT', 'k', { body: 'x' });
    const refused = await s3.handle(new Request(`${ORIGIN}/emulator/s3/mcu-bucket/k`, { method: 'PUT', body: 'x' }));
    for (const response of [ok, refused]) {
      expect(response.headers.get('access-control-allow-origin')).to.equal('*');
      const exposed = response.headers.get('access-control-expose-headers')?.split(', ');
      expect(exposed).to.include.members(['ETag', 'x-amz-request-id', 'x-amz-checksum-crc32']);
    }
    const forgetful = emulator({ exposeETag: false });
    const response = await send(forgetful, 'PUT', 'k', { body: 'x' });
    expect(response.headers.get('etag')).to.be.a('string');
    expect(response.headers.get('access-control-expose-headers')?.split(', ')).not.to.include('ETag');
  });
});

describe('S3Emulator: faults', () => {
  it('fails a part with 503 SlowDown and Retry-After, once, counting the firing', async () => {
    const s3 = emulator();
    const uploadId = await create(s3);
    const fault = s3.faults.failPart(2, { status: 503, retryAfter: '1' });
    expect((await uploadPart(s3, uploadId, 1, makeBytes(1))).status).to.equal(200);
    const first = await uploadPart(s3, uploadId, 2, makeBytes(1));
    expect(first.headers.get('retry-after')).to.equal('1');
    const error = await s3Error(first);
    expect([error.status, error.code]).to.deep.equal([503, 'SlowDown']);
    expect((await uploadPart(s3, uploadId, 2, makeBytes(1))).status).to.equal(200);
    expect(fault.fired).to.equal(1);
    expect(s3.stats.partNumbersReceived).to.deep.equal([1, 2]);
  });

  it('fails with 500 InternalError as many times as asked', async () => {
    const s3 = emulator();
    const uploadId = await create(s3);
    const fault = s3.faults.failPart(1, { status: 500, times: 2 });
    const codes = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await uploadPart(s3, uploadId, 1, makeBytes(1));
      codes.push(response.status === 200 ? 'ok' : (await s3Error(response)).code);
    }
    expect(codes).to.deep.equal(['InternalError', 'InternalError', 'ok']);
    expect(fault.fired).to.equal(2);
  });

  it('drops the connection of a part as a network error', async () => {
    const s3 = emulator();
    const uploadId = await create(s3);
    const fault = s3.faults.dropConnection(1, { afterBytes: 10 });
    const dropped = await uploadPart(s3, uploadId, 1, makeBytes(100));
    expect(dropped.type).to.equal('error');
    expect(s3.stats.uploadPart).to.equal(0);
    expect((await uploadPart(s3, uploadId, 1, makeBytes(100))).status).to.equal(200);
    expect(fault.fired).to.equal(1);
  });

  it('expires the next presigned request although its URL is still valid', async () => {
    const s3 = emulator();
    const uploadId = await create(s3);
    const fault = s3.faults.expireUrls({ operation: 'UploadPart' });
    const error = await s3Error(await uploadPart(s3, uploadId, 1, makeBytes(1)));
    expect([error.status, error.code, error.message]).to.deep.equal([403, 'AccessDenied', 'Request has expired']);
    expect((await uploadPart(s3, uploadId, 1, makeBytes(1))).status).to.equal(200);
    expect(fault.fired).to.equal(1);
  });

  it('delays a matching request', async () => {
    const s3 = emulator();
    const fault = s3.faults.delay(150, { operation: 'PutObject' });
    const started = performance.now();
    await send(s3, 'PUT', 'k', { body: 'x' });
    expect(performance.now() - started).to.be.at.least(140);
    expect(fault.fired).to.equal(1);
  });

  it('forgets objects, uploads, statistics and faults on reset()', async () => {
    const s3 = emulator();
    await create(s3);
    await send(s3, 'PUT', 'k', { body: 'x' });
    s3.faults.failPart(1, { status: 500 });
    const stats = s3.stats;
    s3.reset();
    expect(s3.storedBytes('k')).to.equal(undefined);
    expect(s3.pending()).to.deep.equal([]);
    expect(s3.faults.list()).to.deep.equal([]);
    expect(stats).to.deep.equal({ uploadPart: 0, putObject: 0, postObject: 0, create: 0, complete: 0, abort: 0, listParts: 0, partNumbersReceived: [] });
  });
});

import { expect } from '@open-wc/testing';
import { createIflytekOstHandler, iflytekOstDigest, signIflytekOstRequest } from '../../../src/server/iflytek-ost-handler.js';
import type { IflytekOstUpstreamRequest } from '../../../src/server/iflytek-ost-handler.js';
import {
  iflytekOstBodyDigest,
  iflytekOstSignature,
  iflytekOstStringToSign,
  parseIflytekOstAuthorization,
  parseIflytekOstDate,
} from '../../../src/emulators/iflytek-ost-signature.js';
import { IflytekOstEmulator } from '../../../src/emulators/iflytek-ost-emulator.js';

/** The note's worked example (§7): APIKey key123, APISecret secret456. */
const NOTE = {
  body: '{"request_id":"202507010800001","app_id":"appid123","cloud_id":"0"}',
  digest: 'SHA-256=3IUSmAf9s2m82ghN98GC/oWo6L/iawi6A31NE+nbp0Q=',
  date: 'Tue, 01 Jul 2025 08:00:00 GMT',
  host: 'upload-ost-api.xfyun.cn',
  signature: '0aEHW/UHBgw5ElbtnlAHabJv1X7bITrIToYhYbw9Vx0=',
  authorization:
    'api_key="key123", algorithm="hmac-sha256", headers="host date request-line digest", signature="0aEHW/UHBgw5ElbtnlAHabJv1X7bITrIToYhYbw9Vx0="',
};
const EMPTY_DIGEST = 'SHA-256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=';
const CREDENTIALS = { appId: 'unitapp', apiKey: 'unit-key', apiSecret: 'unit-secret' };
const utf8 = new TextEncoder();

describe('iflytek-ost signing', () => {
  it('the proxy\'s signer reproduces the note\'s digest and authorization header', async () => {
    expect(await iflytekOstDigest(NOTE.body)).to.equal(NOTE.digest);
    expect(await iflytekOstDigest(new Uint8Array(0))).to.equal(EMPTY_DIGEST);
    const authorization = await signIflytekOstRequest({
      apiKey: 'key123',
      apiSecret: 'secret456',
      host: NOTE.host,
      date: NOTE.date,
      method: 'post',
      path: '/file/mpupload/init',
      digest: NOTE.digest,
    });
    expect(authorization).to.equal(NOTE.authorization);
  });

  it('the emulator\'s verifier reproduces the same vector from its own code', async () => {
    expect(await iflytekOstBodyDigest(utf8.encode(NOTE.body))).to.equal(NOTE.digest);
    const message = iflytekOstStringToSign(NOTE.host, NOTE.date, 'POST', '/file/mpupload/init', NOTE.digest);
    expect(message).to.equal(`host: ${NOTE.host}\ndate: ${NOTE.date}\nPOST /file/mpupload/init HTTP/1.1\ndigest: ${NOTE.digest}`);
    expect(await iflytekOstSignature('secret456', message)).to.equal(NOTE.signature);
    expect(await iflytekOstSignature('secret457', message)).to.not.equal(NOTE.signature);
  });

  it('parses the authorization header strictly', () => {
    expect(parseIflytekOstAuthorization(NOTE.authorization)).to.deep.equal({
      apiKey: 'key123',
      algorithm: 'hmac-sha256',
      headers: 'host date request-line digest',
      signature: NOTE.signature,
    });
    expect(parseIflytekOstAuthorization('api_key="k", algorithm="hmac-sha256", headers="h"')).to.equal(undefined);
    expect(parseIflytekOstAuthorization(`${NOTE.authorization}, extra="1"`)).to.equal(undefined);
    expect(parseIflytekOstAuthorization(`${NOTE.authorization} trailing`)).to.equal(undefined);
    expect(parseIflytekOstAuthorization(btoa(NOTE.authorization))).to.equal(undefined);
  });

  it('reads only RFC 1123 GMT dates', () => {
    expect(parseIflytekOstDate(NOTE.date)).to.equal(Date.UTC(2025, 6, 1, 8, 0, 0));
    expect(parseIflytekOstDate('2025-07-01T08:00:00Z')).to.equal(undefined);
    expect(parseIflytekOstDate('Tue, 01 Jul 2025 08:00:00 +0000')).to.equal(undefined);
  });
});

/** A multipart body written by hand, so tests control its bytes and how they are cut into chunks. */
function multipart(boundary: string, fields: Array<[string, string]>, data: Uint8Array, trailer = ''): Uint8Array {
  const head = fields.map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('');
  const dataHead = `--${boundary}\r\nContent-Disposition: form-data; name="data"; filename="talk.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
  const parts = [utf8.encode(head + dataHead), data, utf8.encode(`${trailer}\r\n--${boundary}--\r\n`)];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  });
}

async function bytesOf(body: IflytekOstUpstreamRequest['body']): Promise<Uint8Array> {
  return body instanceof Uint8Array ? body : new Uint8Array(await new Response(body).arrayBuffer());
}

describe('iflytek-ost proxy handler, form bodies cut into small chunks', () => {
  const boundary = '----mcuBoundary7';
  const data = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) % 256);

  function setup(options: { multipartDigest?: 'empty' | 'body'; maxBodyBytes?: number } = {}) {
    const emulator = new IflytekOstEmulator({ basePath: '/up', credentials: CREDENTIALS, minSliceSize: 1, strictDigest: options.multipartDigest === 'body' });
    const calls: Array<{ headers: Record<string, string>; bytes: Uint8Array }> = [];
    const handler = createIflytekOstHandler({
      ...CREDENTIALS,
      upstream: 'https://upstream.example/up',
      basePath: '/api',
      cloudId: '0',
      ...options,
      send: async (call) => {
        const bytes = await bytesOf(call.body);
        calls.push({ headers: call.headers, bytes });
        return emulator.handleRaw({ ...call, body: bytes });
      },
    });
    // A page's Request drops Content-Length (a forbidden header); a server's carries it, so the test builds one by hand.
    const post = (path: string, body: Uint8Array, chunk: number, length = true) =>
      handler({
        url: `https://app.example/api${path}`,
        method: 'POST',
        headers: new Headers({ 'content-type': `multipart/form-data; boundary=${boundary}`, ...(length && { 'content-length': String(body.length) }) }),
        body: chunked(body, chunk),
        signal: new AbortController().signal,
      } as unknown as Request);
    return { emulator, calls, post };
  }

  for (const chunk of [1, 3, 17, 4096]) {
    it(`rebuilds the form with app_id and cloud_id (which seed 001 lists for /file/upload) and streams data through (${chunk}-byte chunks)`, async () => {
      const { emulator, calls, post } = setup();
      const single = await post('/file/upload', multipart(boundary, [['request_id', 'r-1']], data), chunk);
      const answer = (await single.json()) as { code: number; data: { url: string } };
      expect(answer.code).to.equal(0);
      expect(emulator.storedBytes(answer.data.url.split('/').pop()!)).to.deep.equal(data);
      const sent = calls[0]!;
      expect(sent.headers.digest).to.equal(EMPTY_DIGEST);
      expect(Number(sent.headers['content-length'])).to.equal(sent.bytes.length);
      const text = new TextDecoder().decode(sent.bytes.subarray(0, 400));
      expect(text).to.contain('name="app_id"\r\n\r\nunitapp\r\n');
      expect(text).to.contain('name="cloud_id"\r\n\r\n0\r\n');
      expect(text).to.contain('name="request_id"\r\n\r\nr-1\r\n');
      expect(text).to.contain('name="data"; filename="talk.wav"\r\nContent-Type: application/octet-stream\r\n\r\n');
    });
  }

  it('signs the real body digest with multipartDigest "body", which a strict emulator checks', async () => {
    const { calls, post } = setup({ multipartDigest: 'body' });
    const answer = (await (await post('/file/upload', multipart(boundary, [], data), 5)).json()) as { code: number };
    expect(answer.code).to.equal(0);
    expect(calls[0]!.headers.digest).to.equal(await iflytekOstDigest(calls[0]!.bytes));
  });

  it('refuses a field after data even when the boundary is cut across chunks, and a form that never closes', async () => {
    const { calls, post } = setup();
    const trailing = multipart(boundary, [], data, `\r\n--${boundary}\r\nContent-Disposition: form-data; name="app_id"\r\n\r\nother`);
    for (const chunk of [1, 2, 5, 64]) {
      const response = await post('/file/upload', trailing, chunk);
      expect(response.status).to.equal(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).to.equal('invalid-form');
    }
    const unclosed = multipart(boundary, [], data).subarray(0, -10);
    const response = await post('/file/upload', unclosed, 7, false);
    expect(((await response.json()) as { error: { message: string } }).error.message).to.contain('closing boundary');
    expect(calls).to.have.length(0);
  });

  it('refuses a body over maxBodyBytes while streaming, and up front when Content-Length says so', async () => {
    const { post } = setup({ maxBodyBytes: 250 });
    expect((await post('/file/upload', multipart(boundary, [], data), 9, false)).status).to.equal(413);
    expect((await post('/file/upload', multipart(boundary, [], data), 9)).status).to.equal(413);
  });
});

import { expect } from '@open-wc/testing';
import { UploadError } from '../../../src/core/errors.js';
import type { HttpRequest, HttpResponse } from '../../../src/core/http.js';
import {
  createIflytekOstAdapter,
  IFLYTEK_OST_LIMITS,
  parseIflytekOstError,
  seedStyleRequestId,
  seedStyleRequestIds,
} from '../../../src/providers/iflytek-ost.js';
import type { IflytekOstSession } from '../../../src/providers/iflytek-ost.js';
import type { AdapterContext, FileDescription } from '../../../src/core/adapter.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const ENDPOINT = 'https://app.example/api/iflytek-ost';

function answer(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    status,
    headers: { get: (name) => lower[name.toLowerCase()] ?? null },
    text: typeof body === 'string' ? body : JSON.stringify(body),
    url: `${ENDPOINT}/file/mpupload/upload`,
  };
}

function describeFile(size: number): FileDescription {
  return { name: 'talk.wav', size, type: 'audio/wav', lastModified: 1 };
}

/** A context whose `send` records requests and answers from a script; 2xx only, as the engine's would pass on. */
function context(size: number, replies: HttpResponse[]) {
  const sent: HttpRequest[] = [];
  const blob = new Blob([new Uint8Array(size)]);
  const ctx: AdapterContext = {
    file: describeFile(size),
    blob,
    plan: { partSize: 5 * MiB, partCount: Math.max(1, Math.ceil(size / (5 * MiB))) },
    signal: new AbortController().signal,
    digest: () => Promise.reject(new Error('no digests')),
    send: async (request) => {
      sent.push(request);
      const reply = replies.shift();
      if (!reply) throw new Error('unexpected request');
      return reply;
    },
  };
  return { ctx, sent, blob };
}

function formFields(request: HttpRequest): Array<[string, string | File]> {
  expect(request.body).to.be.instanceOf(FormData);
  return [...(request.body as FormData).entries()];
}

describe('iflytek-ost adapter', () => {
  // Seed 001's error table: "10001 | 请求参数不正确 | 检查请求参数是否合法", "10002 | 操作s3出错 | 提交工单", "10003 | 操作数据库出错 |
  // 提交工单", "10004 | 操作缓存出错 | 提交工单", "10005 | 上传信息已过期或没有上传 | 确认请求唯一标识是否已过期", "10006 | io操作失败 |
  // 提交工单", "10007 | 推送任务失败 | 提交工单": "提交工单" (file a ticket) is no advice to try again, so none of those is retried.
  describe('error table (seed 001)', () => {
    const cases: Array<[number, string, boolean]> = [
      [10001, 'provider-rejected', false],
      [10002, 'server-error', false],
      [10003, 'server-error', false],
      [10004, 'server-error', false],
      [10005, 'not-found', false],
      [10006, 'server-error', false],
      [10007, 'server-error', false],
    ];
    for (const [code, expected, retryable] of cases) {
      it(`maps service code ${code} to ${expected}${retryable ? ', retryable' : ''}`, () => {
        const error = parseIflytekOstError(answer(200, { code, message: 'server says', sid: 'ost0001@dx1' }));
        expect(error).to.be.instanceOf(UploadError);
        expect(error.code).to.equal(expected);
        expect(error.retryable).to.equal(retryable);
        expect(error.provider).to.deep.equal({ id: 'iflytek-ost', code: String(code), message: 'server says', requestId: 'ost0001@dx1' });
        expect(error.message).to.not.match(/undefined/);
      });
    }

    it('keeps the service\'s own words for 10001, which name the parameter', () => {
      expect(parseIflytekOstError(answer(200, { code: 10001, message: 'sliceId must not be empty' })).message).to.contain('sliceId must not be empty');
    });

    it('refuses an undocumented code without retrying', () => {
      const error = parseIflytekOstError(answer(200, { code: 11111, message: 'new' }));
      expect([error.code, error.retryable]).to.deep.equal(['provider-rejected', false]);
      expect(error.message).to.contain('11111');
    });

    it('maps the gateway\'s signature refusals: auth-failed, and a stale date as url-expired (signed again at once)', () => {
      const table: Array<[number, string, string]> = [
        [401, 'Unauthorized', 'auth-failed'],
        [401, 'HMAC signature cannot be verified', 'auth-failed'],
        [401, 'HMAC signature does not match', 'auth-failed'],
        [403, 'HMAC signature cannot be verified, a valid date or x-date header is required for HMAC Authentication', 'url-expired'],
        [403, 'Forbidden', 'auth-failed'],
      ];
      for (const [status, message, code] of table) {
        const error = parseIflytekOstError(answer(status, { message }));
        expect([message, error.code]).to.deep.equal([message, code]);
        expect(error.provider?.message).to.equal(message);
      }
      expect(parseIflytekOstError(answer(403, { message: 'Forbidden' })).message).to.contain('IP whitelist');
    });

    it('maps the proxy\'s own errors and bare statuses, keeping Retry-After and cutting queries from URLs', () => {
      const tooLarge = parseIflytekOstError(answer(413, { error: { code: 'body-too-large', message: 'too big' } }));
      expect([tooLarge.code, tooLarge.provider?.code]).to.deep.equal(['limit-exceeded', 'body-too-large']);
      expect(parseIflytekOstError(answer(400, { error: { code: 'invalid-field', message: 'app_id' } })).code).to.equal('provider-rejected');
      expect(parseIflytekOstError(answer(502, { error: { code: 'storage-unreachable', message: 'x' } })).code).to.equal('server-error');
      const busy = parseIflytekOstError(answer(429, 'slow down', { 'Retry-After': '7' }));
      expect([busy.code, busy.retryAfter]).to.deep.equal(['rate-limited', '7']);
      const html = parseIflytekOstError({ ...answer(500, '<html>'), url: `${ENDPOINT}/file/upload?token=abc` });
      expect(html.code).to.equal('server-error');
      expect(html.message).to.not.contain('token');
      expect(parseIflytekOstError(answer(404, { message: 'no Route matched with those values' })).code).to.equal('not-found');
    });

    it('maps the proxy\'s time limits to a retryable timeout, and its refusal of a foreign upload to auth-failed', () => {
      const stalled = parseIflytekOstError(answer(408, { error: { code: 'request-timeout', message: 'The page sent nothing for 30000 ms.' } }));
      expect([stalled.code, stalled.retryable]).to.deep.equal(['timeout', true]);
      const slow = parseIflytekOstError(answer(504, { error: { code: 'upstream-timeout', message: 'late' } }));
      expect([slow.code, slow.retryable]).to.deep.equal(['timeout', true]);
      const foreign = parseIflytekOstError(answer(403, { error: { code: 'forbidden', message: 'This request is not allowed.' } }));
      expect([foreign.code, foreign.retryable, foreign.provider?.code]).to.deep.equal(['auth-failed', false, 'forbidden']);
    });
  });

  describe('part planning', () => {
    const adapter = createIflytekOstAdapter({ endpoint: ENDPOINT });

    it('plans one request up to the 20 MiB default threshold, then 10 MiB slices', () => {
      expect(adapter.planParts!(describeFile(20 * MiB), undefined)).to.deep.equal({ partSize: 20 * MiB, partCount: 1 });
      expect(adapter.planParts!(describeFile(20 * MiB + 1), undefined)).to.deep.equal({ partSize: 10 * MiB, partCount: 3 });
    });

    it('keeps slices within 5 MiB to 5 GiB and at most 10,000 of them', () => {
      expect(adapter.planParts!(describeFile(64 * MiB), MiB)).to.deep.equal({ partSize: 5 * MiB, partCount: 13 });
      expect(adapter.planParts!(describeFile(64 * MiB), 8 * GiB).partSize).to.equal(5 * GiB);
      const huge = adapter.planParts!(describeFile(100_000 * MiB), undefined);
      expect(huge.partCount).to.be.at.most(10_000);
      expect(huge.partSize).to.be.at.least(10 * MiB);
      expect(IFLYTEK_OST_LIMITS).to.include({ minPartSize: 5 * MiB, maxPartSize: 5 * GiB, maxParts: 10_000 });
    });

    it('refuses an empty file and one beyond 10,000 slices of 5 GiB before any request', () => {
      expect(() => adapter.planParts!(describeFile(0), undefined)).to.throw(UploadError).with.property('code', 'file-empty');
      expect(() => adapter.planParts!(describeFile(10_000 * 5 * GiB + 1), undefined))
        .to.throw(UploadError)
        .with.property('code', 'file-too-large');
    });

    it('takes the threshold as an option, below the single-upload limit', () => {
      const low = createIflytekOstAdapter({ endpoint: ENDPOINT, multipartThreshold: MiB });
      expect(low.planParts!(describeFile(3 * MiB), undefined)).to.deep.equal({ partSize: 10 * MiB, partCount: 1 });
      expect(() => createIflytekOstAdapter({ endpoint: ENDPOINT, multipartThreshold: 40_000_000 })).to.throw(RangeError);
      expect(() => createIflytekOstAdapter({ endpoint: ENDPOINT, multipartThreshold: -1 })).to.throw(RangeError);
      expect(() => createIflytekOstAdapter({})).to.throw(/endpoint/);
    });

    it('sends slices in parallel unless sequentialSlices is set', () => {
      const session: IflytekOstSession = { mode: 'multipart', uploadId: 'up_1' };
      expect(adapter.sequentialParts!(session)).to.equal(false);
      expect(createIflytekOstAdapter({ endpoint: ENDPOINT, sequentialSlices: true }).sequentialParts!(session)).to.equal(true);
      expect(adapter.digests(describeFile(1))).to.deep.equal([]);
    });
  });

  describe('requests', () => {
    const ok = (data?: Record<string, string>) => answer(200, { code: 0, sid: 'ost0001@dx9', message: 'success', ...(data && { data }) });

    it('runs init, form-data slices and complete against the proxy routes, with no app_id or secret from the page', async () => {
      const adapter = createIflytekOstAdapter({ endpoint: `${ENDPOINT}/`, headers: { 'X-App-Session': 's1' } });
      const { ctx, sent, blob } = context(11 * MiB, [ok({ upload_id: 'up_42' }), ok(), ok({ url: 'https://files.example/a.wav?sig=1' })]);
      const created = await adapter.create(ctx);
      expect(created).to.deep.equal({ kind: 'session', session: { mode: 'multipart', uploadId: 'up_42' } });
      const session = (created as { session: IflytekOstSession }).session;
      const receipt = await adapter.uploadPart(ctx, session, { partNumber: 2, offset: 5 * MiB, size: 5 * MiB, blob: blob.slice(5 * MiB, 10 * MiB) });
      expect(receipt).to.deep.equal({ partNumber: 2, size: 5 * MiB, sid: 'ost0001@dx9' });
      const result = await adapter.complete(ctx, session, [receipt]);

      expect(sent.map((r) => [r.method, r.url])).to.deep.equal([
        ['POST', `${ENDPOINT}/file/mpupload/init`],
        ['POST', `${ENDPOINT}/file/mpupload/upload`],
        ['POST', `${ENDPOINT}/file/mpupload/complete`],
      ]);
      expect(sent[0]!.headers).to.deep.equal({ 'X-App-Session': 's1', 'Content-Type': 'application/json' });
      expect(Object.keys(JSON.parse(sent[0]!.body as string))).to.deep.equal(['request_id']);
      const fields = formFields(sent[1]!);
      expect(fields.map(([name]) => name)).to.deep.equal(['request_id', 'upload_id', 'slice_id', 'data']);
      expect(fields[1]![1]).to.equal('up_42');
      expect(fields[2]![1]).to.equal('2');
      expect((fields[3]![1] as File).size).to.equal(5 * MiB);
      expect((fields[3]![1] as File).name).to.equal('talk.wav');
      expect(sent[1]!.headers).to.deep.equal({ 'X-App-Session': 's1' });
      const completeBody = JSON.parse(sent[2]!.body as string);
      expect(completeBody.upload_id).to.equal('up_42');
      // Seed 001's examples: `"request_id":"202006290840"`, `"request_id":"202006290849"`: twelve digits, to the minute.
      for (const id of [JSON.parse(sent[0]!.body as string).request_id, fields[0]![1], completeBody.request_id]) expect(id).to.match(/^\d{12}$/);
      expect(result).to.deep.equal({ location: 'https://files.example/a.wav', url: 'https://files.example/a.wav?sig=1', uploadId: 'up_42', sid: 'ost0001@dx9' });
    });

    it('gives every request its own seed-shaped request_id, also within one minute (seed 001: request_id "请求唯一标识")', async () => {
      let now = Date.UTC(2020, 5, 29, 0, 40, 5);
      const next = seedStyleRequestIds(() => now);
      expect([next(), next(), next()]).to.deep.equal(['202006290840', '202006290841', '202006290842']);
      now = Date.UTC(2020, 5, 29, 0, 59, 0);
      expect(next(), 'the clock is ahead again').to.equal('202006290859');
      expect(next(), 'the next minute is a real one, past the hour').to.equal('202006290900');

      const adapter = createIflytekOstAdapter({ endpoint: ENDPOINT });
      const first = context(11 * MiB, [ok({ upload_id: 'up_1' })]);
      const second = context(11 * MiB, [ok({ upload_id: 'up_2' })]);
      await adapter.create(first.ctx);
      await createIflytekOstAdapter({ endpoint: ENDPOINT }).create(second.ctx);
      const ids = [first.sent[0]!, second.sent[0]!].map((request) => JSON.parse(request.body as string).request_id as string);
      for (const id of ids) expect(id).to.match(/^\d{12}$/);
      expect(ids[0], 'two uploads in the same minute, even through two adapters').to.not.equal(ids[1]);
    });

    it('writes request_id as the seed examples do by default (yyyyMMddHHmm, UTC+8), or as the requestId option says', async () => {
      expect(seedStyleRequestId(Date.UTC(2020, 5, 29, 0, 40, 59))).to.equal('202006290840');
      const ids = ['a-1', 'a-2'];
      const adapter = createIflytekOstAdapter({ endpoint: ENDPOINT, requestId: () => ids.shift()! });
      const { ctx, sent } = context(11 * MiB, [ok({ upload_id: 'up_1' })]);
      await adapter.create(ctx);
      expect(JSON.parse(sent[0]!.body as string).request_id).to.equal('a-1');
    });

    it('sends a small file as one /file/upload form, keeping the URL in memory only', async () => {
      const adapter = createIflytekOstAdapter({ endpoint: ENDPOINT });
      const { ctx, sent, blob } = context(1000, [ok({ url: 'https://files.example/b.wav?sig=2' })]);
      const created = await adapter.create(ctx);
      const session = (created as { session: IflytekOstSession }).session;
      expect(session.mode).to.equal('single');
      expect(sent).to.have.length(0);
      const receipt = await adapter.uploadPart(ctx, session, { partNumber: 1, offset: 0, size: 1000, blob });
      expect(JSON.stringify(receipt)).to.not.contain('http');
      expect(formFields(sent[0]!).map(([name]) => name)).to.deep.equal(['request_id', 'data']);
      expect(sent[0]!.url).to.equal(`${ENDPOINT}/file/upload`);
      const result = await adapter.complete(ctx, session, [receipt]);
      expect(result.url).to.equal('https://files.example/b.wav?sig=2');
      // After a reload the URL is gone; complete says not-found, and the engine starts over.
      const again = await adapter.complete(ctx, session, [receipt]).catch((error: UploadError) => error);
      expect((again as UploadError).code).to.equal('not-found');
    });

    it('keeps an upload_id bound to a principal (`<id>.<mac>`) exactly as the proxy gave it', async () => {
      const bound = 'up_200629084309761716841002.Qk9VTkRfVE9fQUxJQ0UxMj';
      const adapter = createIflytekOstAdapter({ endpoint: ENDPOINT });
      const { ctx, sent } = context(30 * MiB, [ok({ upload_id: bound }), ok({ url: 'https://files.example/c.wav' })]);
      const created = await adapter.create(ctx);
      expect(created).to.deep.equal({ kind: 'session', session: { mode: 'multipart', uploadId: bound } });
      const result = await adapter.complete(ctx, (created as { session: IflytekOstSession }).session, []);
      expect(JSON.parse(sent[1]!.body as string).upload_id).to.equal(bound);
      expect(result.uploadId).to.equal(bound);
    });

    it('cancels a multipart upload on abort, and does nothing for a single one', async () => {
      const adapter = createIflytekOstAdapter({ endpoint: ENDPOINT });
      const { ctx, sent } = context(30 * MiB, [ok()]);
      await adapter.abort!(ctx, { mode: 'multipart', uploadId: 'up_7' });
      await adapter.abort!(ctx, { mode: 'single', ref: 'r' });
      expect(sent.map((r) => r.url)).to.deep.equal([`${ENDPOINT}/file/mpupload/cancel`]);
      expect(JSON.parse(sent[0]!.body as string).upload_id).to.equal('up_7');
    });

    it('throws the mapped error for a non-zero code under HTTP 200, and bad-response for answers it cannot use', async () => {
      const adapter = createIflytekOstAdapter({ endpoint: ENDPOINT });
      const session: IflytekOstSession = { mode: 'multipart', uploadId: 'up_1' };
      const part = (blob: Blob) => ({ partNumber: 1, offset: 0, size: 10, blob: blob.slice(0, 10) });
      const expired = context(30 * MiB, [answer(200, { code: 10005, message: 'gone', sid: 's' })]);
      const error = await adapter.uploadPart(expired.ctx, session, part(expired.blob)).catch((e: UploadError) => e);
      expect([(error as UploadError).code, (error as UploadError).provider?.code]).to.deep.equal(['not-found', '10005']);

      const html = context(30 * MiB, [answer(200, '<html>proxy page</html>')]);
      expect(((await adapter.create(html.ctx).catch((e: UploadError) => e)) as UploadError).code).to.equal('bad-response');
      const noId = context(30 * MiB, [ok()]);
      expect(((await adapter.create(noId.ctx).catch((e: UploadError) => e)) as UploadError).message).to.contain('upload_id');
    });
  });
});

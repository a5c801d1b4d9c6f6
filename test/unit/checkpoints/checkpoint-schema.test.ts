import { expect } from '@open-wc/testing';
import {
  findHashStateProblem,
  findReceiptProblem,
  validateCheckpointRecord,
} from '../../../src/checkpoints/checkpoint-schema.js';
import type { CheckpointRecord } from '../../../src/core/types.js';

const SIGNED_URL =
  'https://bucket.s3.amazonaws.com/uploads/a.bin?partNumber=1&uploadId=u1&X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature=deadbeefcafe';

function makeRecord(): CheckpointRecord {
  return {
    version: 1,
    fingerprint: 'fp-1',
    adapterId: 's3',
    target: 'https://bucket.example/uploads',
    file: { name: 'what?.bin', size: 25, type: 'application/octet-stream', lastModified: 1_700_000_000_000 },
    plan: { partSize: 10, partCount: 3 },
    session: { uploadId: 'u-1', key: 'uploads/what?.bin', location: 'https://bucket.example/uploads/what.bin', nested: [1, null, true] },
    receipts: [
      { partNumber: 1, size: 10, etag: '"e1"' },
      { partNumber: 2, size: 10, etag: '"e2"', checksumCrc32: 'AAAAAA==' },
    ],
    hashState: [{ algorithm: 'sha256', bytes: 20, words: [0, 0xffffffff, 123] }],
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_100_000,
  };
}

/** A valid record with one change applied to a deep copy. */
function withChange(change: (record: Record<string, unknown>) => void): unknown {
  const record = structuredClone(makeRecord()) as unknown as Record<string, unknown>;
  change(record);
  return record;
}

function problemOf(value: unknown, fingerprint?: string): string {
  const check = validateCheckpointRecord(value, fingerprint);
  if (check.ok) throw new Error('expected the record to be refused');
  return check.problem;
}

describe('validateCheckpointRecord', () => {
  it('accepts a complete record, with or without hash state, and returns it typed', () => {
    const record = makeRecord();
    const check = validateCheckpointRecord(record, 'fp-1');
    expect(check.ok).to.equal(true);
    if (check.ok) expect(check.record).to.equal(record);
    delete record.hashState;
    expect(validateCheckpointRecord(record).ok).to.equal(true);
    expect(validateCheckpointRecord({ ...makeRecord(), session: null }).ok).to.equal(true);
  });

  it('refuses non-objects', () => {
    for (const value of [undefined, null, 'garbage', 42, [makeRecord()], new Date()]) {
      expect(problemOf(value)).to.match(/not an object/);
    }
  });

  it('refuses any version but 1', () => {
    expect(problemOf(withChange((record) => (record.version = 2)))).to.match(/version/);
    expect(problemOf(withChange((record) => delete record.version))).to.match(/version/);
  });

  it('refuses a record of another file', () => {
    expect(problemOf(makeRecord(), 'fp-2')).to.match(/another file/);
  });

  it('refuses missing fields and wrong types, naming the field', () => {
    const cases: [string, (record: Record<string, unknown>) => void][] = [
      ['fingerprint', (record) => (record.fingerprint = '')],
      ['adapterId', (record) => delete record.adapterId],
      ['target', (record) => (record.target = 7)],
      ['file is', (record) => delete record.file],
      ['file.name', (record) => ((record.file as Record<string, unknown>).name = 1)],
      ['file.size', (record) => ((record.file as Record<string, unknown>).size = '25')],
      ['file.size', (record) => ((record.file as Record<string, unknown>).size = -1)],
      ['file.type', (record) => delete (record.file as Record<string, unknown>).type],
      ['file.lastModified', (record) => ((record.file as Record<string, unknown>).lastModified = NaN)],
      ['plan is', (record) => delete record.plan],
      ['plan.partSize', (record) => ((record.plan as Record<string, unknown>).partSize = 1.5)],
      ['plan.partCount', (record) => ((record.plan as Record<string, unknown>).partCount = '3')],
      ['session', (record) => delete record.session],
      ['receipts', (record) => (record.receipts = {})],
      ['receipts[0]', (record) => ((record.receipts as unknown[])[0] = 'x')],
      ['receipts[0].partNumber', (record) => ((record.receipts as Record<string, unknown>[])[0]!.partNumber = 0)],
      ['receipts[1].size', (record) => delete (record.receipts as Record<string, unknown>[])[1]!.size],
      ['receipts[0].etag', (record) => ((record.receipts as Record<string, unknown>[])[0]!.etag = 5)],
      ['receipts[1].partNumber', (record) => ((record.receipts as Record<string, unknown>[])[1]!.partNumber = 1)],
      ['receipts[1].partNumber', (record) => ((record.receipts as Record<string, unknown>[])[1]!.partNumber = 4)],
      ['hashState is', (record) => (record.hashState = { algorithm: 'md5' })],
      ['hashState[0].algorithm', (record) => ((record.hashState as Record<string, unknown>[])[0]!.algorithm = 'sha512')],
      ['hashState[0].bytes', (record) => ((record.hashState as Record<string, unknown>[])[0]!.bytes = -64)],
      ['hashState[0].words', (record) => ((record.hashState as Record<string, unknown>[])[0]!.words = [2 ** 32])],
      ['hashState[0].words', (record) => ((record.hashState as Record<string, unknown>[])[0]!.words = 'abc')],
      ['createdAt', (record) => delete record.createdAt],
      ['updatedAt', (record) => (record.updatedAt = '2026-01-01')],
    ];
    for (const [field, change] of cases) {
      expect(problemOf(withChange(change)), field).to.contain(field);
    }
  });

  it('refuses a session that is not JSON', () => {
    expect(problemOf(withChange((record) => (record.session = { at: new Date() })))).to.contain('record.session.at');
    expect(problemOf(withChange((record) => (record.session = { size: Infinity })))).to.contain('record.session.size');
    expect(problemOf(withChange((record) => (record.session = [1, undefined])))).to.contain('record.session[1]');
    expect(problemOf(withChange((record) => (record.session = new Map())))).to.contain('record.session');
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(problemOf(withChange((record) => (record.session = loop)))).to.match(/refers back/);
    let deep: unknown = 'leaf';
    for (let level = 0; level < 100; level += 1) deep = [deep];
    expect(problemOf(withChange((record) => (record.session = deep)))).to.match(/too deeply/);
  });

  it('allows undefined object members, which JSON drops', () => {
    expect(validateCheckpointRecord(withChange((record) => (record.session = { uploadId: 'u', marker: undefined }))).ok).to.equal(true);
  });

  it('refuses a presigned URL anywhere, without echoing it', () => {
    const places: ((record: Record<string, unknown>) => void)[] = [
      (record) => (record.session = { uploadId: 'u', partUrls: [SIGNED_URL] }),
      (record) => (record.target = SIGNED_URL),
      (record) => ((record.receipts as Record<string, unknown>[])[0]!.location = SIGNED_URL),
      (record) => (record.session = { next: '/api/upload/part?uploadId=u&sig=abc' }),
      (record) => (record.session = { next: '//cdn.example/part?expires=1' }),
      (record) => (record.session = { query: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc' }),
    ];
    for (const change of places) {
      const problem = problemOf(withChange(change));
      expect(problem).to.match(/URL with a query string/);
      expect(problem).not.to.contain('deadbeef');
      expect(problem).not.to.contain('sig=');
    }
  });

  it('refuses credential-like field names anywhere', () => {
    for (const field of ['accessToken', 'sessionToken', 'Authorization', 'clientSecret', 'credentials', 'X-Amz-Date', 'signature']) {
      const problem = problemOf(withChange((record) => (record.session = { uploadId: 'u', inner: { [field]: 'v' } })));
      expect(problem, field).to.equal(`record.session.inner.${field} is a credential-like field`);
    }
  });

  it('keeps URLs without a query and keys containing a question mark', () => {
    const record = withChange((value) => {
      value.session = { location: 'https://bucket.example/uploads/a.bin', key: 'photos/what?.jpg', note: 'is it done? yes' };
    });
    expect(validateCheckpointRecord(record).ok).to.equal(true);
  });
});

describe('findReceiptProblem and findHashStateProblem', () => {
  it('accept what the store may keep', () => {
    expect(findReceiptProblem({ partNumber: 3, size: 0, etag: '"x"', crc64: '123' })).to.equal(undefined);
    expect(findHashStateProblem([{ algorithm: 'md5', bytes: 64, words: [1, 2, 3, 4] }])).to.equal(undefined);
    expect(findHashStateProblem([])).to.equal(undefined);
  });

  it('refuse malformed or secret-bearing receipts and states', () => {
    expect(findReceiptProblem({ size: 1 })).to.contain('receipt.partNumber');
    expect(findReceiptProblem({ partNumber: 1, size: 1, 'x-amz-checksum-sha256': 'abc' })).to.contain('credential-like');
    expect(findReceiptProblem({ partNumber: 1, size: 1, url: SIGNED_URL })).to.contain('URL with a query string');
    expect(findHashStateProblem([{ algorithm: 'md5', bytes: 1, words: [-1] }])).to.contain('hashState[0].words');
    expect(findHashStateProblem({})).to.contain('not an array');
  });
});

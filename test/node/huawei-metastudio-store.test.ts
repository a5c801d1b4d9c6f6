// The in-memory record store the MetaStudio handler falls back to without `secret` or `store`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { memoryUploadStore } from '../../src/server/huawei-metastudio-handler.js';
import type { MetaStudioUploadRecord } from '../../src/server/huawei-metastudio-handler.js';

const HOUR = 60 * 60 * 1000;

function record(fileId: string, expiresAt: number): MetaStudioUploadRecord {
  return { fileId, assetId: 'a', uploadUrl: 'https://obs.test/b/k', expiresAt, fileMd5: 'AAAAAAAAAAAAAAAAAAAAAA==', fileSize: 1, contentType: 'image/png' };
}

describe('MetaStudio in-memory upload store', () => {
  it('keeps a record until a day after its upload URL expired', async () => {
    let now = 1_700_000_000_000;
    const store = memoryUploadStore(() => now);
    await store.set(record('f1', now + 24 * HOUR));
    now += 47 * HOUR;
    assert.equal((await store.get('f1'))?.fileId, 'f1');
    now += 2 * HOUR;
    assert.equal(await store.get('f1'), undefined);
  });

  it('does not scan every record on each insert: 20,000 inserts stay fast', async () => {
    // Scanning all records per insert made this about 10 s; constant-time inserts take milliseconds.
    const store = memoryUploadStore();
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) await store.set(record(`f${i}`, Date.now() + 24 * HOUR));
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 2000, `20,000 inserts took ${elapsed.toFixed(0)} ms`);
    assert.equal((await store.get('f0'))?.fileId, 'f0');
  });
});

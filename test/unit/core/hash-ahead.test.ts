import { expect } from '@open-wc/testing';
import { md5 } from 'hash-wasm';
import { UploadManager } from '../../../src/core/upload-manager.js';
import { CheckpointStore } from '../../../src/checkpoints/checkpoint-store.js';
import { hashWorkerCount } from '../../../src/hashing/hash-client.js';
import type { DigestSpec } from '../../../src/hashing/digest-spec.js';
import type { ProviderAdapter } from '../../../src/core/adapter.js';
import { createMemoryAdapter, type MemorySession } from '../../helpers/memory-adapter.js';
import { fileWithBytes } from '../../helpers/make-blob.js';
import { uploadOutcome } from '../../helpers/manager-events.js';
import { releaseManagers } from '../../helpers/manager-fixture.js';

const KiB = 1024;
const PART = 64 * KiB;
const LANES = 2;
const MD5: DigestSpec = { name: 'md5', algorithm: 'md5', scope: 'part', encoding: 'hex', when: 'before-part' };

describe('hashing ahead of the upload lanes', () => {
  const managers: UploadManager[] = [];
  let dbName: string;

  beforeEach(() => {
    dbName = `mcu-hash-ahead-${crypto.randomUUID()}`;
  });
  afterEach(() => releaseManagers(managers, dbName));

  it('per-part digests run at most lanes + hash workers parts ahead of the bytes sent, however large the file', async () => {
    const memory = createMemoryAdapter({ delayMs: 40, limits: { defaultPartSize: PART } });
    const wrongDigests: number[] = [];
    // The memory store with a per-part MD5 the engine must compute before each part, checked against the bytes sent.
    const adapter: ProviderAdapter<MemorySession> = {
      ...memory,
      digests: () => [MD5],
      uploadPart: async (ctx, session, part) => {
        const digest = await ctx.digest('md5', part.partNumber);
        if (digest !== (await md5(new Uint8Array(await part.blob.arrayBuffer())))) wrongDigests.push(part.partNumber);
        return memory.uploadPart(ctx, session, part);
      },
    };
    const manager = new UploadManager({ adapter, checkpointStore: new CheckpointStore({ dbName }), concurrency: LANES, partSize: PART });
    managers.push(manager);
    const { file, bytes } = fileWithBytes(40 * PART, 'ahead.bin', 41);
    let mostAhead = 0;
    let mostHashed = 0;
    manager.addEventListener('task-progress', ({ detail: { progress } }) => {
      mostHashed = Math.max(mostHashed, progress.bytesHashed ?? 0);
      // Sent: stored, or sent and waiting for its receipt to be written; the parts in flight are what the lanes hold.
      mostAhead = Math.max(mostAhead, (progress.bytesHashed ?? 0) - progress.bytesSent);
    });
    const { error } = await uploadOutcome(manager, file);
    expect(error).to.equal(undefined);
    expect(wrongDigests).to.deep.equal([]);
    expect(memory.stored.get('ahead.bin')).to.deep.equal(bytes);
    expect(mostHashed).to.equal(bytes.length);
    expect(mostAhead / PART).to.be.at.most(LANES + hashWorkerCount(LANES));
  });
});

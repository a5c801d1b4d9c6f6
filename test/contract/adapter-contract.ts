import { expect, waitUntil } from '@open-wc/testing';
import { createStore, entries } from 'idb-keyval';
import { UploadManager } from '../../src/core/upload-manager.js';
import type { UploadManagerOptions } from '../../src/core/upload-manager.js';
import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import type { ProviderAdapter, UploadResult } from '../../src/core/adapter.js';
import type { UploadError, UploadErrorCode } from '../../src/core/errors.js';
import { makeBytes } from '../helpers/make-blob.js';
import { e2eServers, firstDifference } from '../helpers/e2e.js';
import { adminRoute, storedBytesOf, type ArmedFault } from '../helpers/emulator-admin.js';
import { leavePageAfter, once, outcome } from '../helpers/manager-events.js';
import { releaseManagers } from '../helpers/manager-fixture.js';

/** A fault's match: an operation of the provider's emulator, and a part number where the call carries one. */
export interface CallMatch {
  operation: string;
  partNumber?: number;
}

/** An error the provider documents for one of its calls, and the error class the page must see for it. */
export interface DocumentedCode {
  /** The call that answers it; default the first part's. */
  call?: CallMatch;
  /** The provider's code (`NoSuchUpload`, COS `-71`, iFlytek `10005`); absent where the status is the code (tus). */
  code?: string;
  status: number;
  expected: UploadErrorCode;
}

/** What the shared suite needs to drive one adapter against its emulator on the e2e emulator server. */
export interface AdapterHarness {
  /** A fresh adapter, as a new page would make it, pointed at `emulatorUrl`. */
  adapter(emulatorUrl: string): Promise<ProviderAdapter>;
  partSize: number;
  /** A size of at least three parts. */
  size: number;
  /** The call carrying the second part's bytes (a provider sending one PUT: that PUT). */
  partCall: CallMatch;
  /** The call whose session `lose-session` takes away; default `partCall`. */
  sessionCall?: CallMatch;
  /** The emulator's admin path holding the result's stored bytes (`objects/<key>`, `files/<id>`). */
  storedPath(result: UploadResult): string;
  /** The part numbers the store received, in order, from its stats; absent where a resume re-sends the whole file. */
  partsReceived?(stats: Record<string, unknown>): number[];
  /** Whether cancel leaves nothing open on the store (the provider has an abort call). */
  cancelCloses: boolean;
  /** The call that makes the upload session on the store (the last one, where making it takes several). */
  createCall: CallMatch;
  /** Where the emulator's admin lists the sessions still open; default `uploads`. */
  pendingPath?: 'uploads' | 'sessions';
  /** Of what that route lists, the sessions left unfinished; default all (a store that lists finished ones filters). */
  unfinished?(listed: unknown[]): unknown[];
  /** The codes the provider's pages and notes document for the part call, each answered once by the emulator. */
  documentedCodes: DocumentedCode[];
}

/** Anything a checkpoint must never hold: a presigned query, a signature, a bearer or access token. */
const SECRET_SHAPES = /X-Amz-|Signature=|Expires=|OSSAccessKeyId|AccessKeyId=|[?&]sign=|Bearer|access_token|token/i;

/**
 * The one suite every adapter runs (hash-wasm's `api.test.ts` over every implementation): byte-exact multipart upload,
 * resume after a reload sending only the missing parts with no URL or token stored, cancel, an expired URL signed
 * again without a wait, a 503 with Retry-After honoured, a lost session started over with a warning, and a part the
 * store kept when the answer was lost. It drives the real adapter through the real manager against the strict
 * emulator over real HTTP (`npm run emulators`' server), arming faults through the admin route. A provider's own
 * contract file keeps only its quirks.
 */
export function describeAdapterContract(id: string, harness: AdapterHarness): void {
  describe(`${id}: the shared adapter contract, over real HTTP`, function () {
    this.timeout(120_000);
    const managers: UploadManager[] = [];
    let dbName: string;
    let waits: number[];

    beforeEach(async () => {
      dbName = `mcu-adapter-contract-${crypto.randomUUID()}`;
      waits = [];
      await adminRoute(id, 'reset', { method: 'POST' });
    });
    afterEach(async () => {
      await releaseManagers(managers, dbName);
    });

    async function manager(options: Partial<UploadManagerOptions> = {}): Promise<UploadManager> {
      const made = new UploadManager({
        adapter: await harness.adapter((await e2eServers()).emulatorUrl),
        checkpointStore: new CheckpointStore({ dbName }),
        partSize: harness.partSize,
        concurrency: 1,
        retryHooks: { wait: async (ms) => void waits.push(ms), random: () => 0 },
        ...options,
      });
      managers.push(made);
      return made;
    }

    async function finish(made: UploadManager, file: File): Promise<{ result?: UploadResult; error?: UploadError; warnings: UploadError[] }> {
      const warnings: UploadError[] = [];
      made.addEventListener('warning', (event) => warnings.push(event.detail.error));
      await made.addFiles([file]);
      const settled = outcome(made);
      made.start();
      return { ...(await settled), warnings };
    }

    const fileOf = (name: string, seed: number) => {
      const bytes = makeBytes(harness.size, seed);
      return { file: new File([bytes], name, { lastModified: 1_700_000_000_000 + seed }), bytes };
    };

    async function expectStored(result: UploadResult | undefined, bytes: Uint8Array): Promise<void> {
      expect(result, 'the upload finished').to.not.equal(undefined);
      expect(firstDifference(await storedBytesOf(id, harness.storedPath(result!)), bytes)).to.equal(-1);
    }

    async function arm(kind: string, match: CallMatch, extra: Record<string, unknown> = {}): Promise<void> {
      const armed = await adminRoute<ArmedFault>(id, 'faults', { method: 'POST', body: { kind, ...match, ...extra } });
      expect(armed.kind).to.equal(kind);
    }

    async function firedOnce(): Promise<void> {
      const faults = await adminRoute<ArmedFault[]>(id, 'faults');
      expect(faults.map((fault) => fault.fired)).to.deep.equal([1]);
    }

    it('uploads a file of several parts byte for byte', async () => {
      const { file, bytes } = fileOf(`${id}-exact.bin`, 1);
      const { result, error } = await finish(await manager(), file);
      expect(error).to.equal(undefined);
      await expectStored(result, bytes);
    });

    it('resumes after a reload from the checkpoint, which holds no URL and no token, sending only the missing parts', async () => {
      const { file, bytes } = fileOf(`${id}-resume.bin`, 2);
      const first = await manager();
      await first.addFiles([file]);
      first.start();
      await leavePageAfter(first, harness.partSize + 1);
      const saved = JSON.stringify(await entries(createStore(dbName, 'checkpoints')));
      expect(saved).to.not.match(SECRET_SHAPES);
      const before = harness.partsReceived?.(await adminRoute(id, 'stats')) ?? [];

      const { result, error } = await finish(await manager(), file);
      expect(error).to.equal(undefined);
      await expectStored(result, bytes);
      if (harness.partsReceived) {
        const again = harness.partsReceived(await adminRoute(id, 'stats')).slice(before.length);
        const storedBefore = before.filter((n) => !again.includes(n));
        expect(storedBefore.length, 'parts stored before the reload are not sent again').to.be.at.least(1);
      }
    });

    it('cancels: the task ends canceled and no part goes up after it', async () => {
      const { file } = fileOf(`${id}-cancel.bin`, 3);
      const made = await manager();
      const [task] = await made.addFiles([file]);
      made.start();
      await once(made, 'task-progress', (d) => d.progress.bytesSent > 0);
      await made.cancel(task!.id);
      expect(task!.state).to.equal('canceled');
      if (harness.cancelCloses) expect(await adminRoute<unknown[]>(id, 'uploads')).to.deep.equal([]);
      if (harness.partsReceived) {
        const sent = harness.partsReceived(await adminRoute(id, 'stats')).length;
        await new Promise((resolve) => setTimeout(resolve, 800));
        // One lane: the part whose body was already on the wire may still land; a part after it would mean a second.
        expect(harness.partsReceived(await adminRoute(id, 'stats')).length - sent, 'parts stored after cancel').to.be.at.most(1);
      }
    });

    /** Starts `file` with the store holding its answer to the creating call, and resolves once the store has made it. */
    async function startedWhileCreating(made: UploadManager, file: File): Promise<string> {
      await arm('slow-answer', harness.createCall, { ms: 1500 });
      const [task] = await made.addFiles([file]);
      made.start();
      await waitUntil(async () => (await adminRoute<ArmedFault[]>(id, 'faults'))[0]?.fired === 1, 'the store never made the upload', {
        timeout: 30_000,
        interval: 20,
      });
      return task!.id;
    }

    it('cancel while the store is making the upload: what it made is aborted, nothing else goes up', async () => {
      const made = await manager();
      const taskId = await startedWhileCreating(made, fileOf(`${id}-cancel-creating.bin`, 8).file);
      await made.cancel(taskId);
      expect(made.getTask(taskId)?.state).to.equal('canceled');
      if (harness.cancelCloses) expect(await adminRoute<unknown[]>(id, harness.pendingPath ?? 'uploads')).to.deep.equal([]);
      if (harness.partsReceived) expect(harness.partsReceived(await adminRoute(id, 'stats'))).to.deep.equal([]);
    });

    it('pause while the store is making the upload: resume goes on with the upload it made, leaving none behind', async () => {
      const made = await manager();
      const { file, bytes } = fileOf(`${id}-pause-creating.bin`, 9);
      const taskId = await startedWhileCreating(made, file);
      const paused = once(made, 'task-state', (detail) => detail.state === 'paused');
      made.pause(taskId);
      await paused;
      const settled = outcome(made);
      made.resume(taskId);
      const { result, error } = await settled;
      expect(error).to.equal(undefined);
      await expectStored(result, bytes);
      const listed = await adminRoute<unknown[]>(id, harness.pendingPath ?? 'uploads');
      expect(harness.unfinished?.(listed) ?? listed, 'an upload left unfinished').to.deep.equal([]);
    });

    it('signs an expired URL or credential again at once, without a counted wait', async () => {
      await arm('expire', harness.partCall);
      const { file, bytes } = fileOf(`${id}-expired.bin`, 4);
      const { result, error } = await finish(await manager(), file);
      expect(error).to.equal(undefined);
      await firedOnce();
      expect(waits).to.deep.equal([]);
      await expectStored(result, bytes);
    });

    it('honours a 503 with Retry-After before trying again', async () => {
      await arm('fail', harness.partCall, { status: 503, retryAfter: '2' });
      const { file, bytes } = fileOf(`${id}-busy.bin`, 5);
      const { result, error } = await finish(await manager(), file);
      expect(error).to.equal(undefined);
      await firedOnce();
      expect(waits).to.deep.equal([2000]);
      await expectStored(result, bytes);
    });

    it('starts over with a warning when the store lost the session (lose-session)', async () => {
      await arm('lose-session', harness.sessionCall ?? harness.partCall);
      const { file, bytes } = fileOf(`${id}-lost.bin`, 6);
      const { result, error, warnings } = await finish(await manager({ resume: false }), file);
      expect(error).to.equal(undefined);
      await firedOnce();
      expect(warnings.map((warning) => warning.code)).to.include('not-found');
      await expectStored(result, bytes);
    });

    it('maps each documented error code to a message a person understands', async () => {
      const firstPart = harness.partCall.partNumber === undefined ? harness.partCall : { ...harness.partCall, partNumber: 1 };
      for (const [index, { call, code, status, expected }] of harness.documentedCodes.entries()) {
        const what = `${code ?? `HTTP ${status}`} on ${(call ?? firstPart).operation}`;
        await adminRoute(id, 'reset', { method: 'POST' });
        await arm('fail', call ?? firstPart, { status, ...(code !== undefined && { code }), times: 1 });
        const { file } = fileOf(`${id}-code-${index}.bin`, 20 + index);
        const made = await manager({ resume: false, retryPolicy: { retries: 0, maxResigns: 0 } });
        const { error, warnings } = await finish(made, file);
        // A session the store lost is a warning and a fresh start; anything else ends the task here.
        const seen = error ?? warnings[0];
        expect(seen?.code, what).to.equal(expected);
        if (code !== undefined) expect(String(seen?.provider?.code), what).to.equal(code);
        expect(seen!.message, what).to.match(/^[A-Z][^.]*\./);
        expect(seen!.message.startsWith('The request was refused with'), `${what}: the adapter's words, not the store's`).to.equal(false);
      }
    });

    it('ends byte for byte when the store kept a part and the answer was lost (store-then-drop)', async () => {
      await arm('store-then-drop', harness.partCall);
      const { file, bytes } = fileOf(`${id}-kept.bin`, 7);
      const { result, error } = await finish(await manager({ resume: false }), file);
      expect(error).to.equal(undefined);
      await firedOnce();
      await expectStored(result, bytes);
    });
  });
}

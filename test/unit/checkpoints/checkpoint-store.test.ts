import { expect } from '@open-wc/testing';
import { createStore, promisifyRequest } from 'idb-keyval';
import type { UseStore } from 'idb-keyval';
import { CheckpointStore, DEFAULT_CHECKPOINT_MAX_AGE_MS } from '../../../src/checkpoints/checkpoint-store.js';
import type { CheckpointStoreOptions } from '../../../src/checkpoints/checkpoint-store.js';
import { UploadError } from '../../../src/core/errors.js';
import type { CheckpointRecord } from '../../../src/core/types.js';
import type { PartReceipt } from '../../../src/core/adapter.js';

const T0 = 1_700_000_000_000;
const STORE_NAME = 'checkpoints';
const PRESIGNED = 'https://bucket.s3.amazonaws.com/k?partNumber=1&uploadId=u&X-Amz-Signature=deadbeef';

function makeRecord(fingerprint = 'fp-1', overrides: Partial<CheckpointRecord> = {}): CheckpointRecord {
  return {
    version: 1,
    fingerprint,
    adapterId: 's3',
    target: 'https://bucket.example/uploads',
    file: { name: 'a.bin', size: 600, type: 'application/octet-stream', lastModified: T0 - 5000 },
    plan: { partSize: 10, partCount: 60 },
    session: { uploadId: 'u-1', key: 'uploads/a.bin' },
    receipts: [],
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function receipt(partNumber: number, etag = `"etag-${partNumber}"`): PartReceipt {
  return { partNumber, size: 10, etag };
}

/** Writes or reads a value behind the store's back, on a connection closed straight after. */
function rawTransaction<T>(dbName: string, mode: IDBTransactionMode, use: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> {
  return createStore(dbName, STORE_NAME)(mode, (store) => {
    const request = use(store);
    const db = store.transaction.db;
    return promisifyRequest(store.transaction).then(() => {
      db.close();
      return request ? request.result : undefined;
    });
  });
}

const putRaw = (dbName: string, key: IDBValidKey, value: unknown) => rawTransaction(dbName, 'readwrite', (store) => void store.put(value, key));
const getRaw = (dbName: string, key: string) => rawTransaction<unknown>(dbName, 'readonly', (store) => store.get(key));
const rawKeys = (dbName: string) => rawTransaction<IDBValidKey[]>(dbName, 'readonly', (store) => store.getAllKeys());

/** The real idb-keyval store for a database, counting its readwrite transactions and reporting each one as it starts. */
function countingStore(dbName: string, onReadwrite?: (count: number) => void): { store: UseStore; readonly readwrites: number } {
  const real = createStore(dbName, STORE_NAME);
  let readwrites = 0;
  const store: UseStore = (mode, callback) => {
    if (mode === 'readwrite') {
      readwrites += 1;
      onReadwrite?.(readwrites);
    }
    return real(mode, callback);
  };
  return {
    store,
    get readwrites() {
      return readwrites;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function expectStorageFull(error: unknown): UploadError {
  expect(error).to.be.instanceOf(UploadError);
  const uploadError = error as UploadError;
  expect(uploadError.code).to.equal('storage-full');
  expect(uploadError.retryable).to.equal(false);
  return uploadError;
}

describe('CheckpointStore', () => {
  let dbName: string;
  let clock: number;

  const open = (options: CheckpointStoreOptions = {}) => new CheckpointStore({ dbName, now: () => clock, ...options });

  beforeEach(() => {
    dbName = `mcu-checkpoints-test-${crypto.randomUUID()}`;
    clock = T0;
  });

  afterEach(async () => {
    const request = indexedDB.deleteDatabase(dbName);
    await new Promise<void>((resolve, reject) => {
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      // Every store closes its connection on versionchange, so a blocked delete means one leaked.
      request.onblocked = () => reject(new Error(`deleting ${dbName} is blocked by an open connection`));
    });
  });

  describe('save and load', () => {
    it('round-trips a record, as a copy', async () => {
      const store = open();
      const record = makeRecord('fp-1', {
        receipts: [receipt(1), receipt(2)],
        hashState: [{ algorithm: 'sha256', bytes: 64, words: [1, 2, 3, 4, 5, 6, 7, 0xffffffff] }],
      });
      await store.save(record);
      record.receipts.push(receipt(3));

      const { record: loaded, warning } = await open().load('fp-1');
      expect(warning).to.equal(undefined);
      expect(loaded).to.deep.equal(makeRecord('fp-1', {
        receipts: [receipt(1), receipt(2)],
        hashState: [{ algorithm: 'sha256', bytes: 64, words: [1, 2, 3, 4, 5, 6, 7, 0xffffffff] }],
      }));
    });

    it('loads nothing, without a warning, for an unknown fingerprint', async () => {
      await open().save(makeRecord('fp-1'));
      expect(await open().load('fp-2')).to.deep.equal({});
    });

    it('replaces a record saved again under the same fingerprint', async () => {
      const store = open();
      await store.save(makeRecord('fp-1', { session: { uploadId: 'old' } }));
      await store.save(makeRecord('fp-1', { session: { uploadId: 'new' } }));
      expect((await store.load('fp-1')).record?.session).to.deep.equal({ uploadId: 'new' });
    });

    it('refuses to save a presigned URL or a token, with a thrown error and nothing stored', async () => {
      const store = open();
      const withUrl = await rejection(store.save(makeRecord('fp-1', { session: { uploadId: 'u', partUrl: PRESIGNED } })));
      expect(withUrl).to.be.instanceOf(TypeError);
      expect((withUrl as Error).message).to.contain('session.partUrl').and.not.contain('deadbeef');
      const withToken = await rejection(store.save(makeRecord('fp-2', { session: { uploadId: 'u', securityToken: 'x' } })));
      expect(withToken).to.be.instanceOf(TypeError);
      const malformed = await rejection(store.save({ ...makeRecord('fp-3'), plan: undefined } as unknown as CheckpointRecord));
      expect(malformed).to.be.instanceOf(TypeError);
      expect(await rawKeys(dbName)).to.deep.equal([]);
    });

    it('removes a record', async () => {
      const store = open();
      await store.save(makeRecord('fp-1'));
      await store.save(makeRecord('fp-2'));
      await store.remove('fp-1');
      expect(await getRaw(dbName, 'fp-1')).to.equal(undefined);
      expect((await store.load('fp-2')).record?.fingerprint).to.equal('fp-2');
    });

    it('applies writes to one fingerprint in call order', async () => {
      const store = open();
      const calls = [store.save(makeRecord('fp-1')), store.addReceipt('fp-1', receipt(1)), store.remove('fp-1')];
      const resave = [store.remove('fp-2'), store.save(makeRecord('fp-2')), store.addReceipt('fp-2', receipt(7))];
      await Promise.all([...calls, ...resave]);
      expect(await getRaw(dbName, 'fp-1')).to.equal(undefined);
      expect((await store.load('fp-2')).record?.receipts).to.deep.equal([receipt(7)]);
    });

    it('lets the writes of many files share transactions, so a large batch does not queue file behind file', async () => {
      const counting = countingStore(dbName);
      const store = open({ customStore: counting.store });
      const fingerprints = Array.from({ length: 40 }, (_, index) => `fp-${index}`);
      const writes = fingerprints.map(async (fingerprint, index) => {
        await store.save(makeRecord(fingerprint));
        await store.addReceipt(fingerprint, receipt(1));
        if (index % 2 === 0) await store.remove(fingerprint);
      });
      await Promise.all(writes);
      expect(counting.readwrites).to.be.at.most(6);
      expect(((await rawKeys(dbName)) ?? []).length).to.equal(20);
      expect((await store.load('fp-1')).record?.receipts).to.deep.equal([receipt(1)]);
      expect((await store.load('fp-0')).record).to.equal(undefined);
    });

    it('fails only the refused write of a shared transaction', async () => {
      const counting = countingStore(dbName);
      const store = open({ customStore: counting.store });
      await Promise.all(['fp-1', 'fp-2'].map((fingerprint) => store.save(makeRecord(fingerprint, { plan: { partSize: 10, partCount: 2 } }))));
      const before = counting.readwrites;
      const [beyondPlan, good] = await Promise.allSettled([store.addReceipt('fp-1', receipt(3)), store.addReceipt('fp-2', receipt(2))]);
      expect(counting.readwrites - before).to.equal(1);
      expect((beyondPlan as PromiseRejectedResult).reason).to.be.instanceOf(TypeError);
      expect(good.status).to.equal('fulfilled');
      expect((await store.load('fp-1')).record!.receipts).to.deep.equal([]);
      expect((await store.load('fp-2')).record!.receipts).to.deep.equal([receipt(2)]);
    });
  });

  describe('addReceipt', () => {
    it('lands 50 concurrent receipts in fewer transactions than calls', async () => {
      const counting = countingStore(dbName);
      const store = open({ customStore: counting.store });
      await store.save(makeRecord('fp-1'));
      const before = counting.readwrites;

      const partNumbers = Array.from({ length: 50 }, (_, index) => 50 - index);
      await Promise.all(partNumbers.map((partNumber) => store.addReceipt('fp-1', receipt(partNumber))));

      expect(counting.readwrites - before).to.equal(1);
      const loaded = (await open().load('fp-1')).record!;
      expect(loaded.receipts.map((stored) => stored.partNumber)).to.deep.equal([...partNumbers].reverse());
    });

    it('coalesces receipts added while a write is in flight into one next transaction', async () => {
      let store: CheckpointStore | undefined;
      const late: Promise<void>[] = [];
      const counting = countingStore(dbName, (count) => {
        // The second readwrite is the first receipt's batch: everything added now must wait for one more transaction.
        if (count === 2) for (let partNumber = 2; partNumber <= 21; partNumber += 1) late.push(store!.addReceipt('fp-1', receipt(partNumber)));
      });
      store = open({ customStore: counting.store });
      await store.save(makeRecord('fp-1'));
      await store.addReceipt('fp-1', receipt(1));
      expect(late).to.have.length(20);
      await Promise.all(late);
      expect(counting.readwrites).to.equal(3);
      expect((await open().load('fp-1')).record!.receipts).to.have.length(21);
    });

    it('coalesces receipts that trickle in over several tasks while a write is held in flight', async () => {
      const real = createStore(dbName, STORE_NAME);
      let readwrites = 0;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const gated: UseStore = (mode, callback) => {
        if (mode !== 'readwrite') return real(mode, callback);
        readwrites += 1;
        // The second readwrite is the first receipt's batch; its caller sees it finish only when the test says so.
        return readwrites === 2 ? real(mode, callback).then(async (result) => (await held, result)) : real(mode, callback);
      };
      const store = open({ customStore: gated });
      await store.save(makeRecord('fp-1'));
      const first = store.addReceipt('fp-1', receipt(1));
      const later: Promise<void>[] = [];
      for (let partNumber = 2; partNumber <= 6; partNumber += 1) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        later.push(store.addReceipt('fp-1', receipt(partNumber)));
      }
      expect(readwrites).to.equal(2);
      release();
      await Promise.all([first, ...later]);
      expect(readwrites).to.equal(3);
      expect((await store.load('fp-1')).record!.receipts).to.have.length(6);
    });

    it('resolves only once the receipt is durable, as another connection sees it', async () => {
      const store = open();
      await store.save(makeRecord('fp-1'));
      for (let partNumber = 1; partNumber <= 3; partNumber += 1) {
        await store.addReceipt('fp-1', receipt(partNumber));
        const stored = (await getRaw(dbName, 'fp-1')) as CheckpointRecord;
        expect(stored.receipts.map((kept) => kept.partNumber)).to.deep.equal([1, 2, 3].slice(0, partNumber));
      }
    });

    it('replaces a receipt with the same part number, across and within batches', async () => {
      const store = open();
      await store.save(makeRecord('fp-1', { receipts: [receipt(1, '"a"'), receipt(2, '"a"')] }));
      await store.addReceipt('fp-1', receipt(2, '"b"'));
      await Promise.all([store.addReceipt('fp-1', receipt(1, '"c"')), store.addReceipt('fp-1', receipt(1, '"d"'))]);
      expect((await store.load('fp-1')).record!.receipts).to.deep.equal([receipt(1, '"d"'), receipt(2, '"b"')]);
    });

    it('sets updatedAt and keeps createdAt', async () => {
      const store = open();
      await store.save(makeRecord('fp-1'));
      clock = T0 + 60_000;
      await store.addReceipt('fp-1', receipt(1));
      const loaded = (await store.load('fp-1')).record!;
      expect(loaded.updatedAt).to.equal(T0 + 60_000);
      expect(loaded.createdAt).to.equal(T0);
    });

    it('does nothing when the record is gone, and never brings the key back', async () => {
      const store = open();
      await store.save(makeRecord('fp-1'));
      await store.remove('fp-1');
      await store.addReceipt('fp-1', receipt(1));
      await store.addReceipt('fp-never', receipt(1));
      expect(await rawKeys(dbName)).to.deep.equal([]);
    });

    it('refuses a secret-bearing receipt or one beyond the plan, and keeps the record as it was', async () => {
      const store = open();
      await store.save(makeRecord('fp-1', { plan: { partSize: 10, partCount: 2 }, receipts: [receipt(1)] }));
      expect(await rejection(store.addReceipt('fp-1', { ...receipt(2), 'X-Amz-Security-Token': 't' }))).to.be.instanceOf(TypeError);
      expect(await rejection(store.addReceipt('fp-1', { ...receipt(2), url: PRESIGNED }))).to.be.instanceOf(TypeError);
      expect(await rejection(store.addReceipt('fp-1', receipt(3)))).to.be.instanceOf(TypeError);
      expect((await store.load('fp-1')).record!.receipts).to.deep.equal([receipt(1)]);
      await store.addReceipt('fp-1', receipt(2));
      expect((await store.load('fp-1')).record!.receipts).to.have.length(2);
    });
  });

  describe('setHashState', () => {
    it('replaces the saved hasher states, sharing a transaction with receipts', async () => {
      const counting = countingStore(dbName);
      const store = open({ customStore: counting.store });
      await store.save(makeRecord('fp-1', { hashState: [{ algorithm: 'md5', bytes: 0, words: [1, 2, 3, 4] }] }));
      const before = counting.readwrites;
      const state = [{ algorithm: 'sha1' as const, bytes: 640, words: [5, 6, 7, 8, 9] }];
      await Promise.all([store.addReceipt('fp-1', receipt(1)), store.setHashState('fp-1', state)]);
      expect(counting.readwrites - before).to.equal(1);
      const loaded = (await store.load('fp-1')).record!;
      expect(loaded.hashState).to.deep.equal(state);
      expect(loaded.receipts).to.deep.equal([receipt(1)]);
    });

    it('refuses a malformed state', async () => {
      const store = open();
      await store.save(makeRecord('fp-1'));
      const bad = [{ algorithm: 'md5' as const, bytes: 1.5, words: [] }];
      expect(await rejection(store.setHashState('fp-1', bad))).to.be.instanceOf(TypeError);
    });
  });

  describe('corrupt records', () => {
    const cases: [string, (fingerprint: string) => unknown][] = [
      ['wrong types', (fingerprint) => ({ ...makeRecord(fingerprint), file: { ...makeRecord().file, size: '600' } })],
      ['missing fields', (fingerprint) => { const { plan: _plan, ...rest } = makeRecord(fingerprint); return rest; }],
      ['version 2', (fingerprint) => ({ ...makeRecord(fingerprint), version: 2 })],
      ['a session holding a presigned URL', (fingerprint) => makeRecord(fingerprint, { session: { uploadId: 'u', partUrl: PRESIGNED } })],
      ['a session that is not JSON', (fingerprint) => makeRecord(fingerprint, { session: { started: new Date() } })],
      ['a record of another file', () => makeRecord('fp-other')],
      ['a non-object', () => 'garbage'],
      ['null', () => null],
    ];
    for (const [name, make] of cases) {
      it(`discards ${name} with a checkpoint-corrupt warning`, async () => {
        await putRaw(dbName, 'fp-1', make('fp-1'));
        const result = await open().load('fp-1');
        expect(result.record).to.equal(undefined);
        expect(result.warning).to.be.instanceOf(UploadError);
        expect(result.warning!.code).to.equal('checkpoint-corrupt');
        expect(result.warning!.retryable).to.equal(false);
        expect(result.warning!.message).not.to.contain('deadbeef');
        expect(await rawKeys(dbName)).to.deep.equal([]);
        expect(await open().load('fp-1')).to.deep.equal({});
      });
    }

    it('leaves a corrupt record alone on addReceipt, for load to report', async () => {
      await putRaw(dbName, 'fp-1', { ...makeRecord('fp-1'), version: 2 });
      await open().addReceipt('fp-1', receipt(1));
      expect(await getRaw(dbName, 'fp-1')).to.deep.equal({ ...makeRecord('fp-1'), version: 2 });
      expect((await open().load('fp-1')).warning?.code).to.equal('checkpoint-corrupt');
    });
  });

  describe('expiry', () => {
    it('keeps a record until maxAgeMs after updatedAt, then treats it as absent and deletes it', async () => {
      await open().save(makeRecord('fp-1'));
      clock = T0 + DEFAULT_CHECKPOINT_MAX_AGE_MS - 1;
      expect((await open().load('fp-1')).record?.fingerprint).to.equal('fp-1');
      clock = T0 + DEFAULT_CHECKPOINT_MAX_AGE_MS;
      expect(await open().load('fp-1')).to.deep.equal({});
      expect(await rawKeys(dbName)).to.deep.equal([]);
    });

    it('counts from the last receipt and honours maxAgeMs', async () => {
      const store = open({ maxAgeMs: 1000 });
      await store.save(makeRecord('fp-1'));
      clock = T0 + 900;
      await store.addReceipt('fp-1', receipt(1));
      clock = T0 + 1500;
      expect((await store.load('fp-1')).record?.receipts).to.deep.equal([receipt(1)]);
      clock = T0 + 1900;
      expect(await store.load('fp-1')).to.deep.equal({});
    });
  });

  describe('list and prune', () => {
    async function seed(): Promise<void> {
      const store = open();
      await store.save(makeRecord('fp-a'));
      await store.save(makeRecord('fp-b', { updatedAt: T0 + 5000 }));
      await store.save(makeRecord('fp-old', { createdAt: T0 - DEFAULT_CHECKPOINT_MAX_AGE_MS, updatedAt: T0 - DEFAULT_CHECKPOINT_MAX_AGE_MS }));
      await putRaw(dbName, 'fp-bad', { ...makeRecord('fp-bad'), receipts: 'none' });
      await putRaw(dbName, 'fp-moved', makeRecord('fp-elsewhere'));
      await putRaw(dbName, 42, makeRecord('fp-number-key'));
    }

    it('list returns the valid, unexpired records and deletes the rest', async () => {
      await seed();
      const listed = await open().list();
      expect(listed.map((record) => record.fingerprint)).to.deep.equal(['fp-a', 'fp-b']);
      expect(await rawKeys(dbName)).to.deep.equal(['fp-a', 'fp-b']);
    });

    it('prune deletes expired and invalid records and says how many', async () => {
      await seed();
      expect(await open().prune()).to.equal(4);
      expect(await rawKeys(dbName)).to.deep.equal(['fp-a', 'fp-b']);
      expect(await open().prune()).to.equal(0);
    });

    it('list of an empty store is empty', async () => {
      expect(await open().list()).to.deep.equal([]);
    });
  });

  describe('storage failures', () => {
    const quotaErrors: [string, () => unknown][] = [
      ['a QuotaExceededError', () => new DOMException('full', 'QuotaExceededError')],
      ['an AbortError wrapping one', () => Object.assign(new DOMException('aborted', 'AbortError'), { inner: new DOMException('full', 'QuotaExceededError') })],
      ['an error caused by one', () => new Error('transaction failed', { cause: new DOMException('full', 'QuotaExceededError') })],
    ];
    for (const [name, makeError] of quotaErrors) {
      it(`turns ${name} from a write into storage-full`, async () => {
        const thrown = makeError();
        const real = createStore(dbName, STORE_NAME);
        const fullStore: UseStore = (mode, callback) =>
          real(mode, (store) => {
            if (mode === 'readonly') return callback(store);
            // A real object store whose writes fail the way a full disk makes them fail.
            const full = new Proxy(store, {
              get: (target, property) => {
                if (property === 'put') return () => { throw thrown; };
                const member: unknown = Reflect.get(target, property, target);
                return typeof member === 'function' ? member.bind(target) : member;
              },
            });
            return callback(full);
          });
        const store = open({ customStore: fullStore });
        const error = expectStorageFull(await rejection(store.save(makeRecord('fp-1'))));
        expect(error.cause).to.equal(thrown);
        expect(error.message).to.match(/full/);
        await putRaw(dbName, 'fp-1', makeRecord('fp-1'));
        expectStorageFull(await rejection(store.addReceipt('fp-1', receipt(1))));
        expectStorageFull(await rejection(store.setHashState('fp-1', [])));
        expect(await getRaw(dbName, 'fp-1')).to.deep.equal(makeRecord('fp-1'));
      });
    }

    it('reports every waiter of a failed batch', async () => {
      const real = createStore(dbName, STORE_NAME);
      let failWrites = false;
      const flaky: UseStore = (mode, callback) =>
        failWrites && mode === 'readwrite' ? Promise.reject(new DOMException('full', 'QuotaExceededError')) : real(mode, callback);
      const store = open({ customStore: flaky });
      await store.save(makeRecord('fp-1'));
      failWrites = true;
      const outcomes = await Promise.allSettled([1, 2, 3].map((partNumber) => store.addReceipt('fp-1', receipt(partNumber))));
      for (const outcome of outcomes) {
        expect(outcome.status).to.equal('rejected');
        expectStorageFull((outcome as PromiseRejectedResult).reason);
      }
      failWrites = false;
      await store.addReceipt('fp-1', receipt(4));
      expect((await store.load('fp-1')).record!.receipts).to.deep.equal([receipt(4)]);
    });

    const unavailableStores: [string, UseStore][] = [
      ['whose open rejects', () => Promise.reject(new DOMException('no IndexedDB here', 'InvalidStateError'))],
      ['that throws before returning a promise', () => { throw new ReferenceError('indexedDB is not defined'); }],
    ];
    for (const [name, unavailable] of unavailableStores) {
      it(`goes on without resume with a store ${name}`, async () => {
        const store = open({ customStore: unavailable });
        const saveError = expectStorageFull(await rejection(store.save(makeRecord('fp-1'))));
        expect(saveError.message).to.match(/unavailable/);
        expectStorageFull(await rejection(store.addReceipt('fp-1', receipt(1))));
        expectStorageFull(await rejection(store.remove('fp-1')));
        expectStorageFull(await rejection(store.list()));
        expectStorageFull(await rejection(store.prune()));
        const loaded = await store.load('fp-1');
        expect(loaded.record).to.equal(undefined);
        expectStorageFull(loaded.warning);
      });
    }

    it('keeps working after another page deletes the database', async () => {
      const store = open();
      await store.save(makeRecord('fp-1'));
      await new Promise<void>((resolve, reject) => {
        const request = indexedDB.deleteDatabase(dbName);
        request.onsuccess = () => resolve();
        request.onblocked = () => reject(new Error('blocked by the store'));
      });
      expect(await store.load('fp-1')).to.deep.equal({});
      await store.save(makeRecord('fp-2'));
      expect((await store.load('fp-2')).record?.fingerprint).to.equal('fp-2');
    });
  });
});

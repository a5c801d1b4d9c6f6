import { CheckpointStore } from '../../src/checkpoints/checkpoint-store.js';
import { UploadManager, type UploadManagerOptions } from '../../src/core/upload-manager.js';

/**
 * What every suite's `afterEach` does with the managers a test made: cancel what they still run, dispose of them,
 * and delete the test's IndexedDB (each test has its own `dbName`, as idb-keyval's tests do).
 */
export async function releaseManagers(managers: UploadManager[], dbName?: string): Promise<void> {
  for (const manager of managers.splice(0)) {
    await manager.cancel();
    manager.dispose();
  }
  if (dbName !== undefined) indexedDB.deleteDatabase(dbName);
}

/** Makes a test's managers; they share the test's IndexedDB, as a reloaded page shares the one before. */
export interface ManagerFactory {
  (options: Omit<UploadManagerOptions, 'checkpointStore'>): UploadManager;
  /** The test's IndexedDB. */
  readonly dbName: string;
  /** Moves later managers to a fresh IndexedDB, as a page whose checkpoints were lost. */
  forgetCheckpoints(): void;
}

/**
 * A suite's managers, each test on an IndexedDB of its own: registers the `beforeEach` that names a fresh database
 * (`<prefix>-<uuid>`) and runs `reset`, and the `afterEach` that releases the test's managers and deletes its
 * database.
 */
export function useManagers(prefix: string, reset?: () => Promise<unknown>): ManagerFactory {
  const managers: UploadManager[] = [];
  const databases: string[] = [];
  const fresh = () => databases.push(`${prefix}-${crypto.randomUUID()}`);
  beforeEach(async () => {
    fresh();
    await reset?.();
  });
  afterEach(async () => {
    await releaseManagers(managers);
    for (const name of databases.splice(0)) indexedDB.deleteDatabase(name);
  });
  const make = (options: Omit<UploadManagerOptions, 'checkpointStore'>) => {
    const made = new UploadManager({ ...options, checkpointStore: new CheckpointStore({ dbName: databases.at(-1)! }) });
    managers.push(made);
    return made;
  };
  // defineProperty, not Object.assign, which would read the getter once, before any test named its database.
  return Object.defineProperties(make, {
    dbName: { get: () => databases.at(-1)! },
    forgetCheckpoints: { value: () => void fresh() },
  }) as ManagerFactory;
}

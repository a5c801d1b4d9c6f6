import type { UploadManager } from '../../src/core/upload-manager.js';

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

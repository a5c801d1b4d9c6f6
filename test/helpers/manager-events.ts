import type { UploadManager } from '../../src/core/upload-manager.js';
import type { UploadManagerEventMap } from '../../src/core/types.js';
import type { UploadResult } from '../../src/core/adapter.js';
import type { UploadError } from '../../src/core/errors.js';

/** Resolves with the detail of the next `type` event from the manager that passes `test`. */
export function once<K extends keyof UploadManagerEventMap>(
  manager: UploadManager,
  type: K,
  test: (detail: UploadManagerEventMap[K]) => boolean = () => true,
): Promise<UploadManagerEventMap[K]> {
  return new Promise((resolve) => {
    const listener = (event: CustomEvent<UploadManagerEventMap[K]>) => {
      if (!test(event.detail)) return;
      manager.removeEventListener(type, listener);
      resolve(event.detail);
    };
    manager.addEventListener(type, listener);
  });
}

/** Adds a file, starts, and resolves with the first file's result or error. */
export async function uploadOutcome(manager: UploadManager, file: File): Promise<{ result?: UploadResult; error?: UploadError }> {
  await manager.addFiles([file]);
  const outcome = Promise.race([
    once(manager, 'task-complete').then((d) => ({ result: d.result, error: undefined })),
    once(manager, 'task-error').then((d) => ({ result: undefined, error: d.error })),
  ]);
  manager.start();
  return outcome;
}

/**
 * Simulates leaving the page mid-upload: once `bytes` are sent, pause, wait until the task says so, and drop the
 * manager. A new manager on the same IndexedDB then plays the reloaded page.
 */
export async function leavePageAfter(manager: UploadManager, bytes: number): Promise<void> {
  await once(manager, 'task-progress', (d) => d.progress.bytesSent >= bytes);
  manager.pause();
  await once(manager, 'task-state', (d) => d.state === 'paused');
  manager.dispose();
}

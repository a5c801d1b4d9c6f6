import type { UploadManager } from '../../src/core/upload-manager.js';
import type { UploadManagerEventMap } from '../../src/core/types.js';
import type { UploadResult } from '../../src/core/adapter.js';
import type { UploadError } from '../../src/core/errors.js';

/**
 * Resolves with the detail of the next `type` event from the manager that passes `test`. Waiting for `task-complete`
 * rejects on the first `task-error` instead, so that an upload that failed reads as its error, not as a test timeout;
 * `outcome` waits for either.
 */
export function once<K extends keyof UploadManagerEventMap>(
  manager: UploadManager,
  type: K,
  test: (detail: UploadManagerEventMap[K]) => boolean = () => true,
): Promise<UploadManagerEventMap[K]> {
  return new Promise((resolve, reject) => {
    const failsOnError = type === 'task-complete';
    const listener = (event: CustomEvent<UploadManagerEventMap[K]>) => {
      if (!test(event.detail)) return;
      stop();
      resolve(event.detail);
    };
    const onError = (event: CustomEvent<UploadManagerEventMap['task-error']>) => {
      stop();
      const { error } = event.detail;
      reject(new Error(`Waiting for ${type}, the upload failed with ${error.code}: ${error.message}`, { cause: error }));
    };
    const stop = () => {
      manager.removeEventListener(type, listener);
      if (failsOnError) manager.removeEventListener('task-error', onError);
    };
    manager.addEventListener(type, listener);
    if (failsOnError) manager.addEventListener('task-error', onError);
  });
}

/** Resolves with the result of the next file to complete, or the error of the next to fail, whichever comes first. */
export function outcome(manager: UploadManager): Promise<{ result?: UploadResult; error?: UploadError }> {
  return new Promise((resolve) => {
    const onComplete = (event: CustomEvent<UploadManagerEventMap['task-complete']>) => {
      stop();
      resolve({ result: event.detail.result, error: undefined });
    };
    const onError = (event: CustomEvent<UploadManagerEventMap['task-error']>) => {
      stop();
      resolve({ result: undefined, error: event.detail.error });
    };
    const stop = () => {
      manager.removeEventListener('task-complete', onComplete);
      manager.removeEventListener('task-error', onError);
    };
    manager.addEventListener('task-complete', onComplete);
    manager.addEventListener('task-error', onError);
  });
}

/** Adds a file, starts, and resolves with the first file's result or error. */
export async function uploadOutcome(manager: UploadManager, file: File): Promise<{ result?: UploadResult; error?: UploadError }> {
  await manager.addFiles([file]);
  const settled = outcome(manager);
  manager.start();
  return settled;
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

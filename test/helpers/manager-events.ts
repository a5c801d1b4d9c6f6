import type { UploadManager } from '../../src/core/upload-manager.js';
import type { UploadManagerEventMap } from '../../src/core/types.js';
import type { UploadResult } from '../../src/providers/adapter.js';
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

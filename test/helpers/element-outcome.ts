import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import type { UploadError } from '../../src/core/errors.js';
import type { UploadResult } from '../../src/core/adapter.js';

/** Adds a file to the element, starts it, and resolves with mcu-complete's result or mcu-error's error. */
export async function elementOutcome(el: MultiCloudUploader, file: File): Promise<{ result?: UploadResult; error?: UploadError }> {
  const outcome = new Promise<{ result?: UploadResult; error?: UploadError }>((resolve) => {
    el.addEventListener('mcu-complete', (e) => resolve({ result: e.detail.result }));
    el.addEventListener('mcu-error', (e) => resolve({ error: e.detail.error }));
  });
  await el.addFiles([file]);
  el.start();
  return outcome;
}

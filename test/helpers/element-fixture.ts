import { fixture, html, waitUntil } from '@open-wc/testing';
import type { TemplateResult } from 'lit';
import '../../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../../src/element/multi-cloud-uploader.js';
import type { UploadState } from '../../src/core/types.js';
import { createMemoryAdapter } from './memory-adapter.js';
import type { MemoryAdapter, MemoryAdapterOptions } from './memory-adapter.js';
import { makeBytes } from './make-blob.js';

/** A file of `size` seeded bytes with a fixed date, so that two calls make the same file. */
export function fileOf(size: number, name = 'photo.bin', type = 'application/octet-stream', seed = 1): File {
  return new File([makeBytes(size, seed)], name, { type, lastModified: 1_700_000_000_000 });
}

/** A memory adapter under an id of its own, so that checkpoints other tests leave in IndexedDB never match it. */
export function memoryAdapter(options: MemoryAdapterOptions = {}): MemoryAdapter {
  return createMemoryAdapter({ id: `memory-${crypto.randomUUID()}`, ...options });
}

const uploaders: MultiCloudUploader[] = [];

/** An uploader on the page with `adapter`, cleaned up by `removeUploaders()`. */
export async function uploader(
  adapter: MemoryAdapter,
  template: TemplateResult = html`<multi-cloud-uploader no-resume></multi-cloud-uploader>`,
): Promise<MultiCloudUploader> {
  const el = await fixture<MultiCloudUploader>(template);
  el.adapter = adapter;
  await el.updateComplete;
  uploaders.push(el);
  return el;
}

/** Cancels and disposes every uploader made by `uploader()`; for `afterEach`. */
export async function removeUploaders(): Promise<void> {
  for (const el of uploaders.splice(0)) {
    await el.cancelAll();
    el.manager.dispose();
  }
}

/** The first element of the shadow root exposed as `part`. */
export function part<T extends Element = HTMLElement>(el: MultiCloudUploader, name: string): T {
  const found = el.shadowRoot!.querySelector<T>(`[part~="${name}"]`);
  if (!found) throw new Error(`no part ${name}`);
  return found;
}

/** The first row button for `action`, or null. */
export function rowButton(el: MultiCloudUploader, action: string): HTMLButtonElement | null {
  return el.shadowRoot!.querySelector<HTMLButtonElement>(`[part~="file-actions"] button[data-action="${action}"]`);
}

/** Waits until the first file reaches `state` and the element has rendered it. */
export async function stateOf(el: MultiCloudUploader, state: UploadState): Promise<void> {
  await waitUntil(() => el.files[0]?.state === state, `file never became ${state}`, { timeout: 5000 });
  await el.updateComplete;
}

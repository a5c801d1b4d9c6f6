/**
 * The in-page half of the fault soak: one element per page, driven by `soak.ts` through Playwright. The page keeps
 * what the element reported so that the driver can poll it; a reload is a new page, so every page starts blank and
 * the element finds the checkpoint in IndexedDB when the same file is added again.
 */
import '../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../src/element/multi-cloud-uploader.js';
import type { AdapterOptions } from '../src/providers/registry.js';
import { demoProviderConfigsAt } from '../demo/provider-configs.js';

/** What the driver reads after each poll. */
export interface SoakState {
  /** `refused`: the element turned the file away before it became a task (its `mcu-error` is in `error`). */
  status: 'idle' | 'running' | 'complete' | 'error' | 'refused';
  bytesSent: number;
  bytesTotal: number;
  result?: Record<string, unknown>;
  error?: { code: string; message: string; retryable: boolean };
  /** Every error code the element reported, in order (a retried file may fail more than once). */
  errors: string[];
  warnings: string[];
}

/** How the driver configures one upload. */
export interface SoakSetup {
  provider: string;
  /** Where the emulator server answers, for pages served from another origin than the demo's proxy. */
  origin?: string;
  /** Left to the adapter when absent. */
  partSize?: number;
  concurrency: number;
  extra: Record<string, unknown>;
}

export interface SoakApi {
  begin(setup: SoakSetup): Promise<void>;
  state(): SoakState;
  pause(): void;
  resume(): void;
  retry(): void;
}

declare global {
  interface Window {
    soak: SoakApi;
  }
}

const state: SoakState = { status: 'idle', bytesSent: 0, bytesTotal: 0, errors: [], warnings: [] };
let element: MultiCloudUploader | undefined;
let taskId: string | undefined;

function uploader(): MultiCloudUploader {
  if (!element) throw new Error('begin() has not run in this page.');
  return element;
}

window.soak = {
  async begin(setup) {
    const file = document.querySelector<HTMLInputElement>('#file')?.files?.[0];
    if (!file) throw new Error('No file has been set on #file.');
    const config = demoProviderConfigsAt(setup.origin ?? '')[setup.provider];
    if (!config) throw new Error(`No demo configuration for ${setup.provider}.`);
    const el = document.createElement('multi-cloud-uploader');
    el.provider = setup.provider;
    el.endpoint = new URL(config.endpoint, location.href).href;
    el.adapterOptions = { ...config.adapterOptions, ...setup.extra } as AdapterOptions;
    if (setup.partSize !== undefined) el.partSize = setup.partSize;
    el.concurrency = setup.concurrency;
    el.addEventListener('mcu-progress', (event) => {
      const mine = event.detail.files.find((entry) => entry.taskId === taskId);
      if (!mine) return;
      state.bytesSent = mine.progress.bytesSent;
      state.bytesTotal = mine.progress.bytesTotal;
    });
    el.addEventListener('mcu-complete', (event) => {
      state.status = 'complete';
      state.result = { ...event.detail.result };
    });
    el.addEventListener('mcu-error', (event) => {
      const { code, message, retryable } = event.detail.error;
      state.status = 'error';
      state.error = { code, message, retryable };
      state.errors.push(code);
    });
    el.addEventListener('mcu-warning', (event) => state.warnings.push(event.detail.error.code));
    document.body.append(el);
    await el.updateComplete;
    element = el;
    const [task] = await el.addFiles([file]);
    if (!task) {
      state.status = 'refused';
      return;
    }
    taskId = task.id;
    state.status = 'running';
    el.start();
  },
  state: () => structuredClone(state),
  pause: () => uploader().pauseAll(),
  resume: () => uploader().resumeAll(),
  retry() {
    if (!taskId) throw new Error('No task to retry.');
    state.status = 'running';
    delete state.error;
    uploader().retry(taskId);
  },
};

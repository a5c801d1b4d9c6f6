/**
 * The peers the bench measures ours against, in the page: Uppy 6 with `@uppy/aws-s3` through the same backend
 * routes (one file, or a batch through Uppy's Dashboard), and a batch of files through our element, from the built
 * package as Uppy's are from theirs.
 */
import Uppy from '@uppy/core';
import AwsS3 from '@uppy/aws-s3';
import Dashboard from '@uppy/dashboard';
import '@uppy/core/css/style.min.css';
import '@uppy/dashboard/css/style.min.css';
import type { BenchPackage } from './bench-package.js';
import type { MultiCloudUploader } from '../src/element/multi-cloud-uploader.js';
import type { McuCompleteEvent, McuErrorEvent } from '../src/element/events.js';

/** Uploads `file` with Uppy 6 in Companion mode, multipart in `partSize` parts, `limit` requests at a time. */
export async function uploadWithUppy(api: string, file: File, partSize: number, limit: number): Promise<{ objectKey: string }> {
  const uppy = new Uppy().use(AwsS3, { companionEndpoint: api, shouldUseMultipart: true, getChunkSize: () => partSize, limit });
  try {
    uppy.addFile({ name: file.name, type: file.type, data: file });
    const result = await uppy.upload();
    const failure = result?.failed?.[0];
    if (failure) throw new Error(`Uppy failed: ${String(failure.error)}`);
    const key = (result?.successful?.[0]?.response?.body as { key?: unknown } | undefined)?.key;
    if (typeof key !== 'string') throw new Error('Uppy reported no key.');
    return { objectKey: key };
  } finally {
    uppy.destroy();
  }
}

function freshContainer(): HTMLElement {
  const container = document.createElement('div');
  document.body.append(container);
  return container;
}

/**
 * Adds `files` at once to Uppy's Dashboard (inline, as a page shows it) with `autoProceed`, as a user's drop does, and
 * waits for every upload; Uppy's own choice between single and multipart uploads stands.
 */
export async function uploadManyWithUppyDashboard(api: string, files: File[], limit: number): Promise<{ objectKeys: string[] }> {
  const container = freshContainer();
  const uppy = new Uppy({ autoProceed: true })
    .use(Dashboard, { inline: true, target: container, height: 550 })
    .use(AwsS3, { companionEndpoint: api, limit });
  try {
    const finished = new Promise<{ objectKeys: string[] }>((resolve, reject) => {
      uppy.on('complete', (result) => {
        const failure = result.failed?.[0];
        if (failure) return reject(new Error(`Uppy failed: ${String(failure.error)}`));
        const byName = new Map((result.successful ?? []).map((file) => [file.name, (file.response?.body as { key?: unknown } | undefined)?.key]));
        resolve({ objectKeys: files.map((file) => String(byName.get(file.name))) });
      });
    });
    uppy.addFiles(files.map((file) => ({ name: file.name, type: file.type, data: file })));
    return await finished;
  } finally {
    uppy.destroy();
    container.remove();
  }
}

/** Adds `files` at once to our UploadManager alone (S3, default checksum, resume on): the engine's share of a batch. */
export async function uploadManyWithManager(pkg: BenchPackage, api: string, files: File[], concurrency: number): Promise<{ objectKeys: string[] }> {
  const manager = new pkg.main.UploadManager({ adapter: pkg.s3.createS3Adapter({ endpoint: api }), concurrency, autoStart: true });
  try {
    const keys = new Map<string, string>();
    const finished = new Promise<void>((resolve, reject) => {
      manager.addEventListener('task-complete', (event) => {
        keys.set(event.detail.taskId, String(event.detail.result.key));
        if (keys.size === files.length) resolve();
      });
      manager.addEventListener('task-error', (event) => reject(event.detail.error));
    });
    const tasks = await manager.addFiles(files);
    await finished;
    return { objectKeys: tasks.map((task) => keys.get(task.id)!) };
  } finally {
    manager.dispose();
  }
}

/**
 * Drops `files` at once onto a fresh `<multi-cloud-uploader provider="s3" auto-start multiple>` and waits for all.
 * `bare` does what Uppy does for them: no resume checkpoints (`no-resume`) and no Content-MD5 (`checksum: 'none'`).
 */
export async function uploadManyWithElement(
  pkg: BenchPackage,
  api: string,
  files: File[],
  concurrency: number,
  { bare = false } = {},
): Promise<{ objectKeys: string[] }> {
  const element = document.createElement('multi-cloud-uploader') as MultiCloudUploader;
  if (bare) {
    element.adapter = pkg.s3.createS3Adapter({ endpoint: api, checksum: 'none' });
    element.toggleAttribute('no-resume', true);
  } else {
    element.setAttribute('provider', 's3');
    element.setAttribute('endpoint', api);
  }
  element.setAttribute('concurrency', String(concurrency));
  element.toggleAttribute('auto-start', true);
  element.toggleAttribute('multiple', true);
  freshContainer().append(element);
  try {
    const keys = new Map<File, string>();
    const finished = new Promise<void>((resolve, reject) => {
      element.addEventListener('mcu-complete', (event) => {
        const { file, result } = (event as McuCompleteEvent).detail;
        keys.set(file, String(result.key));
        if (keys.size === files.length) resolve();
      });
      element.addEventListener('mcu-error', (event) => reject((event as McuErrorEvent).detail.error));
    });
    await element.updateComplete;
    await element.addFiles(files);
    await finished;
    return { objectKeys: files.map((file) => keys.get(file)!) };
  } finally {
    element.manager.dispose();
    element.parentElement!.remove();
  }
}

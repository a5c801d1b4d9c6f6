import type { ThumbnailReply, ThumbnailRequest } from './thumbnail-protocol.js';

/** Thumbnails are drawn at twice their CSS size for sharp rows on high-density screens. */
const THUMBNAIL_PIXELS = 96;
/** Larger images keep their type icon: decoding them costs more memory than a row's picture is worth. */
const MAX_IMAGE_BYTES = 256 * 1024 * 1024;
const DECODABLE = /^image\/(png|jpeg|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon)$/;

function createWorker(): Worker {
  // Written out in full so that Vite recognises the pattern and emits the worker as its own chunk.
  return new Worker(new URL('./thumbnail.worker.ts', import.meta.url), { type: 'module' });
}

/**
 * Makes image thumbnails in a worker, one per file, each as an object URL. `onReady` is told when one arrives, so the
 * element re-renders that row. URLs are revoked by `forget` and `dispose`.
 */
export class Thumbnails {
  readonly #onReady: () => void;
  #worker?: Worker;
  #nextId = 0;
  readonly #waiting = new Map<number, File>();
  readonly #urls = new Map<File, string | undefined>();

  constructor(onReady: () => void) {
    this.#onReady = onReady;
  }

  /** The thumbnail's URL once it is drawn; asks for it on first call. Undefined for files that are not images. */
  urlFor(file: File): string | undefined {
    if (this.#urls.has(file)) return this.#urls.get(file);
    this.#urls.set(file, undefined);
    if (DECODABLE.test(file.type) && file.size > 0 && file.size <= MAX_IMAGE_BYTES) this.#request(file);
    return undefined;
  }

  /** Drops the thumbnails of files no longer listed. */
  keepOnly(files: ReadonlySet<File>): void {
    for (const [file, url] of this.#urls) {
      if (files.has(file)) continue;
      if (url) URL.revokeObjectURL(url);
      this.#urls.delete(file);
    }
  }

  dispose(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.keepOnly(new Set());
    this.#waiting.clear();
  }

  #request(file: File): void {
    if (typeof Worker !== 'function' || typeof OffscreenCanvas !== 'function') return;
    const worker = (this.#worker ??= this.#start());
    const id = ++this.#nextId;
    this.#waiting.set(id, file);
    const request: ThumbnailRequest = { id, file, size: THUMBNAIL_PIXELS };
    worker.postMessage(request);
  }

  #start(): Worker {
    const worker = createWorker();
    worker.addEventListener('message', ({ data }: MessageEvent<ThumbnailReply>) => {
      const file = this.#waiting.get(data.id);
      this.#waiting.delete(data.id);
      if (!file || !this.#urls.has(file) || !data.blob) return;
      this.#urls.set(file, URL.createObjectURL(data.blob));
      this.#onReady();
    });
    return worker;
  }
}

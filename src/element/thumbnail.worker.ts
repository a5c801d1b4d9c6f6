/**
 * The thumbnail worker: decodes an image with `createImageBitmap` and draws a square, centre-cropped thumbnail on an
 * OffscreenCanvas, so that a 50 MB photo is never decoded on the page's main thread. One image at a time, so a
 * folder of photos does not hold every decoded bitmap in memory at once.
 */
import type { ThumbnailReply, ThumbnailRequest } from './thumbnail-protocol.js';

/** The two members of a dedicated worker's global scope used here; tsconfig loads only the DOM lib. */
interface WorkerScope {
  postMessage(message: ThumbnailReply): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<ThumbnailRequest>) => void): void;
}

const scope = self as unknown as WorkerScope;

async function draw({ file, size }: ThumbnailRequest): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  try {
    const side = Math.min(bitmap.width, bitmap.height);
    const canvas = new OffscreenCanvas(size, size);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('No 2D context in this worker.');
    context.drawImage(bitmap, (bitmap.width - side) / 2, (bitmap.height - side) / 2, side, side, 0, 0, size, size);
    return await canvas.convertToBlob({ type: 'image/webp', quality: 0.8 });
  } finally {
    bitmap.close();
  }
}

let queue: Promise<void> = Promise.resolve();

scope.addEventListener('message', ({ data }) => {
  queue = queue.then(async () => {
    try {
      scope.postMessage({ id: data.id, blob: await draw(data) });
    } catch {
      // An image the browser cannot decode keeps its type icon.
      scope.postMessage({ id: data.id });
    }
  });
});

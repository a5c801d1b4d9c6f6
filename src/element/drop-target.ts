/** A file taken from a drop, a paste or a picker, with where it came from when the browser says. */
export interface IncomingFile {
  file: File;
  /** The path inside a dropped or chosen folder, "holiday/day-1/beach.jpg"; absent for loose files. */
  relativePath?: string;
  /** The File System Access handle, where the browser gives one: it lets a later visit read the file again. */
  handle?: FileSystemFileHandle;
}

/** What a drop target asks of its element. */
export interface DropTargetOptions {
  /** Whether a drop is welcome right now (not disabled, not `no-drop`). */
  enabled(): boolean;
  /** Files are being dragged over the target, or no longer. */
  onDragChange(over: boolean): void;
  onFiles(files: IncomingFile[]): void;
}

/** The two ways Chromium lets a page reach a dropped item beyond `getAsFile()`; neither is in every browser. */
interface DroppedItem extends DataTransferItem {
  getAsFileSystemHandle?(): Promise<FileSystemHandle | null>;
}

/** What is read from one dropped item while the drop event lasts: the items are unreadable once it returns. */
interface DropCapture {
  file: File | null;
  entry: FileSystemEntry | null;
  handle: Promise<FileSystemHandle | null> | undefined;
}

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

function entryFile(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

/** Every file under a dropped folder, depth first, each with its path from the dropped folder's parent. */
async function filesUnder(directory: FileSystemDirectoryEntry): Promise<IncomingFile[]> {
  const found: IncomingFile[] = [];
  const reader = directory.createReader();
  // readEntries answers in batches (100 in Chromium) until it returns an empty one.
  for (let batch = await readEntries(reader); batch.length > 0; batch = await readEntries(reader)) {
    for (const entry of batch) {
      if (entry.isDirectory) found.push(...(await filesUnder(entry as FileSystemDirectoryEntry)));
      else if (entry.isFile) found.push({ file: await entryFile(entry as FileSystemFileEntry), relativePath: entry.fullPath.replace(/^\//, '') });
    }
  }
  return found;
}

async function fileHandle(pending: DropCapture['handle']): Promise<FileSystemFileHandle | undefined> {
  try {
    const handle = await pending;
    return handle?.kind === 'file' ? (handle as FileSystemFileHandle) : undefined;
  } catch {
    return undefined;
  }
}

/** Turns what a drop captured into files: folders are walked, files keep their handle when the browser gave one. */
async function collect(captures: DropCapture[]): Promise<IncomingFile[]> {
  const files: IncomingFile[] = [];
  for (const { file, entry, handle } of captures) {
    if (entry?.isDirectory) {
      files.push(...(await filesUnder(entry as FileSystemDirectoryEntry)));
      continue;
    }
    const loose = file ?? (entry?.isFile ? await entryFile(entry as FileSystemFileEntry) : null);
    if (loose) files.push({ file: loose, handle: await fileHandle(handle) });
  }
  return files;
}

/** Drag-and-drop handlers for one drop zone: only drags that carry files are taken, and a drop hands them on. */
export class DropTarget {
  readonly #options: DropTargetOptions;
  #depth = 0;

  constructor(options: DropTargetOptions) {
    this.#options = options;
  }

  readonly onDragEnter = (event: DragEvent): void => {
    if (!this.#welcomes(event)) return;
    event.preventDefault();
    // dragenter/dragleave fire for every child crossed, so only the outermost pair changes the state.
    if (this.#depth++ === 0) this.#options.onDragChange(true);
  };

  readonly onDragOver = (event: DragEvent): void => {
    if (!this.#welcomes(event)) return;
    event.preventDefault();
    event.dataTransfer!.dropEffect = 'copy';
  };

  readonly onDragLeave = (): void => {
    if (this.#depth === 0) return;
    if (--this.#depth === 0) this.#options.onDragChange(false);
  };

  readonly onDrop = (event: DragEvent): void => {
    if (this.#depth > 0) this.#options.onDragChange(false);
    this.#depth = 0;
    if (!this.#welcomes(event)) return;
    event.preventDefault();
    const items = [...(event.dataTransfer?.items ?? [])].filter((item) => item.kind === 'file') as DroppedItem[];
    const captures: DropCapture[] = items.map((item) => ({
      file: item.getAsFile(),
      entry: item.webkitGetAsEntry?.() ?? null,
      // A folder's handle is not used; its refusal must not surface as unhandled.
      handle: item.getAsFileSystemHandle?.().catch(() => null),
    }));
    void collect(captures).then((files) => {
      if (files.length > 0) this.#options.onFiles(files);
    });
  };

  #welcomes(event: DragEvent): boolean {
    return this.#options.enabled() && (event.dataTransfer?.types.includes('Files') ?? false);
  }
}

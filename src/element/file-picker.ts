import type { IncomingFile } from './drop-target.js';

/** The File System Access picker, where the browser has it (Chromium); typed here because the DOM lib lacks it. */
interface OpenFilePickerOptions {
  multiple?: boolean;
  excludeAcceptAllOption?: boolean;
  types?: { description?: string; accept: Record<string, string[]> }[];
}
type ShowOpenFilePicker = (options?: OpenFilePickerOptions) => Promise<FileSystemFileHandle[]>;

/** What the page offers for reading a file handle again after a reload; typed here because the DOM lib lacks it. */
export interface PermissionedHandle extends FileSystemFileHandle {
  queryPermission?(descriptor: { mode: 'read' }): Promise<PermissionState>;
  requestPermission?(descriptor: { mode: 'read' }): Promise<PermissionState>;
}

function openFilePicker(): ShowOpenFilePicker | undefined {
  const picker = (globalThis as { showOpenFilePicker?: ShowOpenFilePicker }).showOpenFilePicker;
  return typeof picker === 'function' ? picker : undefined;
}

/** `accept` ("image/*,.pdf") as the picker's types: MIME tokens as they are, extensions under a generic MIME type. */
function pickerTypes(accept: string | undefined): OpenFilePickerOptions['types'] {
  const tokens = (accept ?? '').split(',').map((token) => token.trim()).filter(Boolean);
  if (tokens.length === 0) return undefined;
  const types: Record<string, string[]> = {};
  for (const token of tokens) {
    if (token.startsWith('.')) (types['application/octet-stream'] ??= []).push(token);
    else if (/^[\w.+-]+\/[\w.+*-]+$/.test(token)) types[token] ??= [];
  }
  return Object.keys(types).length > 0 ? [{ accept: types }] : undefined;
}

/**
 * Lets a person choose files, through `showOpenFilePicker` where it exists (so each file keeps a handle for resume
 * after a reload), else through the element's `<input type=file>`. Resolves with nothing when the input is used: its
 * `change` event brings the files. A dismissed picker resolves with an empty list.
 */
export async function pickFiles(options: { multiple: boolean; accept?: string; fallback: () => void }): Promise<IncomingFile[]> {
  const picker = openFilePicker();
  if (!picker) {
    options.fallback();
    return [];
  }
  let handles: FileSystemFileHandle[];
  try {
    handles = await picker({ multiple: options.multiple, types: pickerTypes(options.accept) });
  } catch (thrown) {
    if (thrown instanceof DOMException && thrown.name === 'AbortError') return [];
    // Cross-origin frames and some policies refuse the picker: the input still works there.
    options.fallback();
    return [];
  }
  return Promise.all(handles.map(async (handle) => ({ file: await handle.getFile(), handle })));
}

/**
 * Reads the file behind a handle saved in a checkpoint: asks for read permission (this needs the click that called it)
 * and returns the file, or undefined when the person refused.
 */
export async function readHandle(handle: PermissionedHandle): Promise<File | undefined> {
  const descriptor = { mode: 'read' } as const;
  let permission = (await handle.queryPermission?.(descriptor)) ?? 'granted';
  if (permission !== 'granted') permission = (await handle.requestPermission?.(descriptor)) ?? 'denied';
  return permission === 'granted' ? handle.getFile() : undefined;
}

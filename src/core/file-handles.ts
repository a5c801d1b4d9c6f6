/**
 * The File System Access handle each picked or dropped file came with. A `File` cannot carry it, and the manager's
 * `addFiles` takes plain files, so the element records the pair here and the task puts the handle in its checkpoint.
 * Weak, so a file dropped from the list takes its handle with it.
 */
const handles = new WeakMap<File, FileSystemFileHandle>();

/** Remembers the handle a file was read from, for resume after a reload. */
export function rememberFileHandle(file: File, handle: FileSystemFileHandle): void {
  handles.set(file, handle);
}

/** The handle a file was read from, if the browser gave one. */
export function fileHandleOf(file: File): FileSystemFileHandle | undefined {
  return handles.get(file);
}

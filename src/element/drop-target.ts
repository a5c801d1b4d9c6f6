/** What a drop target asks of its element. */
export interface DropTargetOptions {
  /** Whether a drop is welcome right now (not disabled, not `no-drop`). */
  enabled(): boolean;
  /** Files are being dragged over the target, or no longer. */
  onDragChange(over: boolean): void;
  onFiles(files: File[]): void;
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
    const files = [...(event.dataTransfer?.files ?? [])];
    if (files.length > 0) this.#options.onFiles(files);
  };

  #welcomes(event: DragEvent): boolean {
    return this.#options.enabled() && (event.dataTransfer?.types.includes('Files') ?? false);
  }
}

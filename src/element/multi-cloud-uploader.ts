import { LitElement, html, nothing } from 'lit';
import type { PropertyValues, TemplateResult } from 'lit';
import { property, query } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { UploadError, UploadErrorCode } from '../core/errors.js';
import { UploadManager } from '../core/upload-manager.js';
import type { UploadManagerOptions } from '../core/upload-manager.js';
import type { UploadTask } from '../core/upload-task.js';
import { BUSY_STATES, canMove, SETTLED_STATES, UploadState } from '../core/types.js';
import type { ProviderAdapter } from '../core/adapter.js';
import { createAdapter } from '../providers/registry.js';
import type { AdapterOptions } from '../providers/registry.js';
import { McuErrorEvent } from './events.js';
import { fileRow, resumableRow } from './file-row.js';
import type { RowAction } from './file-row.js';
import { DropTarget } from './drop-target.js';
import { LocalizeController, announcementText } from './localize.js';
import type { Translation } from './localize.js';
import { styles } from './multi-cloud-uploader.styles.js';
import { UploadController } from './upload-controller.js';

/** Attribute-backed properties that map onto manager options; a change is passed on with `setOptions`. */
const OPTION_PROPERTIES = ['concurrency', 'partSize', 'maxFileSize', 'accept', 'autoStart', 'noResume'] as const;


/** A usable count or size from a numeric attribute: absent, zero, negative or not a number all mean "not set". */
function positive(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * @summary Uploads files to a cloud provider in resumable parts, with a drop zone, a file list and per-file controls.
 *
 * @event mcu-file-added - A file joined the queue. `detail`: `{ taskId, file }`.
 * @event mcu-progress - Bytes moved, at most once per animation frame. `detail`: `{ overall, files }`.
 * @event mcu-complete - A file was stored. `detail`: `{ taskId, file, result }`.
 * @event mcu-error - A file failed or was refused. `detail`: `{ taskId?, file, error }` (an `UploadError`).
 * @event mcu-warning - Something went wrong that does not stop the upload. `detail`: `{ taskId?, file?, error }`.
 *
 * @slot - The drop zone's label.
 * @slot browse-label - The browse button's text.
 * @slot hint - Text under the button (accepted sizes, paste).
 * @slot empty - Shown while the list is empty.
 *
 * @csspart base - The wrapper of everything.
 * @csspart drop-zone - The area that takes dropped files.
 * @csspart browse-button - The button that opens the file picker.
 * @csspart file-list - The list of files.
 * @csspart file - One file's row.
 * @csspart file-name - The file's name.
 * @csspart file-size - The file's size.
 * @csspart file-progress - The file's progress bar.
 * @csspart file-status - The file's state, speed and time left.
 * @csspart file-actions - The file's buttons.
 * @csspart button - Every button other than the browse button.
 *
 * @cssproperty [--mcu-accent-color=#1d4ed8] - Buttons, progress and the drop zone while dragging.
 * @cssproperty [--mcu-radius=8px] - Corner radius of the drop zone, rows, bars and buttons.
 * @cssproperty [--mcu-drop-zone-border=2px dashed #6b7280] - The drop zone's border.
 *
 * @cssstate dragover - Files are being dragged over the drop zone.
 * @cssstate uploading - At least one file is being hashed, uploaded or completed.
 * @cssstate paused - At least one file is paused.
 * @cssstate error - At least one file failed.
 */
export class MultiCloudUploader extends LitElement {
  static override shadowRootOptions: ShadowRootInit = { ...LitElement.shadowRootOptions, delegatesFocus: true };
  static override styles = styles;

  /** The registered provider name the adapter is built from (see `providerNames()`). */
  @property() provider?: string;
  /** The backend URL the adapter talks to; passed to the adapter as `endpoint`. */
  @property() endpoint?: string;
  /** Lets one selection or drop hold several files. */
  @property({ type: Boolean }) multiple = false;
  /** Accepted types, as `<input accept>`; other files raise `mcu-error` with `file-type-rejected`. */
  @property() accept?: string;
  /** The largest file accepted, in bytes. */
  @property({ attribute: 'max-file-size', type: Number }) maxFileSize?: number;
  /** How many files the list may hold (canceled ones do not count). */
  @property({ attribute: 'max-files', type: Number }) maxFiles?: number;
  /** Parts in flight across all files. */
  @property({ type: Number }) concurrency?: number;
  /** Requested part size in bytes; the provider's limits win. */
  @property({ attribute: 'part-size', type: Number }) partSize?: number;
  /** Starts each file as soon as it is added. */
  @property({ attribute: 'auto-start', type: Boolean }) autoStart = false;
  /** Refuses new files and disables every button. */
  @property({ type: Boolean, reflect: true, useDefault: true }) disabled = false;
  /** Turns off dropping files on the drop zone. */
  @property({ attribute: 'no-drop', type: Boolean }) noDrop = false;
  /** Turns off checkpoints, so nothing is resumed after a reload. */
  @property({ attribute: 'no-resume', type: Boolean }) noResume = false;
  /** Provider-specific options merged into the adapter's options (callbacks, bucket, …). */
  @property({ attribute: false }) adapterOptions?: AdapterOptions;
  /** A ready adapter; overrides `provider`, `endpoint` and `adapterOptions`. */
  @property({ attribute: false }) adapter?: ProviderAdapter;
  /** Strings that replace those of the current language. */
  @property({ attribute: false }) translation?: Partial<Translation>;

  @query('input[type="file"]') private input!: HTMLInputElement;

  private readonly internals = this.attachInternals();
  private readonly localize = new LocalizeController(this);
  private readonly uploads = new UploadController(this);
  private currentManager?: UploadManager;
  private adapterSource: readonly unknown[] = [];
  private readonly drop = new DropTarget({
    enabled: () => !this.disabled && !this.noDrop,
    onDragChange: (over) => this.toggleState('dragover', over),
    onFiles: (files) => void this.addFiles(files),
  });

  constructor() {
    super();
    this.addEventListener('paste', this.onPaste);
  }

  /** The engine behind the element, created on first use; throws while neither `provider` nor `adapter` is set. */
  get manager(): UploadManager {
    return this.ensureManager();
  }

  /** The files in the list, in the order they were added. */
  get files(): readonly UploadTask[] {
    return this.currentManager?.tasks ?? [];
  }

  /** Whether any file is being hashed, uploaded or completed. */
  get isUploading(): boolean {
    return this.files.some((task) => BUSY_STATES.has(task.state));
  }

  /** Queues files (one per call unless `multiple`, and within `max-files`); refused ones raise `mcu-error`. */
  async addFiles(files: Iterable<File>): Promise<UploadTask[]> {
    const manager = this.manager;
    const chosen = [...files];
    const maxFiles = positive(this.maxFiles);
    const held = this.files.filter((task) => task.state !== UploadState.Canceled).length;
    const perSelection = this.multiple ? chosen.length : 1;
    const room = Math.max(0, Math.min(chosen.length, perSelection, maxFiles === undefined ? Infinity : maxFiles - held));
    const max = maxFiles !== undefined && maxFiles - held < perSelection ? maxFiles : perSelection;
    for (const file of chosen.slice(room)) {
      const error = new UploadError(UploadErrorCode.LimitExceeded, `At most ${max} file(s) can be added.`, { retryable: false });
      this.uploads.announce({ kind: 'too-many-files', name: file.name, max });
      this.dispatchEvent(new McuErrorEvent({ file, error }));
    }
    return manager.addFiles(chosen.slice(0, room));
  }

  /** Starts every queued file. */
  start(): void {
    this.currentManager?.start();
  }

  /** Pauses every running or queued file. */
  pauseAll(): void {
    this.currentManager?.pause();
  }

  /** Continues every paused file. */
  resumeAll(): void {
    this.currentManager?.resume();
  }

  /** Cancels every unfinished file and drops its parts on the provider. */
  async cancelAll(): Promise<void> {
    await this.currentManager?.cancel();
    this.requestUpdate();
  }

  /** Pauses one file. */
  pause(taskId: string): void {
    this.currentManager?.pause(taskId);
  }

  /** Continues one paused file. */
  resume(taskId: string): void {
    this.currentManager?.resume(taskId);
  }

  /** Cancels one file and drops its parts on the provider. */
  async cancel(taskId: string): Promise<void> {
    await this.currentManager?.cancel(taskId);
    this.requestUpdate();
  }

  /** Tries a failed file again, keeping the parts already stored. */
  retry(taskId: string): void {
    this.currentManager?.retry(taskId);
  }

  /** Drops one file from the list, canceling it first if it is unfinished. */
  async removeFile(taskId: string): Promise<void> {
    await this.currentManager?.remove(taskId);
    this.requestUpdate();
  }

  /** Drops every finished, failed or canceled file from the list. */
  clear(): void {
    this.currentManager?.clear();
    this.requestUpdate();
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.currentManager) void this.uploads.findResumable();
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (!this.adapter && !this.provider) return;
    const before = this.currentManager;
    const manager = this.ensureManager();
    if (manager !== before || !OPTION_PROPERTIES.some((name) => changed.has(name))) return;
    manager.setOptions(this.managerOptions());
    if (changed.has('noResume') && this.isConnected) void this.uploads.findResumable();
  }

  protected override updated(): void {
    const states = new Set(this.files.map((task) => task.state));
    this.toggleState('uploading', [...BUSY_STATES].some((state) => states.has(state)));
    this.toggleState('paused', states.has(UploadState.Paused));
    this.toggleState('error', states.has(UploadState.Failed));
  }

  protected override render(): TemplateResult {
    const t = this.localize.terms(this.translation);
    const tasks = this.files;
    const resumable = this.uploads.resumable;
    const empty = tasks.length === 0 && resumable.length === 0;
    return html`<div part="base" class="base">
      <div
        part="drop-zone"
        class="drop-zone"
        @dragenter=${this.drop.onDragEnter}
        @dragover=${this.drop.onDragOver}
        @dragleave=${this.drop.onDragLeave}
        @drop=${this.drop.onDrop}
      >
        <p class="drop-label"><slot>${t.dropLabel}</slot></p>
        <button part="browse-button" class="browse-button" type="button" ?disabled=${this.disabled} @click=${this.openPicker}>
          <slot name="browse-label">${t.browse}</slot>
        </button>
        <input
          type="file"
          hidden
          ?multiple=${this.multiple}
          accept=${this.accept || nothing}
          ?disabled=${this.disabled}
          @change=${this.onPicked}
        />
        <p class="hint"><slot name="hint">${this.hintText(t)}</slot></p>
      </div>
      ${this.renderToolbar(t, tasks)}
      <ul part="file-list" class="file-list" aria-label=${t.fileList} ?hidden=${empty}>
        ${repeat(tasks, (task) => task.id, (task) => fileRow(task, t, this.onRowAction, this.disabled))}
        ${repeat(
          resumable,
          (record) => record.fingerprint,
          (record) => resumableRow(record, t, this.onDismiss, this.disabled),
        )}
      </ul>
      <div class="empty" ?hidden=${!empty}><slot name="empty">${t.emptyList}</slot></div>
      <div class="visually-hidden" role="status" aria-live="polite">${announcementText(this.uploads.announcement, t)}</div>
    </div>`;
  }

  private renderToolbar(t: Translation, tasks: readonly UploadTask[]): TemplateResult {
    const has = (test: (task: UploadTask) => boolean) => tasks.some(test);
    const buttons: [string, boolean, () => void][] = [
      [t.start, !this.autoStart && has((task) => task.state === UploadState.Queued), () => this.start()],
      [t.pauseAll, has((task) => canMove(task.state, UploadState.Paused)), () => this.pauseAll()],
      [t.resumeAll, has((task) => task.state === UploadState.Paused), () => this.resumeAll()],
      [
        t.cancelAll,
        has((task) => !SETTLED_STATES.has(task.state) || task.state === UploadState.Failed),
        () => void this.cancelAll(),
      ],
      [t.clearFinished, has((task) => SETTLED_STATES.has(task.state)), () => this.clear()],
    ];
    const shown = buttons.filter(([, visible]) => visible);
    return html`<div class="toolbar" ?hidden=${shown.length === 0}>
      ${shown.map(
        ([text, , run]) => html`<button type="button" part="button" ?disabled=${this.disabled} @click=${run}>${text}</button>`,
      )}
    </div>`;
  }

  private hintText(t: Translation): string {
    const hints = [t.pasteHint];
    const maxFileSize = positive(this.maxFileSize);
    if (maxFileSize !== undefined) hints.push(t.maxFileSize(maxFileSize));
    const maxFiles = positive(this.maxFiles);
    if (maxFiles !== undefined) hints.push(t.maxFiles(maxFiles));
    return hints.join(' ');
  }

  /** Builds the manager, or a new one when the adapter's source changed; the old one's files are paused, not lost. */
  private ensureManager(): UploadManager {
    const source = [this.adapter, this.provider, this.endpoint, this.adapterOptions];
    const current = this.currentManager;
    if (current && source.every((value, index) => value === this.adapterSource[index])) return current;
    const adapter = this.adapter ?? (this.provider ? createAdapter(this.provider, this.adapterOptionsWithEndpoint()) : undefined);
    if (!adapter) throw new Error('<multi-cloud-uploader> needs a `provider` attribute or an `adapter` property to upload.');
    const manager = new UploadManager({ adapter, ...this.managerOptions() });
    if (current) {
      // Switching adapters under running files would send their remaining parts to another place: stop them instead.
      current.pause();
      current.dispose();
    }
    this.currentManager = manager;
    this.adapterSource = source;
    this.uploads.setManager(manager);
    if (this.isConnected) void this.uploads.findResumable();
    return manager;
  }

  private adapterOptionsWithEndpoint(): AdapterOptions {
    return this.endpoint === undefined ? { ...this.adapterOptions } : { ...this.adapterOptions, endpoint: this.endpoint };
  }

  private managerOptions(): Omit<UploadManagerOptions, 'adapter'> {
    return {
      concurrency: positive(this.concurrency),
      partSize: positive(this.partSize),
      maxFileSize: positive(this.maxFileSize),
      accept: this.accept || undefined,
      autoStart: this.autoStart,
      resume: !this.noResume,
    };
  }

  private toggleState(state: string, on: boolean): void {
    if (on) this.internals.states.add(state);
    else this.internals.states.delete(state);
  }

  private onPaste = (event: ClipboardEvent): void => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (this.disabled || files.length === 0) return;
    event.preventDefault();
    void this.addFiles(files);
  };

  private openPicker = (): void => {
    this.input.click();
  };

  private onPicked = (): void => {
    const files = [...(this.input.files ?? [])];
    // Cleared so that choosing the same file again (to resume it) fires `change` again.
    this.input.value = '';
    if (files.length > 0) void this.addFiles(files);
  };

  private onRowAction = (action: RowAction, taskId: string): void => {
    if (action === 'pause') this.pause(taskId);
    else if (action === 'resume') this.resume(taskId);
    else if (action === 'retry') this.retry(taskId);
    else if (action === 'cancel') void this.cancel(taskId);
    else void this.removeFile(taskId);
  };

  private onDismiss = (fingerprint: string): void => {
    this.uploads.dismiss(fingerprint);
  };
}

if (!customElements.get('multi-cloud-uploader')) customElements.define('multi-cloud-uploader', MultiCloudUploader);

declare global {
  interface HTMLElementTagNameMap {
    'multi-cloud-uploader': MultiCloudUploader;
  }
}

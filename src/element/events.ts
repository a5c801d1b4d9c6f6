import type { UploadError } from '../core/errors.js';
import type { ProgressSnapshot } from '../core/types.js';
import type { UploadResult } from '../core/adapter.js';

// Every event leaves the shadow root and bubbles, so a listener on any ancestor hears it (Lit docs, "events").
const OPTIONS: EventInit = { bubbles: true, composed: true, cancelable: false };

/** What `mcu-file-added` carries. */
export interface McuFileAddedDetail {
  readonly taskId: string;
  readonly file: File;
}

/** One file's progress inside an `mcu-progress` event. */
export interface McuFileProgress {
  readonly taskId: string;
  readonly file: File;
  readonly progress: ProgressSnapshot;
}

/** What `mcu-progress` carries: the whole queue, and each file whose progress moved since the last event. */
export interface McuProgressDetail {
  readonly overall: ProgressSnapshot;
  readonly files: readonly McuFileProgress[];
}

/** What `mcu-complete` carries. */
export interface McuCompleteDetail {
  readonly taskId: string;
  readonly file: File;
  readonly result: UploadResult;
}

/** What `mcu-error` carries; `taskId` is absent when the file was refused before it became a task. */
export interface McuErrorDetail {
  readonly taskId?: string;
  readonly file: File;
  readonly error: UploadError;
}

/** What `mcu-warning` carries; the upload goes on. */
export interface McuWarningDetail {
  readonly taskId?: string;
  readonly file?: File;
  readonly error: UploadError;
}

/** A file was accepted into the queue. */
export class McuFileAddedEvent extends Event {
  readonly detail: McuFileAddedDetail;
  constructor(detail: McuFileAddedDetail) {
    super('mcu-file-added', OPTIONS);
    this.detail = detail;
  }
}

/** Bytes moved; fired at most once per animation frame. */
export class McuProgressEvent extends Event {
  readonly detail: McuProgressDetail;
  constructor(detail: McuProgressDetail) {
    super('mcu-progress', OPTIONS);
    this.detail = detail;
  }
}

/** A file finished uploading; `detail.result` is what the provider reported. */
export class McuCompleteEvent extends Event {
  readonly detail: McuCompleteDetail;
  constructor(detail: McuCompleteDetail) {
    super('mcu-complete', OPTIONS);
    this.detail = detail;
  }
}

/** A file failed or was refused; `detail.error` is the `UploadError`. */
export class McuErrorEvent extends Event {
  readonly detail: McuErrorDetail;
  constructor(detail: McuErrorDetail) {
    super('mcu-error', OPTIONS);
    this.detail = detail;
  }
}

/** Something went wrong that does not stop the upload (a discarded checkpoint, full storage). */
export class McuWarningEvent extends Event {
  readonly detail: McuWarningDetail;
  constructor(detail: McuWarningDetail) {
    super('mcu-warning', OPTIONS);
    this.detail = detail;
  }
}

declare global {
  interface GlobalEventHandlersEventMap {
    'mcu-file-added': McuFileAddedEvent;
    'mcu-progress': McuProgressEvent;
    'mcu-complete': McuCompleteEvent;
    'mcu-error': McuErrorEvent;
    'mcu-warning': McuWarningEvent;
  }
}

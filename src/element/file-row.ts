import { html, nothing } from 'lit';
import type { TemplateResult } from 'lit';
import type { UploadError, UploadErrorCode } from '../core/errors.js';
import type { UploadTask } from '../core/upload-task.js';
import { taskActions } from '../core/types.js';
import type { CheckpointRecord, TaskAction } from '../core/types.js';
import type { Translation } from './localize.js';
import { percentOf } from './format.js';
import { fileKind, icon } from './file-icons.js';
import { isolatedName, nameParts, visibleName } from './safe-name.js';

/** What a row's buttons can ask for: the actions core's state machine offers. */
export type RowAction = TaskAction;

/** How a row reports a button press. */
export type RowActionHandler = (action: RowAction, taskId: string) => void;

/** Failures the same file cannot get past by retrying: it has to be added again (or fixed first). */
const CHOOSE_AGAIN: ReadonlySet<UploadErrorCode> = new Set<UploadErrorCode>([
  'file-empty',
  'file-too-large',
  'file-type-rejected',
  'too-many-parts',
  'file-changed',
  'file-unreadable',
]);

/** What a failed row tells the person to do next. */
function advice(error: UploadError, t: Translation): string {
  if (CHOOSE_AGAIN.has(error.code)) return t.adviceChooseAgain;
  return error.retryable || error.code === 'network' || error.code === 'timeout' ? t.adviceRetry : t.adviceLater;
}

function actionLabels(t: Translation, name: string): Record<RowAction, { text: string; label: string }> {
  const named = isolatedName(name);
  return {
    pause: { text: t.pause, label: t.pauseFile(named) },
    resume: { text: t.resume, label: t.resumeFile(named) },
    retry: { text: t.retry, label: t.retryFile(named) },
    cancel: { text: t.cancel, label: t.cancelFile(named) },
    remove: { text: t.remove, label: t.removeFile(named) },
  };
}

/** A name shown as safe text: isolated from the row's direction, hidden characters made visible, cut in the middle. */
function nameCell(name: string): TemplateResult {
  const { head, tail } = nameParts(name);
  return html`<span part="file-name" class="file-name" title=${visibleName(name)}><bdi class="name"><span class="name-head">${head}</span>${tail ? html`<span class="name-tail">${tail}</span>` : nothing}</bdi></span>`;
}

function visual(file: Pick<File, 'name' | 'type'>, thumbnail: string | undefined): TemplateResult {
  return html`<span part="file-thumbnail" class="file-visual">${thumbnail ? html`<img src=${thumbnail} alt="" />` : icon(fileKind(file))}</span>`;
}

// <progress> carries its value as an attribute, so the row needs no inline style (strict CSP) for its bar.
function progressBar(name: string, fraction: number, valueText: string): TemplateResult {
  return html`<progress
    part="file-progress"
    class="progress"
    max="100"
    value=${percentOf(fraction)}
    aria-label=${isolatedName(name)}
    aria-valuetext=${valueText}
  ></progress>`;
}

function status(text: string, mark?: 'done' | 'failed'): TemplateResult {
  return html`<span part="file-status" class="file-status">${mark ? icon(mark) : nothing}<span class="status-text">${text}</span></span>`;
}

/** Whole seconds until `at`, never below zero. */
export function secondsUntil(at: number, now = Date.now()): number {
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** One line a person can read: the state, then only what helps in that state. */
function statusText(task: UploadTask, t: Translation, now: number, moving: boolean, notice: string | undefined): string {
  const { progress, state } = task;
  const retry = task.retryWait;
  if (retry) return t.retrying(secondsUntil(retry.at, now), retry.attempt, retry.attempts);
  const parts: string[] = [state === 'paused' && notice ? notice : t.states[state]];
  if (state === 'hashing' && progress.bytesHashed !== undefined && progress.bytesTotal > 0) {
    parts.push(t.percent(progress.bytesHashed / progress.bytesTotal));
  }
  if (state === 'uploading') {
    parts.push(t.percent(progress.bytesTotal > 0 ? progress.bytesSent / progress.bytesTotal : 0));
    // Speed and time left only mean something while bytes are moving.
    if (moving && progress.speed > 0) {
      parts.push(t.speed(progress.speed));
      if (progress.eta !== undefined) parts.push(t.eta(progress.eta));
    }
  }
  if (state === 'paused') parts.push(t.stored(progress.bytesStored ?? 0, progress.bytesTotal));
  if (state === 'failed' && task.error) parts.push(t.errors[task.error.code], advice(task.error, t));
  if (task.resumed && state !== 'failed') parts.push(t.resumed);
  return parts.join(' · ');
}

/** The bytes a row's bar shows: what is moving while it moves, what the provider holds for good otherwise. */
function shownBytes(task: UploadTask): number {
  const { progress, state } = task;
  if (state === 'done') return progress.bytesTotal;
  const moving = (state === 'uploading' || state === 'completing') && !task.retryWait;
  return moving ? progress.bytesSent : (progress.bytesStored ?? 0);
}

/** What a task row is drawn from; the element re-draws a row only when one of these changed. */
export interface TaskRowInput {
  task: UploadTask;
  t: Translation;
  onAction: RowActionHandler;
  disabled: boolean;
  thumbnail: string | undefined;
  /** The clock the retry countdown is read against, in whole seconds. */
  now: number;
  /** Whether the file's bytes grew in the last moments. */
  moving: boolean;
  /** Replaces the word "Paused" when the file was paused for a reason of its own (its destination changed). */
  notice?: string;
}

/** One file of the queue: picture, name, size, progress, status, and the buttons valid in its state. */
export function fileRow({ task, t, onAction, disabled, thumbnail, now, moving, notice }: TaskRowInput): TemplateResult {
  const { file, state } = task;
  const bytes = shownBytes(task);
  const total = task.progress.bytesTotal;
  const fraction = total > 0 ? bytes / total : state === 'done' ? 1 : 0;
  const labels = actionLabels(t, file.name);
  const mark = state === 'done' ? 'done' : state === 'failed' ? 'failed' : undefined;
  return html`<li part="file" class="file" data-state=${state} ?data-retrying=${task.retryWait !== undefined}>
    ${visual(file, thumbnail)}${nameCell(file.name)}
    <span part="file-size" class="file-size">${t.size(file.size)}</span>
    ${progressBar(file.name, fraction, `${t.percent(fraction)}, ${t.progress(bytes, total)}`)}
    ${status(statusText(task, t, now, moving, notice), mark)}
    <span part="file-actions" class="file-actions">
      ${taskActions(state).map((action) => actionButton(action, labels[action], disabled, () => onAction(action, task.id)))}
    </span>
  </li>`;
}

/** A row's button: a short visible word, and a label that names the file for screen readers. */
function actionButton(
  action: RowAction | 'dismiss',
  { text, label }: { text: string; label: string },
  disabled: boolean,
  onClick: () => void,
): TemplateResult {
  return html`<button type="button" part="button" data-action=${action} aria-label=${label} ?disabled=${disabled} @click=${onClick}>
    ${text}
  </button>`;
}

function dismissButton(t: Translation, name: string, disabled: boolean, onDismiss: () => void): TemplateResult {
  return actionButton('dismiss', { text: t.dismiss, label: t.dismissFile(isolatedName(name)) }, disabled, onDismiss);
}

/** What an interrupted-upload row needs. */
export interface ResumableRowInput {
  record: CheckpointRecord;
  t: Translation;
  disabled: boolean;
  /** Set when the record holds a file handle and the browser can read it again: the row gets a Resume button. */
  onResume?: () => void;
  onDismiss: () => void;
  /** Why the last Resume did not go ahead (the file changed, the permission was refused). */
  problem?: UploadError;
}

/** An upload interrupted in an earlier visit: how far it got, Resume where the file can be read again, Dismiss. */
export function resumableRow({ record, t, disabled, onResume, onDismiss, problem }: ResumableRowInput): TemplateResult {
  const { name, size } = record.file;
  const bytesDone = record.receipts.reduce((sum, receipt) => sum + receipt.size, 0);
  const fraction = size > 0 ? bytesDone / size : 0;
  const hint = problem ? `${t.errors[problem.code]} ${t.adviceChooseAgain}` : onResume ? t.interruptedHandleHint : t.interruptedHint;
  return html`<li part="file" class="file" data-state="interrupted">
    ${visual(record.file, undefined)}${nameCell(name)}
    <span part="file-size" class="file-size">${t.size(size)}</span>
    ${progressBar(name, fraction, `${t.percent(fraction)}, ${t.progress(bytesDone, size)}`)}
    ${status(`${t.interrupted} · ${t.stored(bytesDone, size)} · ${hint}`)}
    <span part="file-actions" class="file-actions">
      ${onResume && !problem ? actionButton('resume', actionLabels(t, name).resume, disabled, onResume) : nothing}
      ${dismissButton(t, name, disabled, onDismiss)}
    </span>
  </li>`;
}

/** A file that was not added, with the reason in words and a way to clear the notice. */
export function refusedRow(file: File, reason: string, t: Translation, onDismiss: () => void): TemplateResult {
  return html`<li part="file" class="file" data-state="refused">
    ${visual(file, undefined)}${nameCell(file.name)}
    <span part="file-size" class="file-size">${t.size(file.size)}</span>
    ${status(`${t.refused} · ${reason}`, 'failed')}
    <span part="file-actions" class="file-actions">${dismissButton(t, file.name, false, onDismiss)}</span>
  </li>`;
}

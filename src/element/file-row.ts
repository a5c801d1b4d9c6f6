import { html } from 'lit';
import type { TemplateResult } from 'lit';
import { styleMap } from 'lit/directives/style-map.js';
import type { UploadTask } from '../core/upload-task.js';
import { taskActions } from '../core/types.js';
import type { CheckpointRecord, TaskAction, UploadState } from '../core/types.js';
import type { Translation } from './localize.js';
import { percentOf } from './format.js';

/** What a row's buttons can ask for: the actions core's state machine offers. */
export type RowAction = TaskAction;

/** How a row reports a button press. */
export type RowActionHandler = (action: RowAction, taskId: string) => void;

function actionLabels(t: Translation, name: string): Record<RowAction, { text: string; label: string }> {
  return {
    pause: { text: t.pause, label: t.pauseFile(name) },
    resume: { text: t.resume, label: t.resumeFile(name) },
    retry: { text: t.retry, label: t.retryFile(name) },
    cancel: { text: t.cancel, label: t.cancelFile(name) },
    remove: { text: t.remove, label: t.removeFile(name) },
  };
}

function progressBar(name: string, fraction: number, valueText: string): TemplateResult {
  const percent = percentOf(fraction);
  return html`<div
    part="file-progress"
    class="progress"
    role="progressbar"
    aria-label=${name}
    aria-valuemin="0"
    aria-valuemax="100"
    aria-valuenow=${percent}
    aria-valuetext=${valueText}
  >
    <div class="progress-fill" style=${styleMap({ transform: `scaleX(${percent / 100})` })}></div>
  </div>`;
}

function statusText(task: UploadTask, t: Translation): string {
  const { progress, state } = task;
  const parts: string[] = [t.states[state]];
  if (state === 'hashing' && progress.bytesHashed !== undefined && progress.bytesTotal > 0) {
    parts.push(t.percent(progress.bytesHashed / progress.bytesTotal));
  }
  if (state === 'uploading') {
    parts.push(t.progress(progress.bytesSent, progress.bytesTotal));
    if (progress.speed > 0) parts.push(t.speed(progress.speed));
    if (progress.eta !== undefined) parts.push(t.eta(progress.eta));
  }
  if (state === 'failed' && task.error) parts.push(t.errors[task.error.code]);
  if (task.resumed && state !== 'failed') parts.push(t.resumed);
  return parts.join(' · ');
}

/** One file of the queue: name, size, progress, status, and the buttons valid in its state. */
export function fileRow(task: UploadTask, t: Translation, onAction: RowActionHandler, disabled: boolean): TemplateResult {
  const { file, progress, state } = task;
  const fraction = progress.bytesTotal > 0 ? progress.bytesSent / progress.bytesTotal : state === 'done' ? 1 : 0;
  const labels = actionLabels(t, file.name);
  return html`<li part="file" class="file" data-state=${state}>
    <span part="file-name" class="file-name" title=${file.name}>${file.name}</span>
    <span part="file-size" class="file-size">${t.size(file.size)}</span>
    ${progressBar(file.name, fraction, `${t.percent(fraction)}, ${t.progress(progress.bytesSent, progress.bytesTotal)}`)}
    <span part="file-status" class="file-status">${statusText(task, t)}</span>
    <span part="file-actions" class="file-actions">
      ${taskActions(state).map(
        (action) => html`<button
          type="button"
          part="button"
          data-action=${action}
          aria-label=${labels[action].label}
          ?disabled=${disabled}
          @click=${() => onAction(action, task.id)}
        >
          ${labels[action].text}
        </button>`,
      )}
    </span>
  </li>`;
}

/** An upload interrupted in an earlier visit: how far it got, and a way to dismiss it. */
export function resumableRow(
  record: CheckpointRecord,
  t: Translation,
  onDismiss: (fingerprint: string) => void,
  disabled: boolean,
): TemplateResult {
  const { name, size } = record.file;
  const bytesDone = record.receipts.reduce((sum, receipt) => sum + receipt.size, 0);
  const fraction = size > 0 ? bytesDone / size : 0;
  return html`<li part="file" class="file" data-state="interrupted">
    <span part="file-name" class="file-name" title=${name}>${name}</span>
    <span part="file-size" class="file-size">${t.size(size)}</span>
    ${progressBar(name, fraction, `${t.percent(fraction)}, ${t.progress(bytesDone, size)}`)}
    <span part="file-status" class="file-status">${t.interrupted} · ${t.percent(fraction)} · ${t.interruptedHint}</span>
    <span part="file-actions" class="file-actions">
      <button
        type="button"
        part="button"
        data-action="dismiss"
        aria-label=${t.dismissFile(name)}
        ?disabled=${disabled}
        @click=${() => onDismiss(record.fingerprint)}
      >
        ${t.dismiss}
      </button>
    </span>
  </li>`;
}

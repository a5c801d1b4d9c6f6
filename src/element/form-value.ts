import type { UploadTask } from '../core/upload-task.js';
import type { UploadResult } from '../core/adapter.js';
import { UploadState } from '../core/types.js';
import type { Translation } from './localize.js';

/** What identifies an uploaded object to the page's backend, in the order providers report them. */
export function objectIdentifier(result: UploadResult | undefined): string | undefined {
  const value = result?.key ?? result?.fileId ?? result?.location;
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function uploadedIdentifier(task: UploadTask): string | undefined {
  return task.state === UploadState.Done ? objectIdentifier(task.result) : undefined;
}

function uploadedIdentifiers(tasks: readonly UploadTask[]): string[] {
  const identifiers: string[] = [];
  for (const task of tasks) {
    const identifier = uploadedIdentifier(task);
    if (identifier !== undefined) identifiers.push(identifier);
  }
  return identifiers;
}

/** What the form needs from the element at each render. */
export interface FormState {
  name: string | undefined;
  required: boolean;
  tasks: readonly UploadTask[];
  /**
   * How many files are done and whether any is unfinished: with the list itself (a new array when files are removed,
   * and a file never leaves Done otherwise) they decide the value and validity, so a render that changed neither costs
   * no pass over the list.
   */
  done: number;
  unfinished: boolean;
  t: Translation;
  /** Where the browser shows the validation message. */
  anchor: HTMLElement | undefined;
}

/**
 * The element's part in a `<form>`, like `<input type=file name>`: one form entry per uploaded file (its key, file id
 * or location), invalid while files are unfinished, and, with `required`, until one file is uploaded.
 */
export class FormValue {
  readonly #internals: ElementInternals;
  #lastValue?: string;
  #lastValidity?: string;
  #lastState?: FormState;

  constructor(internals: ElementInternals) {
    this.#internals = internals;
  }

  update(state: FormState): void {
    // Progress re-renders the element many times a second; the form's value and validity change only with the list.
    if (this.#lastState && (Object.keys(state) as Array<keyof FormState>).every((key) => state[key] === this.#lastState![key])) return;
    this.#lastState = state;
    const { name, required, tasks, unfinished, t, anchor } = state;
    // Without a name the form holds no value, and `required` asks only whether some file has one: each completion in a
    // batch of a thousand would otherwise list (and compare) every identifier so far.
    const identifiers = name ? uploadedIdentifiers(tasks) : [];
    const uploaded = name ? identifiers.length > 0 : required && tasks.some((task) => uploadedIdentifier(task) !== undefined);
    const value = JSON.stringify([name ?? null, identifiers]);
    if (value !== this.#lastValue) {
      this.#lastValue = value;
      if (name && identifiers.length > 0) {
        const data = new FormData();
        for (const identifier of identifiers) data.append(name, identifier);
        this.#internals.setFormValue(data);
      } else {
        this.#internals.setFormValue(null);
      }
    }
    const problem = unfinished ? 'uploading' : required && !uploaded ? 'required' : '';
    const validity = `${problem}|${t.$code}|${anchor ? 'anchored' : ''}`;
    if (validity === this.#lastValidity) return;
    this.#lastValidity = validity;
    if (problem === 'uploading') this.#internals.setValidity({ customError: true }, t.formUploading, anchor);
    else if (problem === 'required') this.#internals.setValidity({ valueMissing: true }, t.formRequired, anchor);
    else this.#internals.setValidity({});
  }
}

import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { UploadErrorCode } from '../core/errors.js';
import type { UploadState } from '../core/types.js';
import { en } from './translations/en.js';
import type { Announcement } from './upload-controller.js';
import { isolatedName } from './safe-name.js';

/** Every string the element shows. Terms that depend on a number are functions, so each language words them itself. */
export interface Translation {
  /** The BCP 47 code, also used to format numbers. */
  $code: string;
  /** The language's own name. */
  $name: string;
  dropLabel: string;
  browse: string;
  pasteHint: string;
  maxFileSize: (bytes: number) => string;
  maxFiles: (count: number) => string;
  tooManyFiles: (count: number) => string;
  emptyList: string;
  fileList: string;
  size: (bytes: number) => string;
  progress: (bytesSent: number, bytesTotal: number) => string;
  percent: (fraction: number) => string;
  speed: (bytesPerSecond: number) => string;
  eta: (seconds: number) => string;
  states: Record<UploadState, string>;
  resumed: string;
  start: string;
  pause: string;
  resume: string;
  retry: string;
  cancel: string;
  remove: string;
  pauseFile: (name: string) => string;
  resumeFile: (name: string) => string;
  retryFile: (name: string) => string;
  cancelFile: (name: string) => string;
  removeFile: (name: string) => string;
  pauseAll: string;
  resumeAll: string;
  cancelAll: string;
  clearFinished: string;
  interrupted: string;
  interruptedHint: string;
  /** A file paused because the element's provider or endpoint changed under it. */
  destinationChanged: string;
  dismiss: string;
  dismissFile: (name: string) => string;
  chooseFolder: string;
  /** The state word of a file that was not added (too large, wrong type, too many). */
  refused: string;
  retrying: (seconds: number, attempt: number, attempts: number) => string;
  /** What a paused or interrupted file has on the provider for good. */
  stored: (bytesStored: number, bytesTotal: number) => string;
  /** What to do about a failed file, by kind of failure. */
  adviceRetry: string;
  adviceChooseAgain: string;
  adviceLater: string;
  interruptedHandleHint: string;
  overallProgress: string;
  filesDone: (done: number, total: number) => string;
  /** Why a `required` uploader keeps its form from submitting. */
  formRequired: string;
  formUploading: string;
  errors: Record<UploadErrorCode, string>;
  announceAdded: (name: string) => string;
  announceComplete: (name: string) => string;
  announceFailed: (name: string, reason: string) => string;
  announceRejected: (name: string, reason: string) => string;
  announcePaused: (name: string) => string;
  announceQueueComplete: string;
}

const translations = new Map<string, Translation>();

/** Makes a language available to every uploader on the page; its `$code` is matched against `lang`. */
export function registerTranslation(...added: Translation[]): void {
  for (const translation of added) translations.set(translation.$code.toLowerCase(), translation);
}

registerTranslation(en);

/**
 * Languages that ship with the element but load only when a page asks for them, so that an English page does not
 * download them (the main entry's size budget).
 */
const BUNDLED: Record<string, () => Promise<Translation>> = {
  'zh-cn': () => import('./translations/zh-cn.js').then((module) => module.zhCn),
};
const loading = new Map<string, Promise<void>>();

/** Whether `key` (a translation code) serves `code` (a `lang` value): the same, or the same language. */
function serves(key: string, code: string): boolean {
  const language = code.split('-')[0];
  return key === code || key === language || key.split('-')[0] === language;
}

/** The translation for a `lang` value: the exact code, then its language alone ("zh-Hans" → "zh-cn"), then English. */
export function resolveTranslation(lang: string): Translation {
  const code = lang.toLowerCase();
  const exact = translations.get(code);
  if (exact) return exact;
  for (const [key, translation] of translations) {
    if (serves(key, code)) return translation;
  }
  return en;
}

/**
 * Loads the translation that ships with the element for a `lang` value ("zh-CN", "zh-Hans"), unless one is registered
 * already; undefined when there is nothing to load. Elements do this themselves; a page may call it ahead of time.
 */
export function loadTranslation(lang: string): Promise<void> | undefined {
  const code = lang.toLowerCase();
  if ([...translations.keys()].some((key) => serves(key, code))) return undefined;
  const key = Object.keys(BUNDLED).find((candidate) => serves(candidate, code));
  if (!key) return undefined;
  let pending = loading.get(key);
  if (!pending) {
    pending = BUNDLED[key]!().then((translation) => {
      if (!translations.has(key)) registerTranslation(translation);
    });
    loading.set(key, pending);
  }
  return pending;
}

/** Follows the `lang` of the host, its ancestors and the document, and re-renders the host when it changes. */
export class LocalizeController implements ReactiveController {
  readonly #host: ReactiveControllerHost & HTMLElement;
  #observer?: MutationObserver;
  #merged?: { base: Translation; overrides: Partial<Translation>; terms: Translation };
  #loading?: Promise<void>;

  constructor(host: ReactiveControllerHost & HTMLElement) {
    this.#host = host;
    host.addController(this);
  }

  /** Settles once the translation the last render asked for has loaded (English is shown until then). */
  get ready(): Promise<void> {
    return this.#loading ?? Promise.resolve();
  }

  /** The `lang` in effect for the host. */
  get lang(): string {
    return this.#host.closest('[lang]')?.getAttribute('lang') || document.documentElement.lang || 'en';
  }

  /**
   * The strings for the current `lang`, with `overrides` on top. The same object while neither changes, so that rows
   * which depend on it are not drawn again.
   */
  terms(overrides?: Partial<Translation>): Translation {
    const lang = this.lang;
    const pending = loadTranslation(lang);
    if (pending && this.#loading !== pending) {
      this.#loading = pending;
      void pending.then(() => this.#host.requestUpdate());
    }
    const base = resolveTranslation(lang);
    if (!overrides) return base;
    if (this.#merged?.base !== base || this.#merged.overrides !== overrides) {
      this.#merged = { base, overrides, terms: { ...base, ...overrides } };
    }
    return this.#merged.terms;
  }

  hostConnected(): void {
    // Only the host and the document are watched; a lang changed on an ancestor in between shows at the next render.
    this.#observer = new MutationObserver(() => this.#host.requestUpdate());
    const options = { attributes: true, attributeFilter: ['lang'] };
    this.#observer.observe(this.#host, options);
    this.#observer.observe(document.documentElement, options);
  }

  hostDisconnected(): void {
    this.#observer?.disconnect();
    this.#observer = undefined;
  }
}

/** Words an announcement for the live region. */
export function announcementText(announcement: Announcement | undefined, t: Translation): string {
  if (announcement === undefined || announcement.kind === 'queue-complete') return announcement ? t.announceQueueComplete : '';
  // Names are read out isolated and with hidden characters spelled, as they are shown.
  const name = isolatedName(announcement.name);
  switch (announcement.kind) {
    case 'added':
      return t.announceAdded(name);
    case 'complete':
      return t.announceComplete(name);
    case 'paused':
      return t.announcePaused(name);
    case 'failed':
      return t.announceFailed(name, t.errors[announcement.error.code]);
    case 'rejected':
      return t.announceRejected(name, t.errors[announcement.error.code]);
    case 'too-many-files':
      return t.announceRejected(name, t.tooManyFiles(announcement.max));
  }
}

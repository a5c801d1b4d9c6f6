import '../src/element/multi-cloud-uploader.js';
import type { MultiCloudUploader } from '../src/element/multi-cloud-uploader.js';
import { formatBytes, formatDuration, formatPercent, formatRate } from '../src/element/format.js';
import { providerNames } from '../src/providers/registry.js';
import { demoProviderConfigs } from './provider-configs.js';
const MiB = 1024 * 1024;
const LOG_LIMIT = 500;

function byId<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The demo page has no #${id}.`);
  return found as T;
}

const uploader = byId<MultiCloudUploader>('uploader');
const providerSelect = byId<HTMLSelectElement>('provider');
const themeSelect = byId<HTMLSelectElement>('theme');
const languageSelect = byId<HTMLSelectElement>('language');
const networkSelect = byId<HTMLSelectElement>('network');
const networkNote = byId<HTMLParagraphElement>('network-note');
const concurrencyInput = byId<HTMLInputElement>('concurrency');
const partSizeInput = byId<HTMLInputElement>('part-size');
const autoStartBox = byId<HTMLInputElement>('auto-start');
const noResumeBox = byId<HTMLInputElement>('no-resume');
const disabledBox = byId<HTMLInputElement>('disabled');
const log = byId<HTMLOListElement>('log');

/** The choices a reload keeps, so that "Reload the page" comes back to the same provider and looks. */
const SAVED = 'mcu-demo-choices';
const saved = JSON.parse(localStorage.getItem(SAVED) ?? '{}') as Record<string, string>;
function remember(name: string, value: string): void {
  saved[name] = value;
  localStorage.setItem(SAVED, JSON.stringify(saved));
}

for (const name of providerNames()) if (demoProviderConfigs[name]) providerSelect.add(new Option(name, name));
if (saved.provider && demoProviderConfigs[saved.provider]) providerSelect.value = saved.provider;

/** Points the element at the chosen provider's emulator; `npm run demo` serves every one of them. */
function useProvider(name: string): void {
  const config = demoProviderConfigs[name];
  uploader.adapterOptions = config.adapterOptions;
  uploader.endpoint = new URL(config.endpoint, location.href).href;
  uploader.provider = name;
}
useProvider(providerSelect.value);
providerSelect.addEventListener('change', () => {
  void setNetwork('good');
  useProvider(providerSelect.value);
  remember('provider', providerSelect.value);
  write('provider', `switched to ${providerSelect.value}`);
});

function useTheme(theme: string): void {
  themeSelect.value = theme;
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
  uploader.theme = theme === 'light' || theme === 'dark' ? theme : undefined;
}
useTheme(saved.theme ?? '');
themeSelect.addEventListener('change', () => {
  useTheme(themeSelect.value);
  remember('theme', themeSelect.value);
});

function useLanguage(lang: string): void {
  languageSelect.value = lang;
  document.documentElement.lang = lang;
  uploader.lang = lang;
}
useLanguage(saved.lang ?? 'en');
languageSelect.addEventListener('change', () => {
  useLanguage(languageSelect.value);
  remember('lang', languageSelect.value);
});

/** Faults armed on the current provider's emulator through its admin routes: a few of each, so uploads recover. */
const NETWORKS: Record<string, { fault?: Record<string, unknown>; note: string }> = {
  good: { note: '' },
  drops: { fault: { kind: 'drop', times: 3 }, note: 'The next 3 requests to the store lose their connection; watch the rows retry.' },
  '503': { fault: { kind: 'fail', status: 503, times: 3 }, note: 'The store answers the next 3 requests with 503; the uploader waits and retries.' },
  expiry: { fault: { kind: 'expire', times: 2 }, note: 'The next 2 upload links expire; the uploader signs new ones without counting a failure.' },
};

async function setNetwork(choice: string): Promise<void> {
  networkSelect.value = choice;
  const faults = `/__admin/${providerSelect.value}/faults`;
  await fetch(faults, { method: 'DELETE' }).catch(() => undefined);
  const { fault, note } = NETWORKS[choice] ?? NETWORKS.good;
  networkNote.textContent = note;
  if (!fault) return;
  const response = await fetch(faults, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(fault) });
  if (!response.ok) networkNote.textContent = `This provider's emulator refused the fault (HTTP ${response.status}).`;
  write('network', `${choice}: ${JSON.stringify(fault)}`);
}
networkSelect.addEventListener('change', () => void setNetwork(networkSelect.value));

byId('reload').addEventListener('click', () => location.reload());

const applyConcurrency = () => {
  uploader.concurrency = concurrencyInput.valueAsNumber;
};
const applyPartSize = () => {
  uploader.partSize = partSizeInput.valueAsNumber * MiB;
};
applyConcurrency();
applyPartSize();
concurrencyInput.addEventListener('change', applyConcurrency);
partSizeInput.addEventListener('change', applyPartSize);
autoStartBox.addEventListener('change', () => {
  uploader.autoStart = autoStartBox.checked;
});
noResumeBox.addEventListener('change', () => {
  uploader.noResume = noResumeBox.checked;
});
disabledBox.addEventListener('change', () => {
  uploader.disabled = disabledBox.checked;
});

/** Random bytes, made in 64 KiB pieces because that is the most `getRandomValues` fills at once. */
function randomFile(size: number): File {
  const pieces: Uint8Array<ArrayBuffer>[] = [];
  for (let offset = 0; offset < size; offset += 65536) {
    pieces.push(crypto.getRandomValues(new Uint8Array(Math.min(65536, size - offset))));
  }
  const stamp = new Date().toISOString().slice(11, 19).replaceAll(':', '');
  return new File(pieces, `random-${stamp}.bin`, { type: 'application/octet-stream' });
}

byId('add-random').addEventListener('click', () => void uploader.addFiles([randomFile(12 * MiB)]));
byId('start').addEventListener('click', () => uploader.start());
byId('pause-all').addEventListener('click', () => uploader.pauseAll());
byId('resume-all').addEventListener('click', () => uploader.resumeAll());
byId('cancel-all').addEventListener('click', () => void uploader.cancelAll());
byId('clear').addEventListener('click', () => uploader.clear());
byId('clear-log').addEventListener('click', () => log.replaceChildren());

let progressEntry: HTMLLIElement | undefined;

// File names are user data: the log only ever sets them as text, never as markup.
function entry(type: string, text: string): HTMLLIElement {
  const item = document.createElement('li');
  item.className = type;
  const time = document.createElement('time');
  time.textContent = new Date().toLocaleTimeString();
  const label = document.createElement('span');
  label.className = 'type';
  label.textContent = type;
  const body = document.createElement('span');
  body.textContent = text;
  item.append(time, label, body);
  return item;
}

function write(type: string, text: string): void {
  progressEntry = undefined;
  log.append(entry(type, text));
  while (log.childElementCount > LOG_LIMIT) log.firstElementChild?.remove();
  log.lastElementChild?.scrollIntoView({ block: 'nearest' });
}

uploader.addEventListener('mcu-file-added', ({ detail }) => {
  write('mcu-file-added', `${detail.file.name} (${formatBytes(detail.file.size, 'en')}), task ${detail.taskId.slice(0, 8)}`);
});

// One line per run of progress events, updated in place, or the log would be nothing else.
uploader.addEventListener('mcu-progress', ({ detail }) => {
  const { overall } = detail;
  const fraction = overall.bytesTotal > 0 ? overall.bytesSent / overall.bytesTotal : 0;
  const text = [
    formatPercent(fraction, 'en'),
    `${formatBytes(overall.bytesSent, 'en')} of ${formatBytes(overall.bytesTotal, 'en')}`,
    formatRate(overall.speed, 'en'),
    overall.eta === undefined ? 'eta unknown' : `${formatDuration(overall.eta, 'en')} left`,
    `${detail.files.length} file(s) moved`,
  ].join(' · ');
  if (progressEntry?.isConnected) {
    progressEntry.replaceWith((progressEntry = entry('mcu-progress', text)));
    return;
  }
  write('mcu-progress', text);
  progressEntry = log.lastElementChild as HTMLLIElement;
});

uploader.addEventListener('mcu-complete', ({ detail }) => {
  write('mcu-complete', `${detail.file.name} → ${JSON.stringify(detail.result)}`);
});

uploader.addEventListener('mcu-error', ({ detail }) => {
  const status = detail.error.status === undefined ? '' : ` (HTTP ${detail.error.status})`;
  write('mcu-error', `${detail.file.name}: ${detail.error.code}${status}, ${detail.error.message}`);
});

uploader.addEventListener('mcu-warning', ({ detail }) => {
  write('mcu-warning', `${detail.file?.name ?? 'queue'}: ${detail.error.code}, ${detail.error.message}`);
});

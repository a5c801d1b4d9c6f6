import { css } from 'lit';

/**
 * The uploader's shadow styles. Every colour and spacing is a public `--mcu-*` custom property, read once in `:host`
 * into a private `--_*` local. Colours have a light and a dark default through `light-dark()`, which follows the
 * host's `color-scheme`: the person's `prefers-color-scheme` unless the page sets `color-scheme` on the element or
 * the `theme` attribute. Contrast of every default pair is at least 4.5:1 (checked with axe in the tests).
 */
export const styles = css`
  :host {
    color-scheme: light dark;
    --_text: var(--mcu-color-text, light-dark(#111827, #f3f4f6));
    --_muted: var(--mcu-color-text-muted, light-dark(#4b5563, #a3acb9));
    --_surface: var(--mcu-color-surface, light-dark(#ffffff, #111827));
    --_border: var(--mcu-color-border, light-dark(#d1d5db, #4b5563));
    --_track: var(--mcu-color-track, light-dark(#e5e7eb, #374151));
    --_accent: var(--mcu-accent-color, light-dark(#1d4ed8, #93c5fd));
    --_on-accent: var(--mcu-color-on-accent, light-dark(#ffffff, #0b1220));
    --_danger: var(--mcu-color-danger, light-dark(#b91c1c, #fca5a5));
    --_success: var(--mcu-color-success, light-dark(#15803d, #86efac));
    --_radius: var(--mcu-radius, 8px);
    --_space: var(--mcu-space, 0.5rem);
    --_drop-border: var(--mcu-drop-zone-border, 2px dashed var(--_muted));
    --_list-height: var(--mcu-list-max-height, 24rem);
    --_thumb: var(--mcu-thumbnail-size, 2.5rem);
    --_row-height: var(--mcu-row-height, 5.5rem);
    display: block;
    color: var(--_text);
    background: var(--_surface);
    font: inherit;
  }

  :host([theme='light']) {
    color-scheme: light;
  }

  :host([theme='dark']) {
    color-scheme: dark;
  }

  :host([hidden]) {
    display: none;
  }

  [hidden] {
    display: none !important;
  }

  .base {
    display: flex;
    flex-direction: column;
    gap: calc(var(--_space) * 1.5);
  }

  .drop-zone {
    display: flex;
    flex-direction: column;
    align-items: center;
    gap: var(--_space);
    padding: calc(var(--_space) * 3) calc(var(--_space) * 2);
    border: var(--_drop-border);
    border-radius: var(--_radius);
    text-align: center;
  }

  :host(:state(dragover)) .drop-zone {
    border-color: var(--_accent);
    background: color-mix(in srgb, var(--_accent) 8%, var(--_surface));
  }

  .drop-label,
  .hint {
    margin: 0;
  }

  .hint {
    color: var(--_muted);
    font-size: 0.875em;
  }

  .pickers {
    display: flex;
    flex-wrap: wrap;
    justify-content: center;
    gap: var(--_space);
  }

  button {
    font: inherit;
    padding: calc(var(--_space) * 0.75) calc(var(--_space) * 1.5);
    border: 1px solid var(--_accent);
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_accent);
    cursor: pointer;
  }

  button:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }

  button:disabled {
    cursor: not-allowed;
    opacity: 0.6;
  }

  .browse-button {
    background: var(--_accent);
    color: var(--_on-accent);
  }

  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: var(--_space);
  }

  .summary {
    display: grid;
    gap: calc(var(--_space) * 0.5);
  }

  .summary .progress {
    grid-area: auto;
  }

  .summary-text {
    color: var(--_muted);
    font-size: 0.875em;
    white-space: nowrap;
    overflow: hidden;
    text-overflow: ellipsis;
  }

  .file-list {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: var(--_space);
    max-height: var(--_list-height);
    overflow-y: auto;
    overscroll-behavior: contain;
    /* Windowing swaps the rows under the scroll position; anchoring would move it to follow a removed row. */
    overflow-anchor: none;
    container-type: inline-size;
  }

  .spacer {
    flex: none;
  }

  .file-list[data-virtual] .file {
    box-sizing: border-box;
    height: var(--_row-height);
    overflow: hidden;
  }

  .file {
    flex: none;
    /* A row's progress and text change many times a second: its layout and paint stay inside it, and rows scrolled
       out of view are not laid out or painted at all. */
    contain: layout paint style;
    content-visibility: auto;
    contain-intrinsic-size: auto var(--_row-height);
    display: grid;
    grid-template-columns: var(--_thumb) minmax(0, 1fr) auto;
    grid-template-areas:
      'visual name size'
      'visual progress progress'
      'visual status actions';
    align-items: center;
    gap: calc(var(--_space) * 0.5) calc(var(--_space) * 1.5);
    padding: var(--_space) calc(var(--_space) * 1.5);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
  }

  @container (max-width: 26rem) {
    .file {
      grid-template-areas:
        'visual name size'
        'visual progress progress'
        'visual status status'
        'actions actions actions';
    }
  }

  .file-visual {
    grid-area: visual;
    align-self: start;
    display: grid;
    place-items: center;
    width: var(--_thumb);
    height: var(--_thumb);
    border-radius: var(--_radius);
    background: var(--_track);
    color: var(--_muted);
    overflow: hidden;
  }

  .file-visual img {
    width: 100%;
    height: 100%;
    object-fit: cover;
  }

  .icon {
    width: 60%;
    height: 60%;
    fill: none;
    stroke: currentColor;
    stroke-width: 1.75;
    stroke-linecap: round;
    stroke-linejoin: round;
  }

  .file-name {
    grid-area: name;
    min-width: 0;
    font-weight: 600;
  }

  .name {
    display: flex;
    min-width: 0;
    white-space: nowrap;
  }

  .name-head {
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
  }

  .name-tail {
    flex: none;
  }

  .file-size {
    grid-area: size;
    color: var(--_muted);
    white-space: nowrap;
  }

  .progress {
    grid-area: progress;
    appearance: none;
    width: 100%;
    height: calc(var(--_space) * 0.75);
    border: 0;
    border-radius: var(--_radius);
    background: var(--_track);
    color: var(--_accent);
    overflow: hidden;
  }

  .progress::-webkit-progress-bar {
    background: var(--_track);
  }

  /* The bars jump, they do not ease: a transition lays a bar out again in every frame it runs, and in a batch the
     overall bar moves every frame (1,000 files: a quarter of the element's layouts and frame time, traced). Progress
     arrives often enough to look continuous. */
  .progress::-webkit-progress-value {
    background: currentColor;
  }

  .progress::-moz-progress-bar {
    background: currentColor;
  }

  .file[data-state='failed'] .progress {
    color: var(--_danger);
  }

  .file[data-state='done'] .progress {
    color: var(--_success);
  }

  .file-status {
    grid-area: status;
    display: flex;
    align-items: center;
    gap: calc(var(--_space) * 0.5);
    min-width: 0;
    color: var(--_muted);
    font-size: 0.875em;
  }

  .file-status .icon {
    flex: none;
    width: 1.25em;
    height: 1.25em;
  }

  .status-text {
    min-width: 0;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
  }

  /* A reason and what to do about it matter more than one line. */
  .file:is([data-state='failed'], [data-state='refused'], [data-state='interrupted']) .status-text {
    white-space: normal;
  }

  .file[data-state='failed'] .file-status,
  .file[data-state='refused'] .file-status {
    color: var(--_danger);
  }

  .file[data-state='done'] .file-status {
    color: var(--_success);
  }

  .file-actions {
    grid-area: actions;
    display: flex;
    flex-wrap: wrap;
    gap: calc(var(--_space) * 0.5);
    justify-content: flex-end;
  }

  .empty {
    color: var(--_muted);
  }

  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    margin: -1px;
    overflow: hidden;
    clip-path: inset(50%);
    white-space: nowrap;
  }
`;

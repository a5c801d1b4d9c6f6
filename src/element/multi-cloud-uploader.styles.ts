import { css } from 'lit';

/** The uploader's shadow styles; public `--mcu-*` tokens are read once in `:host` into private `--_*` locals. */
export const styles = css`
  :host {
    --_accent: var(--mcu-accent-color, #1d4ed8);
    --_radius: var(--mcu-radius, 8px);
    --_drop-border: var(--mcu-drop-zone-border, 2px dashed #6b7280);
    --_muted: #4b5563;
    --_track: #e5e7eb;
    display: block;
    color: CanvasText;
    font: inherit;
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
    gap: 0.75rem;
  }

  .drop-zone {
    display: flex;
    flex-direction: column;
    align-items: center;
    gap: 0.5rem;
    padding: 1.5rem 1rem;
    border: var(--_drop-border);
    border-radius: var(--_radius);
    text-align: center;
  }

  :host(:state(dragover)) .drop-zone {
    border-color: var(--_accent);
    background: color-mix(in srgb, var(--_accent) 8%, transparent);
  }

  .drop-label,
  .hint {
    margin: 0;
  }

  .hint {
    color: var(--_muted);
    font-size: 0.875em;
  }

  button {
    font: inherit;
    padding: 0.375rem 0.75rem;
    border: 1px solid var(--_accent);
    border-radius: var(--_radius);
    background: Canvas;
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
    color: #fff;
  }

  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
  }

  .file-list {
    list-style: none;
    margin: 0;
    padding: 0;
    display: flex;
    flex-direction: column;
    gap: 0.5rem;
  }

  .file {
    display: grid;
    grid-template-columns: minmax(0, 1fr) auto;
    grid-template-areas:
      'name size'
      'progress progress'
      'status actions';
    align-items: center;
    gap: 0.25rem 0.75rem;
    padding: 0.5rem 0.75rem;
    border: 1px solid var(--_track);
    border-radius: var(--_radius);
  }

  .file-name {
    grid-area: name;
    overflow: hidden;
    text-overflow: ellipsis;
    white-space: nowrap;
    font-weight: 600;
  }

  .file-size {
    grid-area: size;
    color: var(--_muted);
  }

  .progress {
    grid-area: progress;
    height: 0.375rem;
    border-radius: var(--_radius);
    background: var(--_track);
    overflow: hidden;
  }

  .progress-fill {
    height: 100%;
    background: var(--_accent);
    transform-origin: left;
    transition: transform 120ms linear;
  }

  :host(:dir(rtl)) .progress-fill {
    transform-origin: right;
  }

  .file[data-state='failed'] .progress-fill {
    background: #b91c1c;
  }

  .file-status {
    grid-area: status;
    color: var(--_muted);
    font-size: 0.875em;
  }

  .file[data-state='failed'] .file-status {
    color: #b91c1c;
  }

  .file-actions {
    grid-area: actions;
    display: flex;
    gap: 0.25rem;
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

  @media (prefers-reduced-motion: reduce) {
    .progress-fill {
      transition: none;
    }
  }
`;

import { html, svg } from 'lit';
import type { SVGTemplateResult, TemplateResult } from 'lit';

/** The kinds of file that get an icon of their own. */
export type FileKind = 'image' | 'video' | 'audio' | 'archive' | 'document' | 'other';

const ARCHIVE = /\.(zip|7z|rar|tar|gz|tgz|bz2|xz|zst|iso|dmg)$/i;
const DOCUMENT = /\.(pdf|txt|md|rtf|docx?|xlsx?|pptx?|odt|ods|odp|csv|json|xml|html?)$/i;

/** A file's kind, from its MIME type or else its extension. */
export function fileKind(file: Pick<File, 'name' | 'type'>): FileKind {
  const [major] = file.type.split('/');
  if (major === 'image' || major === 'video' || major === 'audio') return major;
  if (ARCHIVE.test(file.name) || /zip|compressed|x-tar|x-7z/.test(file.type)) return 'archive';
  if (DOCUMENT.test(file.name) || major === 'text' || /pdf|document|sheet|presentation/.test(file.type)) return 'document';
  return 'other';
}

// 24×24 outline glyphs drawn with currentColor, so they follow the theme.
const GLYPHS: Record<FileKind | 'done' | 'failed', SVGTemplateResult> = {
  image: svg`<rect x="3" y="4" width="18" height="16" rx="2"/><circle cx="9" cy="10" r="2"/><path d="m4 19 6-6 4 4 3-3 4 4"/>`,
  video: svg`<rect x="3" y="5" width="13" height="14" rx="2"/><path d="m16 10 5-3v10l-5-3z"/>`,
  audio: svg`<path d="M9 18V6l11-2v12"/><circle cx="6.5" cy="18" r="2.5"/><circle cx="17.5" cy="16" r="2.5"/>`,
  archive: svg`<rect x="4" y="3" width="16" height="18" rx="2"/><path d="M12 3v2m0 2v2m0 2v2"/><rect x="10.5" y="13" width="3" height="4" rx="1"/>`,
  document: svg`<path d="M6 3h8l5 5v13H6z"/><path d="M14 3v5h5M9 13h7M9 17h7"/>`,
  other: svg`<path d="M6 3h8l5 5v13H6z"/><path d="M14 3v5h5"/>`,
  done: svg`<circle cx="12" cy="12" r="9"/><path d="m8 12 3 3 5-6"/>`,
  failed: svg`<circle cx="12" cy="12" r="9"/><path d="M12 7v6m0 3v.5"/>`,
};

/** A decorative icon; the row's text says the same in words. */
export function icon(name: keyof typeof GLYPHS): TemplateResult {
  return html`<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">${GLYPHS[name]}</svg>`;
}

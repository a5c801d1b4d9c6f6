// Characters that change how the rest of a name is shown or hide part of it: C0/C1 controls, bidi embeddings,
// overrides, isolates and marks, zero-width characters, line/paragraph separators and the BOM.
const HIDDEN_OR_REORDERING = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** How many characters of the end stay visible when a long name is cut in the middle (the extension and a little more). */
const KEPT_TAIL = 10;

/**
 * A file name as safe text: every control, bidi or zero-width character replaced by a visible `⟨U+XXXX⟩`, so that
 * `invoice\u202Efdp.exe` shows as `invoice⟨U+202E⟩fdp.exe` and never as "invoiceexe.pdf".
 */
export function visibleName(name: string): string {
  return name.replace(HIDDEN_OR_REORDERING, (char) => `⟨U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

/** A visible name isolated from the text around it (FSI … PDI), for labels and announcements that are plain strings. */
export function isolatedName(name: string): string {
  return `\u2068${visibleName(name)}\u2069`;
}

/**
 * A visible name split so that the start can be cut with an ellipsis while the end, which holds the extension, stays:
 * "a-very-long-holiday-photo.jpeg" at 320 px reads "a-very-lo…-photo.jpeg".
 */
export function nameParts(name: string): { head: string; tail: string } {
  const visible = visibleName(name);
  const chars = [...visible];
  // A short name keeps at least its extension; a long one a little more, so that "…-v2.pdf" tells "…-v3.pdf" apart.
  const dot = visible.lastIndexOf('.');
  const extension = dot > 0 ? [...visible.slice(dot)].length : 0;
  const kept = chars.length > KEPT_TAIL * 2 ? KEPT_TAIL : extension <= KEPT_TAIL ? extension : 0;
  if (kept === 0) return { head: visible, tail: '' };
  return { head: chars.slice(0, -kept).join(''), tail: chars.slice(-kept).join('') };
}

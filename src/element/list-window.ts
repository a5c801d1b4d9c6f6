/** Up to this many file rows, every row is in the DOM; past it only the rows near the visible part of the list are. */
export const VIRTUALIZE_AFTER = 200;
/** Rows drawn beyond each edge of the visible part, so a fast scroll does not show blank space. */
const OVERSCAN = 10;
/** Rows drawn before the first measurement, enough to fill any list height. */
const FIRST_WINDOW = 40;

/** The slice of rows to draw, and the space the rows before and after it would take. */
export interface RowRange {
  start: number;
  end: number;
  before: number;
  after: number;
}

/**
 * Windowing for a long list of rows of one height: which rows to draw for the list's scroll position. The element
 * measures one row and the list after each render and re-renders when a scroll moves the window.
 */
export class ListWindow {
  #rowHeight = 0;
  #scrollTop = 0;
  #viewport = 0;
  #last?: RowRange & { count: number };

  /** The rows to draw out of `count`. */
  range(count: number): RowRange {
    let range: RowRange;
    if (count <= VIRTUALIZE_AFTER) range = { start: 0, end: count, before: 0, after: 0 };
    else if (this.#rowHeight === 0) range = { start: 0, end: Math.min(count, FIRST_WINDOW), before: 0, after: 0 };
    else {
      const start = Math.max(0, Math.floor(this.#scrollTop / this.#rowHeight) - OVERSCAN);
      const end = Math.min(count, Math.ceil((this.#scrollTop + this.#viewport) / this.#rowHeight) + OVERSCAN);
      range = { start, end, before: start * this.#rowHeight, after: (count - end) * this.#rowHeight };
    }
    this.#last = { ...range, count };
    return range;
  }

  /** Takes the row pitch (height plus gap) and the list's size after a render; true when the window should move. */
  measure(list: HTMLElement, rowPitch: number): boolean {
    this.#viewport = list.clientHeight;
    this.#scrollTop = list.scrollTop;
    if (rowPitch <= 0 || rowPitch === this.#rowHeight) return false;
    this.#rowHeight = rowPitch;
    return true;
  }

  /** Follows a scroll of the list; true when the visible rows come near an edge of the drawn slice. */
  scrolled(list: HTMLElement): boolean {
    this.#scrollTop = list.scrollTop;
    this.#viewport = list.clientHeight;
    const last = this.#last;
    if (!last || this.#rowHeight === 0) return false;
    // The first window is drawn before any row is measured: once one is, any scroll redraws with the real spacers.
    if (last.before === 0 && last.after === 0) return last.end < last.count;
    const first = Math.floor(this.#scrollTop / this.#rowHeight);
    const lastVisible = Math.ceil((this.#scrollTop + this.#viewport) / this.#rowHeight);
    const nearTop = last.before > 0 && first < last.start + OVERSCAN / 2;
    const nearBottom = last.after > 0 && lastVisible > last.end - OVERSCAN / 2;
    return nearTop || nearBottom;
  }
}

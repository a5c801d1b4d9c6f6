const SIZE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte', 'petabyte'] as const;

// Building an Intl.NumberFormat costs far more than using one, and rows format on every frame: build each once.
const formats = new Map<string, Intl.NumberFormat>();

function cachedFormat(key: string, build: () => Intl.NumberFormat): Intl.NumberFormat {
  let format = formats.get(key);
  if (!format) {
    format = build();
    formats.set(key, format);
  }
  return format;
}

function unitFormat(locale: string, unit: string, fractionDigits: number): Intl.NumberFormat {
  // "12 byte" is what the short form gives in English, so whole bytes use the long form ("12 bytes", "12字节").
  const unitDisplay = unit === 'byte' ? 'long' : 'short';
  return cachedFormat(`${locale}|${unit}|${fractionDigits}`, () =>
    new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay, maximumFractionDigits: fractionDigits }),
  );
}

/** Splits a byte count into a value and a decimal (SI) unit, so that the value shown never rounds up to 1000. */
function scale(bytes: number): { value: number; unit: (typeof SIZE_UNITS)[number] } {
  let index = 0;
  let value = Math.max(0, bytes);
  while (index < SIZE_UNITS.length - 1 && Math.round(value * 10) / 10 >= 1000) {
    value /= 1000;
    index++;
  }
  return { value, unit: SIZE_UNITS[index] };
}

/** Formats a byte count for people, in decimal units ("1.3 MB"). */
export function formatBytes(bytes: number, locale: string): string {
  const { value, unit } = scale(bytes);
  return unitFormat(locale, unit, unit === 'byte' ? 0 : 1).format(value);
}

/** Formats a transfer rate in bytes per second ("3.4 MB/s"). */
export function formatRate(bytesPerSecond: number, locale: string): string {
  const { value, unit } = scale(bytesPerSecond);
  return unitFormat(locale, `${unit}-per-second`, unit === 'byte' ? 0 : 1).format(value);
}

/** Formats a duration with its two largest units ("1 hr 2 min", "45 sec"); seconds are rounded up. */
export function formatDuration(seconds: number, locale: string): string {
  const total = Math.max(0, Math.ceil(seconds));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const rest = total % 60;
  const parts: [string, number][] = hours > 0 ? [['hour', hours], ['minute', minutes]] : minutes > 0 ? [['minute', minutes], ['second', rest]] : [['second', rest]];
  return parts
    .filter(([, value], index) => index === 0 || value > 0)
    .map(([unit, value]) => unitFormat(locale, unit, 0).format(value))
    .join(' ');
}

/** Formats a fraction (0..1) as a whole percentage ("42%"), rounded down so that 100% only shows when it is. */
export function formatPercent(fraction: number, locale: string): string {
  return cachedFormat(`${locale}|percent`, () => new Intl.NumberFormat(locale, { style: 'percent' })).format(percentOf(fraction) / 100);
}

/** A fraction (0..1) as a whole number of percent, rounded down and clamped to 0..100. */
export function percentOf(fraction: number): number {
  return Number.isFinite(fraction) ? Math.min(100, Math.max(0, Math.floor(fraction * 100))) : 0;
}

/** Formats a count with the language's grouping ("1,000"). */
export function formatCount(count: number, locale: string): string {
  return cachedFormat(`${locale}|count`, () => new Intl.NumberFormat(locale)).format(count);
}

/**
 * Colours: the Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008), safe for the
 * common forms of colour blindness. Series that differ only by statistic (p50 vs p99) share a
 * colour and differ by dash, so colour is never the only cue.
 */
export const OKABE_ITO = {
  blue: '#0072B2',
  orange: '#E69F00',
  green: '#009E73',
  vermillion: '#D55E00',
  sky: '#56B4E9',
  purple: '#CC79A7',
  black: '#000000',
  yellow: '#F0E442',
} as const;

/** The order colours are handed out in: yellow last (weak on white). */
export const SERIES_COLORS: readonly string[] = [
  OKABE_ITO.blue,
  OKABE_ITO.orange,
  OKABE_ITO.green,
  OKABE_ITO.vermillion,
  OKABE_ITO.sky,
  OKABE_ITO.purple,
  OKABE_ITO.black,
  OKABE_ITO.yellow,
];

/** The i-th series colour, cycling. */
export function colorAt(i: number): string {
  return SERIES_COLORS[i % SERIES_COLORS.length]!;
}

/** Dash for p50 lines beside solid p99 lines. */
export const P50_DASH = '5 3';

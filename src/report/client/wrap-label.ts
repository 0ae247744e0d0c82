/**
 * Wraps a long label (a policy entry such as `least-outstanding+concurrency-limit(limit=60)`)
 * onto a few lines at its natural breaks, so a chart can show it whole instead of cutting it.
 * Pure: the caller passes how wide a string draws.
 *
 * Example (6 px per character, 120 px):
 *   wrapLabel('least-outstanding+concurrency-limit(limit=60)', (s) => 6 * s.length, 120, 3)
 *   = { lines: ['least-outstanding+', 'concurrency-limit', '(limit=60)'], cut: false }
 */

/** The label in pieces at the places a line may break: after `+ , - /` or a space, before `(`. */
export function labelPieces(label: string): string[] {
  return label.split(/(?<=[+,\-/ ])|(?=\()/).filter((p) => p.length > 0);
}

export interface Wrapped {
  lines: string[];
  /** Lines were dropped and the last one ends with an ellipsis (the caller adds a tooltip). */
  cut: boolean;
}

/**
 * Fills lines of at most `maxWidth` with whole pieces; a piece wider than a line is split by
 * characters. More than `maxLines` lines: the last one kept ends with an ellipsis.
 */
export function wrapLabel(
  label: string,
  width: (s: string) => number,
  maxWidth: number,
  maxLines: number,
): Wrapped {
  const lines: string[] = [];
  let line = '';
  const push = (piece: string) => {
    if (line === '' || width(line + piece) <= maxWidth) line += piece;
    else {
      lines.push(line);
      line = piece;
    }
  };
  for (const piece of labelPieces(label)) {
    if (width(piece) <= maxWidth) push(piece);
    else for (const ch of piece) push(ch);
  }
  if (line !== '') lines.push(line);
  if (lines.length <= maxLines) return { lines, cut: false };
  const kept = lines.slice(0, maxLines);
  let last = kept[maxLines - 1]!;
  while (last.length > 1 && width(`${last}…`) > maxWidth) last = last.slice(0, -1);
  kept[maxLines - 1] = `${last}…`;
  return { lines: kept, cut: true };
}

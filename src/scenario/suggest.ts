import { distance } from 'fastest-levenshtein';

/** The closest candidate to `word` within a small edit distance, for "did you mean ...?" hints. */
export function nearestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  const lower = word.toLowerCase();
  // A name cut short (`h100` for `h100-80gb`) is nearer than any edit distance says.
  const extensions = candidates.filter((c) => c.toLowerCase().startsWith(lower));
  if (lower.length >= 3 && extensions.length === 1) return extensions[0];
  for (const candidate of candidates) {
    const d = distance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= limit ? best : undefined;
}

/** `" (did you mean 'rateLimit'?)"` or an empty string. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const near = nearestName(word, candidates);
  return near ? ` (did you mean '${near}'?)` : '';
}

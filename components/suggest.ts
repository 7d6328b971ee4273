/**
 * "Did you mean …" for config errors: the candidates closest to a misspelled word, by edit
 * distance (Damerau–Levenshtein, optimal string alignment: a swapped pair of letters counts once).
 */

export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[rows - 1][cols - 1];
}

/** How far a typo may be from what was meant: a third of the word, at least 1, at most 3. */
export const typoBudget = (word: string) => Math.min(3, Math.max(1, Math.floor(word.length / 3)));

/**
 * Up to `limit` candidates within `maxDistance` edits of `word`, closest first (ties keep the
 * candidates' order). Compared case-insensitively.
 */
export function closest(word: string, candidates: readonly string[], limit = 3, maxDistance = typoBudget(word)): string[] {
  const lower = word.toLowerCase();
  return candidates
    .map((candidate, index) => ({ candidate, index, distance: editDistance(lower, candidate.toLowerCase()) }))
    .filter((c) => c.distance <= maxDistance)
    .sort((x, y) => x.distance - y.distance || x.index - y.index)
    .slice(0, limit)
    .map((c) => c.candidate);
}

/** ` Did you mean a, b or c?` or nothing. */
export function didYouMean(suggestions: readonly string[]): string {
  if (suggestions.length === 0) return "";
  const list =
    suggestions.length === 1 ? suggestions[0] : `${suggestions.slice(0, -1).join(", ")} or ${suggestions[suggestions.length - 1]}`;
  return ` Did you mean ${list}?`;
}

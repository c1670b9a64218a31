// "did you mean": the closest allowed key to a misspelt one, by case-insensitive match first, then unique
// prefix, then
// by edit distance (at most a third of the word, so unrelated keys are not suggested).

export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase()
  const same = candidates.find((c) => c.toLowerCase() === lower)
  if (same) return same
  // an abbreviation ("proto" for "protocol") is as good a hint as a typo
  const prefixed = candidates.filter((c) => lower.length >= 3 && c.toLowerCase().startsWith(lower))
  if (prefixed.length === 1) return prefixed[0]
  let best: string | undefined
  let bestDist = Math.max(1, Math.floor(word.length / 3)) + 1
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase())
    if (d < bestDist) {
      best = c
      bestDist = d
    }
  }
  return best
}

/** Levenshtein distance. */
export function distance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length]
}

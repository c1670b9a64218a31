/**
 * Runs `fn` over `items` with at most `limit` at once; results keep the input order.
 * Once `stop()` is true no new item starts; those get `skipped(item)`.
 */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, stop?: {stop: () => boolean; skipped: (item: T) => R}): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      if (stop?.stop()) {
        const i = next++
        results[i] = stop.skipped(items[i]!)
        continue
      }
      const i = next++
      results[i] = await fn(items[i]!, i)
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(limit, items.length))}, worker))
  return results
}

/** Values read from a benchmark gateway's `/metrics` (Prometheus text format). */

/** The sum of a metric's samples over all its label sets (`name 3`, `name{store="s1"} 2`, …). */
export function metricSum(text: string, name: string): number {
  let sum = 0
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}

export async function scrapeMetrics(httpUrl: string): Promise<string> {
  const res = await fetch(`${httpUrl}/metrics`)
  if (res.status !== 200) throw new Error(`GET ${httpUrl}/metrics: ${res.status}`)
  return res.text()
}

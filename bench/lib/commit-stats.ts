/**
 * Group-commit behaviour during a round, read from the gateway's own /metrics: how many
 * commits, how many rows each, how long each took. It tells whether a round was bound by
 * commit latency (few rows per commit, long commits) or by work before the commit.
 */
import http from 'node:http'

export interface CommitTotals { commits: number; seconds: number; rows: number }

function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `))
  return line === undefined ? 0 : Number(line.slice(name.length + 1))
}

/**
 * A fresh connection per scrape (`agent: false`): a kept-alive socket idle between rounds can
 * be closed by the server just as it is reused.
 */
function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`GET ${url}: ${res.statusCode}`))))
    }).on('error', reject)
  })
}

export async function readCommitTotals(httpUrl: string): Promise<CommitTotals> {
  const text = await get(`${httpUrl}/metrics`)
  return {
    commits: sample(text, 'pulsegate_store_commit_duration_seconds_count'),
    seconds: sample(text, 'pulsegate_store_commit_duration_seconds_sum'),
    rows: sample(text, 'pulsegate_store_commit_rows_sum')
  }
}

/** Starts counting; the returned function reads again and describes the difference. */
export async function startCommitMeter(httpUrl: string): Promise<() => Promise<string>> {
  const before = await readCommitTotals(httpUrl)
  return async () => {
    const after = await readCommitTotals(httpUrl)
    const commits = after.commits - before.commits
    if (commits === 0) return 'no commits'
    const rows = after.rows - before.rows
    const ms = ((after.seconds - before.seconds) * 1000) / commits
    return `${commits} commits, ${Math.round(rows / commits)} rows and ${ms.toFixed(1)} ms each`
  }
}

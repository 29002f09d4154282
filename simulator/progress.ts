import type { SimDevice } from './device.js'

export interface ProgressSource {
  startedAt: number
  durationS: number
  devices: SimDevice[]
  counts: Record<string, number>
  activeFaults(): number
}

/** `12s/60s  devices 5/6 connected  heartbeats 60 sent 58 acked  events 4/4  app 10/9  faults 1 active` */
export function progressLine(p: ProgressSource, now = Date.now()): string {
  const c = (key: string): number => p.counts[key] ?? 0
  const connected = p.devices.filter((d) => d.connected).length
  return [
    `${Math.round((now - p.startedAt) / 1000)}s/${p.durationS}s`,
    `devices ${connected}/${p.devices.length} connected`,
    `heartbeats ${c('sent.heartbeat')} sent ${c('ack.heartbeat')} acked`,
    `events ${c('sent.event')} sent ${c('ack.event')} acked`,
    ...(c('sent.app') > 0 ? [`app ${c('sent.app')} sent ${c('ack.app')} answered`] : []),
    `faults ${p.activeFaults()} active`
  ].join('  ')
}

/**
 * The live progress line: rewritten in place on a TTY (every second), a plain line every
 * `everyMs` otherwise (CI logs, a pipe). Returns the function that stops it.
 */
export function startProgress(out: NodeJS.WriteStream | NodeJS.WritableStream, source: ProgressSource, everyMs: number): () => void {
  const tty = 'isTTY' in out && out.isTTY === true
  const timer = setInterval(() => out.write(tty ? `\r\x1b[2K${progressLine(source)}` : `${progressLine(source)}\n`), tty ? 1000 : everyMs)
  timer.unref()
  return () => {
    clearInterval(timer)
    out.write(tty ? `\r\x1b[2K${progressLine(source)}\n` : `${progressLine(source)}\n`)
  }
}

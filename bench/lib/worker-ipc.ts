/**
 * Load-generator workers are separate Node processes (`node --import tsx bench/…-worker.ts`)
 * talking over the fork IPC channel, one request at a time: the parent asks, the worker
 * answers once. Separate processes keep 1,000 MQTT clients off the parent's event loop and
 * spread their sockets under the per-process open-file limit.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { killOnExit } from './main.js'

export interface WorkerError { type: 'error'; message: string }

export interface Worker<Req, Res> {
  pid: number
  request(msg: Req): Promise<Res>
  /** Disconnects the IPC channel (the worker exits on it) and waits for the exit. */
  close(): Promise<void>
}

export function forkWorker<Req, Res>(file: URL, name: string): Worker<Req, Res> {
  const child: ChildProcess = fork(file, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const forget = killOnExit(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    pid: child.pid ?? 0,
    request: (msg) => new Promise<Res>((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`worker ${name} exited (${code}) during ${JSON.stringify(msg).slice(0, 80)}`))
      child.once('exit', onExit)
      child.once('message', (reply: Res | WorkerError) => {
        child.off('exit', onExit)
        const err = reply as WorkerError
        if (err.type === 'error') reject(new Error(`worker ${name}: ${err.message}`))
        else resolve(reply as Res)
      })
      child.send(msg as object)
    }),
    async close() {
      if (child.connected) child.disconnect()
      await exited
      forget()
    }
  }
}

/**
 * The worker side: answers each request with `handle`'s result (or its error), and exits
 * when the parent goes away, so no worker outlives a crashed run.
 */
export function serveWorker<Req, Res>(handle: (msg: Req) => Promise<Res>): void {
  process.on('disconnect', () => process.exit(0))
  process.on('message', (msg: Req) => {
    handle(msg).then(
      (reply) => process.send?.(reply),
      (err: unknown) => process.send?.({ type: 'error', message: (err as Error)?.stack ?? String(err) } satisfies WorkerError)
    )
  })
}

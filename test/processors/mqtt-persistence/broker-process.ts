/**
 * A broker in a process of its own, for tests that kill it: `node --import tsx
 * broker-process.ts <data dir>` prints the broker's URL, then `routed <topic>` for each
 * publish aedes has finished routing (retained message stored, persistent subscribers'
 * copies queued), and serves until killed.
 */
import { startBroker } from './broker-harness.js'

const dataDir = process.argv[2]
if (dataDir === undefined) throw new Error('usage: broker-process.ts <data dir>')
const running = await startBroker(dataDir)
running.broker.on('publish', (packet) => {
  if (!packet.topic.startsWith('$SYS/')) process.stdout.write(`routed ${packet.topic}\n`)
})
process.stdout.write(`${running.url}\n`)

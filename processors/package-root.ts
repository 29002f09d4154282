import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The directory holding PulseGate's package.json, whether this module runs from source
 * (tests, tsx) or from `dist/` (npm start): shipped files such as the default tracking plan
 * are found from here.
 */
export function packageRoot(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    if (up === dir) throw new Error('package.json not found above ' + fileURLToPath(from))
    dir = up
  }
  return dir
}

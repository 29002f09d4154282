import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { packageRoot } from '../../processors/package-root.js'

const run = promisify(execFile)

describe('npx pulsegate, as the README runs it', () => {
  it('runs the built command from the project directory (the build leaves it executable)', async () => {
    const { stdout } = await run('npx', ['--no-install', 'pulsegate', 'help'], { cwd: packageRoot() })
    expect(stdout).toMatch(/^Usage: pulsegate <command>/)
    expect(stdout).toContain('mqtt-accounts create|list|revoke')
  })
})

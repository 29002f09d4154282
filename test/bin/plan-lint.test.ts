import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { planLint } from '../../bin/commands/plan-lint.js'
import { DEFAULT_PLAN_PATH } from '../../processors/plan/compile.js'
import { packageRoot } from '../../processors/package-root.js'
import { fixtureDir } from '../support/helpers.js'

const PLANS = join(packageRoot(), 'test', 'fixtures', 'plans')
const USAGE = 'Usage: pulsegate plan lint <plan.yaml | directory of plan versions>\n'

const cleanup: Array<() => void> = []
afterAll(() => cleanup.forEach((remove) => remove()))
function planDir(files: Record<string, string>): string {
  const fixtures = fixtureDir('pulsegate-lint-')
  cleanup.push(fixtures.remove)
  for (const [name, text] of Object.entries(files)) fixtures.write(name, text)
  return fixtures.dir
}

/** Runs the command as the CLI would, with what it printed. */
async function lint(...args: string[]): Promise<{ code: number; lines: string[] }> {
  let text = ''
  const out = new Writable({ write(chunk: Buffer, _encoding, done) { text += chunk.toString(); done() } })
  const code = await planLint(args, out)
  return { code, lines: text.split('\n').slice(0, -1) }
}

describe('pulsegate plan lint', () => {
  it('passes the shipped default plan', async () => {
    expect(await lint(DEFAULT_PLAN_PATH)).toEqual({ code: 0, lines: ['0 errors, 0 warnings in 1 file'] })
  })

  it('passes a directory of plan versions', async () => {
    expect(await lint(join(PLANS, 'versions'))).toEqual({ code: 0, lines: ['0 errors, 0 warnings in 2 files'] })
  })

  it('reports every problem of a broken plan, one positioned line each, and exits 1', async () => {
    const file = join(PLANS, 'lint', 'broken.yaml')
    const privacy = 'privacy rule must be one of phone, id_number, address, secret, hash, not'
    expect(await lint(file)).toEqual({
      code: 1,
      lines: [
        `${file}:6:3  error  privacy.phone  ${privacy} "mask"`,
        `${file}:12:5  error  order_created  idempotency_key "order_no" is neither a declared property nor one of user_id, session_id, store_id, device_id`,
        `${file}:15:32  error  order_created.amount  unit must be minor, not "cents"`,
        `${file}:16:31  error  order_created.status  enum lists "open" more than once`,
        `${file}:18:3  error  order_paid  has no description`,
        `${file}:19:5  warning  order_paid  idempotency_key payment_id is not required: events without it fall back to a derived id`,
        `${file}:22:7  warning  order_paid.price  looks like money but has no unit: minor (an integer of minor units, 4500 = 45.00)`,
        `${file}:23:30  error  order_paid.phone  ${privacy} "mobile"`,
        `${file}:24:7  error  order_paid.note  has no type`,
        `${file}:28:5  warning  refund  required lists refund_id, but an event's required list is not read: mark the property required: true`,
        `${file}:28:5  error  refund  required property reason is not declared`,
        `${file}:31:38  error  refund.refund_amount  unit: minor needs type: integer (minor units are whole)`,
        `${file}:36:9  error  refund.shipping  required property zip is not declared`,
        `${file}:38:3  error  9lives  the name must match /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/: normalize refuses any other`,
        '11 errors, 3 warnings in 1 file'
      ]
    })
  })

  it('exits 0 when only warnings remain', async () => {
    const dir = planDir({ 'shop.yaml': 'version: "1.0"\nunplanned: reject\nevents:\n  order:\n    description: "Order"\n    properties:\n      service_fee: { type: integer }\n' })
    expect(await lint(join(dir, 'shop.yaml'))).toEqual({
      code: 0,
      lines: [`${join(dir, 'shop.yaml')}:7:7  warning  order.service_fee  looks like money but has no unit: minor (an integer of minor units, 4500 = 45.00)`, '0 errors, 1 warning in 1 file']
    })
  })

  it('points at YAML syntax errors and ajv schema errors', async () => {
    const dir = planDir({
      'a.yaml': 'version: "1.0"\nunplanned: reject\nevents:\n  a: { description: "x" }\n  a: { description: "y" }\n',
      'b.yaml': 'version: "2.0"\nunplanned: reject\nevents:\n  b:\n    description: "b"\n    properties:\n      m: { type: string, maxlength: 3 }\n'
    })
    expect(await lint(dir)).toEqual({
      code: 1,
      lines: [
        `${join(dir, 'a.yaml')}:5:3  error  (plan)  Map keys must be unique`,
        `${join(dir, 'b.yaml')}:4:3  error  b  strict mode: unknown keyword: "maxlength"`,
        '2 errors, 0 warnings in 2 files'
      ]
    })
  })

  it('reports what loading the directory would refuse (a version twice, one not major.minor) and warns of an unquoted version', async () => {
    const plan = (version: string) => `# plan\nversion: ${version}\nunplanned: reject\nevents: {}\n`
    const dir = planDir({ 'a.yaml': plan('"1.0"'), 'b.yaml': plan('"v1.0.1"'), 'c.yaml': plan('next'), 'd.yaml': plan('1.10') })
    expect(await lint(dir)).toEqual({
      code: 1,
      lines: [
        `${join(dir, 'b.yaml')}:2:1  error  (plan)  version 1.0 is also declared by ${join(dir, 'a.yaml')}`,
        `${join(dir, 'c.yaml')}:2:1  error  (plan)  version "next" is not major.minor, such as "1.0"`,
        `${join(dir, 'd.yaml')}:2:1  warning  (plan)  version is the number 1.1: quote it, or 1.10 reads as 1.1`,
        '2 errors, 1 warning in 4 files'
      ]
    })
  })

  it('reports the plan-wide shape problems at the top of the file', async () => {
    const dir = planDir({ 'p.yaml': '# nothing but a name\nname: shop\n' })
    expect(await lint(join(dir, 'p.yaml'))).toEqual({
      code: 1,
      lines: [
        `${join(dir, 'p.yaml')}:2:1  error  (plan)  version is missing`,
        `${join(dir, 'p.yaml')}:2:1  error  (plan)  unplanned must be reject or accept`,
        `${join(dir, 'p.yaml')}:2:1  error  (plan)  events must be a mapping`,
        '3 errors, 0 warnings in 1 file'
      ]
    })
  })

  it.each([[[]], [['a.yaml', 'b.yaml']], [['--help']]])('prints the usage and exits 2 for arguments %j', async (args) => {
    expect(await lint(...args)).toEqual({ code: 2, lines: [USAGE.trimEnd()] })
  })

  it('exits 2 for a path that does not exist or a directory without plans', async () => {
    const empty = planDir({})
    expect(await lint(join(empty, 'absent.yaml')))
      .toEqual({ code: 2, lines: [`pulsegate plan lint: ${join(empty, 'absent.yaml')}: no such file or directory`] })
    expect(await lint(empty))
      .toEqual({ code: 2, lines: [`pulsegate plan lint: The tracking plan is invalid: ${empty}: the directory holds no .yaml or .yml file`] })
  })
})

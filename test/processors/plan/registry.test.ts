import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { fixtureDir, thrown } from '../../support/helpers.js'
import { compilePlan } from '../../../processors/plan/compile.js'
import { loadPlans, planSetOf, type PlanSet } from '../../../processors/plan/registry.js'
import { packageRoot } from '../../../processors/package-root.js'
import { processOne } from '../../../processors/pipeline/pipeline.js'
import { context, EVENT_TIME_ISO } from '../pipeline/fixtures.js'

/** test/fixtures/plans/versions: v1.0.yaml and v1.1.yaml, which adds payment_success.coupon_code and table_transfer. */
const VERSIONS = join(packageRoot(), 'test', 'fixtures', 'plans', 'versions')

const cleanup: Array<() => void> = []
afterAll(() => cleanup.forEach((remove) => remove()))
/** A temp directory holding the given files. */
function planDir(files: Record<string, string>): string {
  const fixtures = fixtureDir('pulsegate-plans-')
  cleanup.push(fixtures.remove)
  for (const [name, text] of Object.entries(files)) fixtures.write(name, text)
  return fixtures.dir
}
const planText = (version: string) => `version: ${JSON.stringify(version)}\nunplanned: reject\nevents: {}\n`
const planOf = (version: string) => compilePlan({ version, unplanned: 'reject', events: {} })
const unsupported = (shown: string, known: string) =>
  ({ rejection: { code: 'unsupported_schema_version', path: '/schema_version', message: `schema_version ${shown} is not supported; known versions: ${known}` } })

describe('loadPlans: files and directories', () => {
  it('loads every version of a directory, keyed by major.minor, the highest as latest', () => {
    const set = loadPlans(VERSIONS)
    expect([...set.versions.keys()]).toEqual(['1.0', '1.1'])
    expect(set.latest).toBe(set.versions.get('1.1'))
    expect([...set.latest.events.keys()]).toEqual(['qr_scan', 'payment_success', 'table_transfer'])
  })

  it('loads a single file as a set of one: the shipped default plan, 1.0, when no path is given', () => {
    const set = loadPlans()
    expect([[...set.versions.keys()], set.latest.version, set.latest.events.has('qr_scan')]).toEqual([['1.0'], '1.0', true])
  })

  it('keys a version by major.minor whatever its spelling, and skips files that are not YAML or are hidden', () => {
    const dir = planDir({ 'a.yml': planText('v2.3.1'), 'b.yaml': planText('1'), 'README.md': '# not a plan', '.c.yaml': 'broken: [' })
    expect([...loadPlans(dir).versions.keys()]).toEqual(['1.0', '2.3'])
  })

  it('refuses two files of one version, naming both', () => {
    const dir = planDir({ 'a.yaml': planText('1.0'), 'b.yaml': planText('v1.0.2') })
    expect(thrown(() => loadPlans(dir)).message)
      .toBe(`The tracking plan is invalid: ${join(dir, 'a.yaml')} and ${join(dir, 'b.yaml')} both declare version 1.0`)
  })

  it('reports the problems of every file together, in one PG_ERR_PLAN_INVALID', () => {
    const dir = planDir({
      'a.yaml': 'unplanned: reject\nevents: {}\n', 'b.yaml': planText('1.0'), 'c.yaml': 'version: [\n',
      'd.yaml': planText('next'), 'e.yaml': planText('1.0')
    })
    const err = thrown(() => loadPlans(dir))
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((n) => join(dir, `${n}.yaml`))
    expect(err.code).toBe('PG_ERR_PLAN_INVALID')
    expect(err.message.split('; ')).toEqual([
      `The tracking plan is invalid: ${a}: version is missing`,
      expect.stringMatching(new RegExp(`^${c}: `)),
      `${d}: version "next" is not major.minor, such as "1.0"`,
      `${b} and ${e} both declare version 1.0`
    ])
  })

  it('refuses a directory without plans, and reports a missing path as loadPlan does', () => {
    const empty = planDir({ 'notes.txt': '' })
    expect(thrown(() => loadPlans(empty)).message).toBe(`The tracking plan is invalid: ${empty}: the directory holds no .yaml or .yml file`)
    const absent = join(empty, 'absent.yaml')
    expect(thrown(() => loadPlans(absent)).message).toBe(`The tracking plan is invalid: ${absent}: ENOENT: no such file or directory, open '${absent}'`)
  })
})

describe('PlanSet.select: the plan of a declared schema_version', () => {
  const set = loadPlans(VERSIONS)
  const [v10, v11] = [set.versions.get('1.0'), set.versions.get('1.1')]

  it('gives the latest plan when no schema_version is declared', () => {
    expect(set.select(null)).toEqual({ plan: v11 })
  })

  it.each([['v1.0', '1.0'], ['1.0', '1.0'], ['V1.0', '1.0'], ['1.0.3', '1.0'], ['1', '1.0'], ['v1.1', '1.1'], ['1.1.12', '1.1']])(
    'reads %s as %s (patch ignored, a bare major as .0)', (declared, version) => {
      expect(set.select(declared)).toEqual({ plan: set.versions.get(version) })
    })

  it('gives an unknown minor above every known one the highest minor of its major, flagged', () => {
    expect(set.select('v1.7')).toEqual({ plan: v11, flag: 'schema_version_unknown' })
    expect(v10).not.toBe(v11)
  })

  it('gives an unknown minor below a known one the lowest known minor above it, flagged', () => {
    const sparse: PlanSet = planSetOf([planOf('1.4'), planOf('2.0'), planOf('1.2')])
    expect([...sparse.versions.keys()]).toEqual(['1.2', '1.4', '2.0'])
    expect(sparse.select('1.0')).toEqual({ plan: sparse.versions.get('1.2'), flag: 'schema_version_unknown' })
    expect(sparse.select('1.3')).toEqual({ plan: sparse.versions.get('1.4'), flag: 'schema_version_unknown' })
    expect(sparse.select('1.9')).toEqual({ plan: sparse.versions.get('1.4'), flag: 'schema_version_unknown' })
    expect(sparse.select('2.1')).toEqual({ plan: sparse.versions.get('2.0'), flag: 'schema_version_unknown' })
  })

  it.each([['2.0', '"2.0"'], ['v0.9', '"v0.9"'], ['latest', '"latest"'], ['', '""'], ['1.0-beta', '"1.0-beta"'], ['1.0.0.0', '"1.0.0.0"'], ['1.x', '"1.x"']])(
    'refuses %s as an unknown major or unparseable, listing the known versions', (declared, shown) => {
      expect(set.select(declared)).toEqual(unsupported(shown, '1.0, 1.1'))
    })

  it('shows at most 64 characters of what the client sent', () => {
    expect(set.select('x'.repeat(500))).toEqual(unsupported(JSON.stringify('x'.repeat(64)), '1.0, 1.1'))
  })
})

describe('validation against the declared version', () => {
  const set = loadPlans(VERSIONS)
  function processAs(schemaVersion: string | null, eventName: string, properties: Record<string, unknown>) {
    const selected = set.select(schemaVersion)
    if (!('plan' in selected)) throw new Error(`no plan for ${String(schemaVersion)}`)
    return processOne({ event_name: eventName, event_time: EVENT_TIME_ISO, event_id: 'e1', properties }, context({ schemaVersion, plan: selected.plan }))
  }
  const payment = { payment_id: 'p1', amount: 4500, coupon_code: 'SPRING' }

  it('accepts a property 1.1 added when the event declares 1.1, and refuses it under 1.0', () => {
    expect(processAs('1.1', 'payment_success', payment)).toMatchObject({ ok: true, event: { schemaVersion: '1.1', properties: payment } })
    expect(processAs('v1.0', 'payment_success', payment)).toEqual({
      ok: false, rejection: { code: 'additional_property', path: '/properties/coupon_code', message: 'coupon_code is not in the tracking plan' }
    })
  })

  it('knows an event 1.1 added only under 1.1 and the latest', () => {
    const transfer = { from_table: 'T1', to_table: 'T2' }
    expect([processAs('1.1', 'table_transfer', transfer).ok, processAs(null, 'table_transfer', transfer).ok]).toEqual([true, true])
    expect(processAs('1.0', 'table_transfer', transfer)).toEqual({
      ok: false, rejection: { code: 'unplanned_event', path: '/event_name', message: 'table_transfer is not in the tracking plan' }
    })
  })
})

describe('planSetOf', () => {
  it('refuses plans whose versions are not distinct major.minor, or none', () => {
    expect(thrown(() => planSetOf([planOf('1.0'), planOf('v1.0'), planOf('test-1')])).message)
      .toBe('The tracking plan is invalid: plan 1.0 and plan v1.0 both declare version 1.0; plan test-1: version "test-1" is not major.minor, such as "1.0"')
    expect(thrown(() => planSetOf([])).message).toBe('The tracking plan is invalid: no plan given')
  })
})

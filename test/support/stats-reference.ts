/**
 * An independent model of the default catalog's figures, for the statistics tests: plain loops
 * over the events that should be stored, local days from Intl, no SQL and no code of
 * processors/stats. What it computes is SPEC §8 read literally; where the catalog says more
 * (the 99.9th-percentile cut of visit durations, the 24 h windows), it follows the catalog.
 */
export interface RefEvent {
  id: string
  name: string
  at: number
  user: string | null
  session: string | null
  channel: string | null
  deviceType: string | null
  props: Record<string, unknown>
}

const DAY_S = 86_400
const WINDOW_MS = 86_400_000

export class StatsReference {
  readonly #events: RefEvent[]
  readonly #dayOf: (ms: number) => string
  readonly #firstSeen = new Map<string, number>()

  constructor(events: RefEvent[], timeZone: string) {
    this.#events = [...events].sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : 1))
    const fmt = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
    this.#dayOf = (ms) => fmt.format(ms)
    for (const e of this.#events) if (e.user !== null && !this.#firstSeen.has(e.user)) this.#firstSeen.set(e.user, e.at)
  }

  dayOf(ms: number): string { return this.#dayOf(ms) }

  #in(days: ReadonlySet<string>, name: string, where: (e: RefEvent) => boolean = () => true): RefEvent[] {
    return this.#events.filter((e) => e.name === name && days.has(this.#dayOf(e.at)) && where(e))
  }

  #userType(e: RefEvent): string {
    const first = e.user === null ? undefined : this.#firstSeen.get(e.user)
    return first === undefined ? 'unknown' : this.#dayOf(first) === this.#dayOf(e.at) ? 'new' : 'returning'
  }

  #dim(e: RefEvent, dims: Record<string, string>): boolean {
    return Object.entries(dims).every(([k, v]) => (k === 'channel' ? (e.channel ?? 'unknown') === v : k === 'device_type' ? (e.deviceType ?? 'unknown') === v : k === 'user_type' ? this.#userType(e) === v : false))
  }

  /** A figure of metric `name` over the local days `days` (one day, a week or a month), for `all` or one dimension value. */
  figure(name: string, days: readonly string[], dims: Record<string, string> = {}): number | null {
    const set = new Set(days)
    const d = (e: RefEvent): boolean => this.#dim(e, dims)
    const sum = (list: RefEvent[]): number => list.reduce((s, e) => s + (e.props.amount as number), 0)
    const okStatus = (e: RefEvent): boolean => e.props.status === undefined || e.props.status === 'success'
    const member = (e: RefEvent): boolean => e.props.service_type === undefined || e.props.service_type === 'member'
    switch (name) {
      case 'pv': return this.#in(set, 'page_view', d).length
      case 'uv': return new Set(this.#in(set, 'page_view', d).map((e) => e.user)).size
      case 'scans': return this.#in(set, 'qr_scan', d).length
      case 'visit_seconds': return this.#visitSeconds(set, d)
      case 'av': {
        const uv = this.figure('uv', days, dims) as number
        return uv === 0 ? null : round6(this.#visitSeconds(set, d) / uv)
      }
      case 'real_name': return this.#firsts('real_name_verified', set, d)
      case 'card_binding': return this.#firsts('card_bound', set, d)
      case 'new_members': return this.#firsts('member_purchase', set, d)
      case 'member_deduction_day': return sum(this.#in(set, 'member_deduction', (e) => okStatus(e) && member(e) && d(e)))
      case 'member_refund_day': return sum(this.#in(set, 'refund', (e) => member(e) && d(e)))
      case 'deduction_day': return sum(this.#in(set, 'member_deduction', (e) => okStatus(e) && d(e)))
      case 'refund_day': return sum(this.#in(set, 'refund', d))
      case 'reservations': return this.#in(set, 'reservation_create', d).length
      case 'reservations_converted': return this.#in(set, 'reservation_create', d).filter((r) => this.#next(r, 'session_start', (b) => b.props.reservation_id === r.props.reservation_id) !== undefined).length
      case 'reservation_conversion': {
        const all = this.figure('reservations', days, dims) as number
        return all === 0 ? null : round6((this.figure('reservations_converted', days, dims) as number) / all)
      }
      case 'played_minutes': return this.#in(set, 'session_start', (e) => e.session !== null && d(e)).reduce((s, e) => {
        const end = this.#next(e, 'session_end_request', (b) => b.session === e.session)
        return end === undefined ? s : s + (end.at - e.at) / 60_000
      }, 0)
      default: throw new Error(`the reference has no model of ${name}`)
    }
  }

  /** Running totals: the day figures of `plus` less `minus` over every day up to `lastDay`. */
  cumulative(name: string, lastDay: string): number {
    const [plus, minus] = name === 'member_deduction_history' ? ['member_deduction_day', 'member_refund_day'] : name === 'total_deduction' ? ['deduction_day', 'refund_day'] : ['', '']
    if (plus === '') throw new Error(`the reference has no model of ${name}`)
    const days = [...new Set(this.#events.map((e) => this.#dayOf(e.at)))].filter((x) => x <= lastDay)
    return (this.figure(plus, days) as number) - (this.figure(minus, days) as number)
  }

  #next(a: RefEvent, name: string, match: (b: RefEvent) => boolean): RefEvent | undefined {
    return this.#events.find((b) => b.name === name && b.at >= a.at && b.at <= a.at + WINDOW_MS && match(b))
  }

  /** Identities whose first `name` event ever lies in `days`. */
  #firsts(name: string, days: ReadonlySet<string>, d: (e: RefEvent) => boolean): number {
    const first = new Map<string, RefEvent>()
    for (const e of this.#events) if (e.name === name && e.user !== null && !first.has(e.user)) first.set(e.user, e)
    return [...first.values()].filter((e) => days.has(this.#dayOf(e.at)) && d(e)).length
  }

  /** Visit durations of the page views in `days` (SPEC §8), cut at their 99.9th percentile. */
  #visitSeconds(days: ReadonlySet<string>, d: (e: RefEvent) => boolean): number {
    const all: Array<{ e: RefEvent; s: number }> = []
    const bySession = new Map<string, RefEvent[]>()
    for (const e of this.#events) {
      if ((e.name !== 'page_view' && e.name !== 'page_leave') || e.session === null) continue
      bySession.set(e.session, [...(bySession.get(e.session) ?? []), e])
    }
    for (const list of bySession.values()) {
      list.forEach((e, i) => {
        if (e.name !== 'page_view' || !days.has(this.#dayOf(e.at))) return
        const next = list[i + 1]
        let raw: number | undefined
        if (next?.name === 'page_leave' && typeof next.props.duration === 'number') raw = next.props.duration
        else if (next?.name === 'page_view') raw = (next.at - e.at) / 1000
        if (raw !== undefined) all.push({ e, s: Math.min(Math.max(raw, 1), DAY_S) })
      })
    }
    if (all.length === 0) return 0
    const sorted = all.map((x) => x.s).sort((a, b) => a - b)
    const pos = 0.999 * (sorted.length - 1)
    const lo = Math.floor(pos)
    const cut = (sorted[lo] as number) + ((sorted[Math.ceil(pos)] as number) - (sorted[lo] as number)) * (pos - lo)
    return all.filter((x) => x.s <= cut && d(x.e)).reduce((s, x) => s + x.s, 0)
  }
}

const round6 = (v: number): number => Math.round(v * 1e6) / 1e6

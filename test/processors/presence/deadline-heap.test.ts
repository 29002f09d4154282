import { describe, expect, it } from 'vitest'
import { random } from '../../support/helpers.js'
import { DeadlineHeap, type Deadline } from '../../../processors/presence/deadline-heap.js'

function drain(heap: DeadlineHeap): Deadline[] {
  const out: Deadline[] = []
  for (let d = heap.pop(); d !== undefined; d = heap.pop()) out.push(d)
  return out
}

describe('DeadlineHeap', () => {
  it('is empty at first', () => {
    const heap = new DeadlineHeap()
    expect([heap.size, heap.peek(), heap.pop(), heap.size]).toEqual([0, undefined, undefined, 0])
  })

  it('holds one item', () => {
    const heap = new DeadlineHeap()
    heap.push({ at: 5, id: 'a' })
    expect([heap.size, heap.peek()]).toEqual([1, { at: 5, id: 'a' }])
    expect(heap.pop()).toEqual({ at: 5, id: 'a' })
    expect([heap.size, heap.peek(), heap.pop()]).toEqual([0, undefined, undefined])
  })

  it('pops the earliest deadline first', () => {
    const heap = new DeadlineHeap()
    for (const [at, id] of [[30, 'c'], [10, 'a'], [50, 'e'], [20, 'b'], [40, 'd']] as const) heap.push({ at, id })
    expect(heap.peek()).toEqual({ at: 10, id: 'a' })
    expect(heap.size).toBe(5)
    expect(drain(heap)).toEqual([{ at: 10, id: 'a' }, { at: 20, id: 'b' }, { at: 30, id: 'c' }, { at: 40, id: 'd' }, { at: 50, id: 'e' }])
  })

  it('keeps stale entries of the same id: the owner discards them', () => {
    const heap = new DeadlineHeap()
    heap.push({ at: 15, id: 'dev' })
    heap.push({ at: 20, id: 'dev' })
    heap.push({ at: 25, id: 'dev' })
    expect(drain(heap)).toEqual([{ at: 15, id: 'dev' }, { at: 20, id: 'dev' }, { at: 25, id: 'dev' }])
  })

  it('returns every pushed entry, equal deadlines included', () => {
    const heap = new DeadlineHeap()
    for (const id of ['a', 'b', 'c', 'd']) heap.push({ at: 7, id })
    heap.push({ at: 3, id: 'z' })
    const out = drain(heap)
    expect(out[0]).toEqual({ at: 3, id: 'z' })
    expect(out.slice(1).map((d) => d.id).sort()).toEqual(['a', 'b', 'c', 'd'])
    expect(out.slice(1).every((d) => d.at === 7)).toBe(true)
  })

  it('returns the very objects pushed', () => {
    const heap = new DeadlineHeap()
    const item = { at: 1, id: 'x' }
    heap.push(item)
    expect(heap.peek()).toBe(item)
    expect(heap.pop()).toBe(item)
  })

  it.each([1, 2, 3, 7, 42, 1000, 20240115])('pops random pushes in sorted order (seed %d)', (seed) => {
    const next = random(seed)
    const heap = new DeadlineHeap()
    const count = 1 + Math.floor(next() * 300)
    const items = Array.from({ length: count }, (_, i) => ({ at: Math.floor(next() * 100), id: `d${i}` }))
    for (const item of items) heap.push(item)
    expect(heap.size).toBe(count)
    const out = drain(heap)
    expect(out.map((d) => d.at)).toEqual(items.map((d) => d.at).sort((a, b) => a - b))
    expect(new Set(out)).toEqual(new Set(items))
    expect(heap.size).toBe(0)
  })

  it.each([5, 11, 99, 31337])('agrees with a sorted-array model under interleaved push and pop (seed %d)', (seed) => {
    const next = random(seed)
    const heap = new DeadlineHeap()
    const model: Deadline[] = []
    for (let step = 0; step < 2000; step++) {
      if (next() < 0.6) {
        const item = { at: Math.floor(next() * 1000), id: `s${step}` }
        heap.push(item)
        model.push(item)
        model.sort((a, b) => a.at - b.at)
      } else {
        const popped = heap.pop()
        const earliest = model[0]
        expect(popped?.at).toBe(earliest?.at)
        if (popped !== undefined) model.splice(model.indexOf(popped), 1)
      }
      expect(heap.size).toBe(model.length)
      expect(heap.peek()?.at).toBe(model[0]?.at)
    }
  })
})

/**
 * A min-heap of (deadline, id). Entries are never updated in place: a newer deadline for the
 * same id is pushed and the stale one is recognised and discarded when it surfaces (the owner
 * checks it against the id's current deadline). Push and pop are O(log n).
 */
export interface Deadline {
  at: number
  id: string
}

export class DeadlineHeap {
  #items: Deadline[] = []

  get size(): number {
    return this.#items.length
  }

  peek(): Deadline | undefined {
    return this.#items[0]
  }

  push(item: Deadline): void {
    const a = this.#items
    a.push(item)
    let i = a.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if ((a[parent] as Deadline).at <= item.at) break
      a[i] = a[parent] as Deadline
      i = parent
    }
    a[i] = item
  }

  pop(): Deadline | undefined {
    const a = this.#items
    const top = a[0]
    const last = a.pop()
    if (a.length > 0 && last !== undefined) this.#siftDown(last)
    return top
  }

  #siftDown(item: Deadline): void {
    const a = this.#items
    let i = 0
    for (;;) {
      let child = 2 * i + 1
      if (child >= a.length) break
      const right = child + 1
      if (right < a.length && (a[right] as Deadline).at < (a[child] as Deadline).at) child = right
      if ((a[child] as Deadline).at >= item.at) break
      a[i] = a[child] as Deadline
      i = child
    }
    a[i] = item
  }
}

// Which task fires next: a binary min-heap of fire instants with at most one live entry per
// task. Rescheduling or removing a task leaves its old entry in the heap, recognised as
// stale by its sequence number and dropped when it reaches the top.

interface Entry {
  fireAt: number;
  taskId: string;
  sequence: number;
}

export class FireQueue {
  readonly #heap: Entry[] = [];
  readonly #live = new Map<string, number>();
  #sequence = 0;

  get size(): number {
    return this.#live.size;
  }

  has(taskId: string): boolean {
    return this.#live.has(taskId);
  }

  /** Schedules the task at `fireAt` (epoch ms), replacing its previous entry. */
  set(taskId: string, fireAt: number): void {
    const sequence = ++this.#sequence;
    this.#live.set(taskId, sequence);
    this.#push({ fireAt, taskId, sequence });
  }

  delete(taskId: string): void {
    this.#live.delete(taskId);
  }

  /** The earliest fire instant, or undefined when nothing is scheduled. */
  peekTime(): number | undefined {
    this.#dropStale();
    return this.#heap[0]?.fireAt;
  }

  /** Removes and returns the tasks due at `now`, earliest first, at most `limit` of them. */
  popDue(now: number, limit = Infinity): string[] {
    const due: string[] = [];
    for (let top = this.peekTime(); top !== undefined && top <= now && due.length < limit; top = this.peekTime()) {
      const entry = this.#pop();
      this.#live.delete(entry.taskId);
      due.push(entry.taskId);
    }
    return due;
  }

  #dropStale(): void {
    while (this.#heap.length > 0 && this.#live.get(this.#heap[0]!.taskId) !== this.#heap[0]!.sequence) this.#pop();
  }

  #push(entry: Entry): void {
    const heap = this.#heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.fireAt <= entry.fireAt) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  #pop(): Entry {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && heap[right]!.fireAt < heap[left]!.fireAt ? right : left;
        if (heap[child]!.fireAt >= last.fireAt) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

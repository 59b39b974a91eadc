// A thread's event loop is shared: by the requests the API thread serves at once, and by I/O
// (new connections, /healthz) waiting for the loop to turn. Work that comes in many small
// pieces (resolvers, database statements) takes slices: once the pieces run since the loop
// last turned have taken `sliceMs`, the next ones wait for the loop's next turn, after I/O.

/** How long pieces of work may run before the loop turns (EVENT_LOOP_SLICE_MS). */
let sliceMs = 20;

/** Sets this thread's slice length. */
export function setSliceMs(ms: number): void {
  sliceMs = ms;
}

/** When the first piece since the loop last turned ran; null until one runs. */
let sliceStartedAt: number | null = null;
let nextTurn: Promise<void> | null = null;

const endSlice = () => {
  sliceStartedAt = null;
};

/** Whether the current slice has time left, starting one if none is running. */
function sliceHasTimeLeft(): boolean {
  const now = performance.now();
  if (sliceStartedAt === null) {
    sliceStartedAt = now;
    // Immediates run after I/O: when this one runs the loop has turned, and the next piece starts a new slice.
    setImmediate(endSlice);
    return true;
  }
  return now - sliceStartedAt < sliceMs;
}

/** The loop's next turn: one promise for every piece waiting on it. */
function loopTurn(): Promise<void> {
  nextTurn ??= new Promise((resolve) =>
    setImmediate(() => {
      nextTurn = null;
      resolve();
    }),
  );
  return nextTurn;
}

/**
 * Runs `work` at once while the slice has time left, else at a later turn of the loop. Pieces
 * released by the same turn are checked one by one as each runs, so a turn runs about a slice.
 */
export function runInSlice<T>(work: () => T | Promise<T>): T | Promise<T> {
  return sliceHasTimeLeft() ? work() : loopTurn().then(() => runInSlice(work));
}

/** Runs `work` after the loop has turned at least once, within a slice. */
export function runAfterATurn<T>(work: () => Promise<T>): Promise<T> {
  return loopTurn().then(() => runInSlice(work));
}

/** The first `count` items of `items`, computed in slices: a long computation lets the loop turn between items. */
export async function takeInSlices<T>(items: Iterable<T>, count: number): Promise<T[]> {
  const taken: T[] = [];
  if (count <= 0) return taken;
  const iterator = items[Symbol.iterator]();
  for (;;) {
    while (!sliceHasTimeLeft()) await loopTurn();
    const next = iterator.next();
    if (next.done || taken.push(next.value) >= count) return taken;
  }
}

/** Turns of the loop a batch waits at most for the pieces that would join it. */
const maxTurnsBeforeDispatch = 4;

/**
 * A batching loader's dispatch (DataLoader's `batchScheduleFn`): after the current chain of
 * promises, as DataLoader's own, and then after the pieces waiting for the loop's next turn, if
 * any, so that siblings cut off by the end of a slice still join the batch instead of reading
 * again. A few turns at most: under steady load a turn is always awaited, and the batch must go.
 */
export function dispatchAfterWaitingPieces(dispatch: () => void): void {
  const afterChain = (then: () => void) => void Promise.resolve().then(() => process.nextTick(then));
  const dispatchWhenNoneWait = (turnsLeft: number) => {
    if (nextTurn && turnsLeft > 0) void nextTurn.then(() => afterChain(() => dispatchWhenNoneWait(turnsLeft - 1)));
    else dispatch();
  };
  afterChain(() => dispatchWhenNoneWait(maxTurnsBeforeDispatch));
}

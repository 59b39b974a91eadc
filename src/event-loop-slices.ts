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

/**
 * Pieces waiting for a later turn, oldest first, each let go once when its turn comes. A queue
 * rather than one promise for all: let go together, every piece past the slice's end would wait
 * again, and a hundred thousand waiting fields would each wait (and allocate) once per turn.
 */
const waiting: ((() => void) | undefined)[] = [];
let firstWaiting = 0;
let turnScheduled = false;
/** Settled when the next turn has let go of what it could; null when no turn is due. */
let turnEnd: { promise: Promise<void>; settle: () => void } | null = null;

/** A turn: after I/O, a new slice lets the oldest waiting pieces go, one by one, while it has time. */
function turn(): void {
  turnScheduled = false;
  endSlice();
  letGoWhileTimeLeft();
}

/**
 * Lets the oldest waiting piece go and checks again in a microtask queued behind it, so each
 * piece's synchronous work has run (and counted against the slice) before the next is let go.
 */
function letGoWhileTimeLeft(): void {
  if (firstWaiting < waiting.length && sliceHasTimeLeft()) {
    const letGo = waiting[firstWaiting]!;
    waiting[firstWaiting++] = undefined;
    letGo();
    queueMicrotask(letGoWhileTimeLeft);
    return;
  }
  if (firstWaiting === waiting.length) {
    waiting.length = 0;
    firstWaiting = 0;
  } else {
    scheduleTurn();
  }
  const ended = turnEnd;
  turnEnd = null;
  ended?.settle();
}

function scheduleTurn(): void {
  if (turnScheduled) return;
  turnScheduled = true;
  setImmediate(turn);
}

/** Resolves when the piece's turn comes: at a later turn of the loop, after the pieces that waited before it. */
function waitForTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    scheduleTurn();
  });
}

/** Whether pieces wait for a turn now. */
function piecesWait(): boolean {
  return firstWaiting < waiting.length;
}

/** Settles when the next turn has let go of what it could. */
function endOfNextTurn(): Promise<void> {
  if (!turnEnd) {
    let settle!: () => void;
    const promise = new Promise<void>((resolve) => (settle = resolve));
    turnEnd = { promise, settle };
    scheduleTurn();
  }
  return turnEnd.promise;
}

/**
 * Runs `work` at once while the slice has time left, else when its turn comes at a later turn of
 * the loop (then without checking again: the turn let it go because the slice had time).
 */
export function runInSlice<T>(work: () => T | Promise<T>): T | Promise<T> {
  return sliceHasTimeLeft() ? work() : waitForTurn().then(work);
}

/** Runs `work` after the loop has turned at least once, within a slice. */
export function runAfterATurn<T>(work: () => Promise<T>): Promise<T> {
  return waitForTurn().then(work);
}

/** The first `count` items of `items`, computed in slices: a long computation lets the loop turn between items. */
export async function takeInSlices<T>(items: Iterable<T>, count: number): Promise<T[]> {
  const taken: T[] = [];
  if (count <= 0) return taken;
  const iterator = items[Symbol.iterator]();
  for (;;) {
    if (!sliceHasTimeLeft()) await waitForTurn();
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
    if (piecesWait() && turnsLeft > 0) void endOfNextTurn().then(() => afterChain(() => dispatchWhenNoneWait(turnsLeft - 1)));
    else dispatch();
  };
  afterChain(() => dispatchWhenNoneWait(maxTurnsBeforeDispatch));
}

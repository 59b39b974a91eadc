// Tells the other Cronline processes on a PostgreSQL database what this one changed, with
// NOTIFY on one channel. Inside the transaction of the change where there is one (claims,
// run starts and ends, recovery): PostgreSQL delivers the notification when, and only if, it
// commits, so no listener hears of a change before it can read it, and a process that dies
// before the commit announces nothing. SQLite is one process: it has nothing to tell.
import type { DbClient } from "../db/database.js";
import type { EventSink } from "../events/event-bus.js";
import type { Logger } from "../logger.js";
import { encodeNotes, notesOfEvent, type ClusterNote } from "./notes.js";

export const clusterChannel = "cronline_events";

/** What runs a statement: the client, or a transaction of it. */
type SqlRunner = Pick<DbClient, "$executeRawUnsafe">;

export interface ClusterNotifier {
  /** Inside the transaction `tx`: the others hear of `notes` once it commits. */
  within(tx: SqlRunner, notes: ClusterNote[]): Promise<void>;
  /**
   * A change and its notes committed together: `work` runs in a transaction with them on
   * PostgreSQL, on its own on SQLite.
   */
  atomically<T>(db: DbClient, work: (tx: DbClient) => Promise<{ value: T; notes: ClusterNote[] }>): Promise<T>;
}

/** SQLite's: nobody else to tell. */
export const noClusterNotifier: ClusterNotifier = {
  within: async () => {},
  atomically: async (db, work) => (await work(db)).value,
};

/** PostgreSQL's, for the instance `origin`. */
export function postgresNotifier(origin: string): ClusterNotifier {
  const notifier: ClusterNotifier = {
    async within(tx, notes) {
      const payloads = encodeNotes(origin, notes);
      if (payloads.length === 0) return;
      // One statement for all the payloads, sent in order.
      await tx.$executeRawUnsafe(
        `SELECT pg_notify($1, payload) FROM (
           SELECT payload FROM jsonb_array_elements_text(CAST($2 AS jsonb)) WITH ORDINALITY AS chunk(payload, n) ORDER BY n
         ) AS ordered`,
        clusterChannel,
        JSON.stringify(payloads),
      );
    },
    async atomically(db, work) {
      return db.$transaction(async (tx) => {
        const { value, notes } = await work(tx as unknown as DbClient);
        await notifier.within(tx, notes);
        return value;
      });
    },
  };
  return notifier;
}

/**
 * For writes that commit on their own before their event is emitted (the API's): each event
 * goes to `bus` at once and to the other processes right after, the events of one turn of
 * the event loop in one statement.
 */
export function announcingAfterCommit(bus: EventSink, db: DbClient, notifier: ClusterNotifier, logger: Logger): EventSink {
  let pending: ClusterNote[] = [];
  const send = () => {
    const notes = pending;
    pending = [];
    notifier.within(db, notes).catch((error: unknown) => logger.warn({ err: error }, "could not tell the other instances of a change; their resync will find it"));
  };
  return {
    emit(event, payload) {
      bus.emit(event, payload);
      const notes = notesOfEvent(event, payload);
      if (notes.length === 0) return;
      if (pending.length === 0) setImmediate(send);
      pending.push(...notes);
    },
  };
}

// The schedule kinds as the scheduler computes with them. Instants are Dates (absolute);
// wall-clock fields (timeOfDay, excludedDates, cron fields) are read in the task's time zone.

export type Weekday = "MONDAY" | "TUESDAY" | "WEDNESDAY" | "THURSDAY" | "FRIDAY" | "SATURDAY" | "SUNDAY";

export type CalendarRule =
  | { kind: "DAILY" }
  | { kind: "WEEKLY"; weekdays: Weekday[] }
  /** 1..31, or -1..-31 counted from the end of the month; months without that day are skipped. */
  | { kind: "MONTHLY_DAY"; day: number }
  /** "2nd Tuesday" (2), "last Friday" (-1); months without a 5th such day are skipped. */
  | { kind: "MONTHLY_WEEKDAY"; ordinal: 1 | 2 | 3 | 4 | 5 | -1; weekday: Weekday };

/** Local dates and times on which a wall-clock schedule does not fire. */
export interface Exclusions {
  /** Local dates "YYYY-MM-DD". */
  excludedDates: string[];
  /** Local times "HH:MM-HH:MM", start included, end excluded (24:00 for midnight). */
  excludedTimeRanges: string[];
}

export type Schedule =
  /**
   * Every frequencySeconds from startAt in absolute time; without a frequency, once at startAt.
   * A null startAt means "when the task is scheduled" and is fixed then (anchorSchedule).
   */
  | { kind: "STANDARD"; startAt: Date | null; frequencySeconds: number | null; endAt: Date | null }
  | ({ kind: "CRON"; expression: string; startAt: Date | null; endAt: Date | null } & Exclusions)
  | { kind: "ONCE"; at: Date }
  | ({
      kind: "CALENDAR";
      rule: CalendarRule;
      /** "HH:MM" or "HH:MM:SS", local time. */
      timeOfDay: string;
      startAt: Date | null;
      endAt: Date | null;
    } & Exclusions)
  | ({
      kind: "WINDOW";
      /** OpenSVC schedule definitions (see window-grammar.ts); `!` ones exclude. */
      definitions: string[];
      /** Chooses where spread (`~`) windows fire; null counts as "". */
      seed: string | null;
      startAt: Date | null;
      endAt: Date | null;
    } & Exclusions)
  /** ANY_OF: every instant of any of them, once. ALL_OF: the first one's instants that all the others have too. */
  | ({ kind: "ANY_OF" | "ALL_OF"; schedules: Schedule[] } & Exclusions);

export interface ScheduleIssue {
  /** Path relative to the schedule input (`cron.expression`, `calendar.day`), or `timezone`. */
  field: string;
  message: string;
}

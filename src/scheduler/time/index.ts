// The scheduler's pure time logic: no clock, no timers, no database.
export type { CalendarRule, Exclusions, Schedule, ScheduleIssue, Weekday } from "./schedule.js";
export { dstPolicies, type DstPolicy } from "./dst.js";
export { nextOccurrence, occurrencesBetween, previewSchedule, savedOccurrences, scheduleFrom, scheduleOccurrences } from "./occurrences.js";
export { validateSchedule } from "./validation.js";
export { applyJitter } from "./jitter.js";
export { planMissedOccurrences, type MisfirePolicy } from "./misfire.js";
export { secondsUntil } from "./countdown.js";
export { canonicalTimeZone } from "./time-zones.js";

const formatters = new Map<string, Intl.DateTimeFormat>();

function dateFormatter(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    dateFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's IANA name as Intl spells it ("europe/berlin" is "Europe/Berlin"); the zone must be valid. */
export const canonicalTimeZone = (timeZone: string): string => dateFormatter(timeZone).resolvedOptions().timeZone;

/** The local calendar date of an instant in a time zone, as "YYYY-MM-DD". */
export const localDate = (instant: Date, timeZone: string): string => dateFormatter(timeZone).format(instant);

export function daysInMonth(isoDate: string): number {
  const [year, month] = isoDate.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** True for a real calendar date written "YYYY-MM-DD". */
export function isIsoDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

// OpenSVC's schedule definitions, parsed by recursive descent over this grammar (whitespace
// separates the four fields; names are case-insensitive):
//
//   definition := ["!"] timeranges [days [weeks [months]]]  |  "" | "@0"   (never)
//   timeranges := "*" | timerange ("," timerange)*
//   timerange  := ["~"] (time ["-" time] ["@" interval] | "@" interval | "*")
//   time       := HH ":" MM                       00:00 .. 23:59
//   interval   := N ["m" | "h"]                   minutes unless "h"; 1 .. 1440 minutes
//   days       := "*" | day ("," day)*
//   day        := weekday ["-" weekday] [":" nth] | "*" [":" nth]
//   weekday    := mon .. sun | monday .. sunday | 0 .. 7 (0 and 7 are Sunday)
//   nth        := first | 1st | second | 2nd | third | 3rd | fourth | 4th | fifth | 5th | last
//               | ["+" | "-"] N | "%" N ["+" N]
//   weeks      := "*" | week ("," week)* | "%" N ["+" N]        week := N ["-" N], 1 .. 53
//   months     := "*" | month ("," month)* | "%" N ["+" N]      month := jan .. dec | 1 .. 12, ranges
//
// A range whose end comes before its start wraps (22:00-02:00 ends the next day; fri-mon).

export interface TimeRange {
  /** Seconds after local midnight. */
  begin: number;
  /** Seconds after the window's local midnight, inclusive; beyond 86,400 when it ends the next day. */
  end: number;
  /** Seconds between fires within the window; null: once per window. */
  intervalSeconds: number | null;
  /** `~`: the fire moves to a point of the window chosen from the seed (once-per-window ranges only). */
  spread: boolean;
}

/** A filter "value % modulo == shift" as OpenSVC writes it: `%2+1` keeps values v with (v + 1) % 2 == 0. */
export interface Modulo {
  modulo: number;
  shift: number;
}

export type DayOfMonth = { kind: "nth"; n: number } | { kind: "modulo"; filter: Modulo };

export interface DaySpec {
  /** ISO weekdays 1 (Monday) .. 7; null: every day. */
  weekdays: number[] | null;
  /** With weekdays: the nth such weekday of the month (-1 the last); without: the day of the month. */
  dayOfMonth: DayOfMonth | null;
}

export type NumberFilter = { kind: "values"; values: number[] } | { kind: "modulo"; filter: Modulo };

export interface WindowDefinition {
  exclude: boolean;
  /** Empty: the definition allows nothing ("" or "@0"). */
  ranges: TimeRange[];
  /** Null: any day. */
  days: DaySpec[] | null;
  weeks: NumberFilter | null;
  months: NumberFilter | null;
}

export class WindowSyntaxError extends Error {
  constructor(
    /** 1-based column in the definition. */
    readonly column: number,
    readonly token: string,
    reason: string,
  ) {
    super(token === "" ? `at column ${column}: ${reason}` : `at column ${column}, "${token}": ${reason}`);
  }
}

const dayNames: Record<string, number> = {
  mon: 1, monday: 1, tue: 2, tuesday: 2, wed: 3, wednesday: 3, thu: 4, thursday: 4,
  fri: 5, friday: 5, sat: 6, saturday: 6, sun: 7, sunday: 7,
};
const monthNames: Record<string, number> = {
  jan: 1, january: 1, feb: 2, february: 2, mar: 3, march: 3, apr: 4, april: 4, may: 5, jun: 6, june: 6,
  jul: 7, july: 7, aug: 8, august: 8, sep: 9, september: 9, oct: 10, october: 10, nov: 11, november: 11, dec: 12, december: 12,
};
const ordinals: Record<string, number> = {
  first: 1, "1st": 1, second: 2, "2nd": 2, third: 3, "3rd": 3, fourth: 4, "4th": 4, fifth: 5, "5th": 5, last: -1,
};

/** A cursor over one field of a definition; positions are offsets in the whole definition. */
class Field {
  #at = 0;
  constructor(
    readonly text: string,
    readonly offset: number,
  ) {}

  get done(): boolean {
    return this.#at >= this.text.length;
  }
  peek(): string {
    return this.text[this.#at] ?? "";
  }
  eat(char: string): boolean {
    if (this.peek() !== char) return false;
    this.#at++;
    return true;
  }
  /** The longest run of characters matching `pattern` from here ("" when none). */
  take(pattern: RegExp): { text: string; column: number } {
    const column = this.offset + this.#at + 1;
    let end = this.#at;
    while (end < this.text.length && pattern.test(this.text[end]!)) end++;
    const text = this.text.slice(this.#at, end);
    this.#at = end;
    return { text, column };
  }
  /** An error at the cursor, naming what is there up to the next separator. */
  error(reason: string): WindowSyntaxError {
    const rest = this.text.slice(this.#at);
    return new WindowSyntaxError(this.offset + this.#at + 1, /^[^,]*/.exec(rest)![0] || rest, reason);
  }
  end(what: string): void {
    if (!this.done) throw this.error(`unexpected after ${what}`);
  }
}

function number(field: Field, what: string, min: number, max: number): number {
  const { text, column } = field.take(/\d/);
  if (text === "") throw field.error(`expected ${what}`);
  const value = Number(text);
  if (value < min || value > max) throw new WindowSyntaxError(column, text, `${what} must be ${min} to ${max}`);
  return value;
}

function time(field: Field): number {
  const { text, column } = field.take(/[\d:]/);
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!match) throw text === "" ? field.error("expected a time HH:MM") : new WindowSyntaxError(column, text, "expected a time HH:MM");
  const [hours, minutes] = [Number(match[1]), Number(match[2])];
  if (hours > 23 || minutes > 59) throw new WindowSyntaxError(column, text, "is not a time of day (00:00 to 23:59)");
  return (hours * 60 + minutes) * 60;
}

function interval(field: Field): number {
  const { text, column } = field.take(/[\dmhMH]/);
  const match = /^(\d+)([mh]?)$/i.exec(text);
  if (!match) throw text === "" ? field.error("expected an interval in minutes after @") : new WindowSyntaxError(column, text, "expected an interval in minutes, like 60, 90m or 2h");
  const minutes = Number(match[1]) * (match[2]!.toLowerCase() === "h" ? 60 : 1);
  if (minutes > 1440) throw new WindowSyntaxError(column, text, "an interval must be at most 1440 minutes (a window repeats daily: use days, weeks or months to fire less often)");
  return minutes * 60;
}

/** A whole-day window: midnight to 23:59:59, so that it never reaches the next day's midnight. */
const endOfDay = 86_399;
const wholeDay = 86_400;

/** Null for `@0`, which allows nothing. */
function timerange(field: Field): TimeRange | null {
  const spread = field.eat("~");
  let begin = 0;
  let end = endOfDay;
  if (field.eat("*")) {
    if (field.peek() !== "@") return { begin, end, intervalSeconds: null, spread };
  } else if (field.peek() !== "@") {
    begin = time(field);
    // A single time: from then to the end of the day (OpenSVC's "at first occasion after").
    end = field.eat("-") ? time(field) : endOfDay;
    if (end < begin) end += wholeDay;
  }
  if (!field.eat("@")) return { begin, end, intervalSeconds: null, spread };
  const seconds = interval(field);
  if (seconds === 0) return null;
  // An interval as long as the window fires once in it, as without one.
  return { begin, end, intervalSeconds: seconds > end - begin ? null : seconds, spread };
}

function timeranges(field: Field): TimeRange[] {
  const ranges: TimeRange[] = [];
  do {
    const range = timerange(field);
    if (range) ranges.push(range);
    if (field.peek() !== "," && !field.done) throw field.error("expected HH:MM-HH:MM@minutes, @minutes or *");
  } while (field.eat(","));
  return ranges;
}

function name(field: Field, names: Record<string, number>, what: string, max: number, zero?: number): number {
  if (/\d/.test(field.peek())) {
    const value = number(field, what, zero === undefined ? 1 : 0, max);
    return value === 0 ? zero! : value;
  }
  const { text, column } = field.take(/[a-z]/i);
  const value = names[text.toLowerCase()];
  if (value === undefined) throw text === "" ? field.error(`expected ${what}`) : new WindowSyntaxError(column, text, `is not ${what}`);
  return value;
}

/** Values from..to inclusive, wrapping past `max` back to 1 when to < from. */
function span(from: number, to: number, max: number): number[] {
  const values: number[] = [];
  for (let v = from; ; v = v === max ? 1 : v + 1) {
    values.push(v);
    if (v === to) return values;
  }
}

function modulo(field: Field): Modulo {
  const mod = number(field, "a modulo", 1, 1000);
  const shift = field.eat("+") ? number(field, "a shift", 0, 1000) : 0;
  return { modulo: mod, shift };
}

function dayOfMonth(field: Field, withWeekday: boolean): DayOfMonth {
  if (field.eat("%")) return { kind: "modulo", filter: modulo(field) };
  const negative = field.eat("-");
  if (!negative) field.eat("+");
  const { text, column } = field.take(/[a-z0-9]/i);
  if (text === "") throw field.error("expected first .. fifth, 1st .. 5th, last, a number or %N");
  const ordinal = ordinals[text.toLowerCase()];
  if (ordinal !== undefined && !negative) return { kind: "nth", n: ordinal };
  const max = withWeekday ? 5 : 31;
  const what = withWeekday ? "the nth weekday of the month" : "a day of the month";
  if (!/^\d+$/.test(text)) throw new WindowSyntaxError(column, text, "is not first .. fifth, 1st .. 5th, last or a number");
  const n = Number(text);
  if (n < 1 || n > max) throw new WindowSyntaxError(column, text, `${what} must be 1 to ${max}, or -1 to -${max} counting from the end`);
  return { kind: "nth", n: negative ? -n : n };
}

function days(field: Field): DaySpec[] | null {
  if (field.text === "*") return null;
  const specs: DaySpec[] = [];
  do {
    let weekdays: number[] | null = null;
    if (!field.eat("*")) {
      const from = name(field, dayNames, "a weekday (mon .. sun, or 0 .. 7)", 7, 7);
      weekdays = field.eat("-") ? span(from, name(field, dayNames, "a weekday (mon .. sun, or 0 .. 7)", 7, 7), 7) : [from];
    }
    const nth = field.eat(":") ? dayOfMonth(field, weekdays !== null) : null;
    specs.push({ weekdays, dayOfMonth: nth });
    if (field.peek() !== "," && !field.done) throw field.error("expected a day like mon-fri, fri:last, *:-1 or *:%2+1");
  } while (field.eat(","));
  return specs;
}

function numbers(field: Field, what: string, max: number, names?: Record<string, number>): NumberFilter | null {
  if (field.text === "*") return null;
  if (field.eat("%")) {
    const filter = modulo(field);
    field.end("the modulo");
    return { kind: "modulo", filter };
  }
  const values = new Set<number>();
  do {
    const one = () => (names ? name(field, names, what, max) : number(field, what, 1, max));
    const from = one();
    for (const v of field.eat("-") ? span(from, one(), max) : [from]) values.add(v);
    if (field.peek() !== "," && !field.done) throw field.error(`expected ${what}, a range or a list`);
  } while (field.eat(","));
  return { kind: "values", values: [...values].sort((a, b) => a - b) };
}

/** Parses one definition; throws a WindowSyntaxError naming the column and the token. */
export function parseWindowDefinition(definition: string): WindowDefinition {
  let rest = definition;
  let offset = 0;
  const leading = /^\s*/.exec(rest)![0].length;
  rest = rest.slice(leading);
  offset += leading;
  const exclude = rest.startsWith("!");
  if (exclude) {
    const skipped = /^!\s*/.exec(rest)![0].length;
    rest = rest.slice(skipped);
    offset += skipped;
  }
  const fields: Field[] = [];
  for (const match of rest.matchAll(/\S+/g)) fields.push(new Field(match[0], offset + match.index));
  if (fields.length === 0) {
    if (exclude) throw new WindowSyntaxError(offset + 1, "", "expected time ranges after !");
    return { exclude, ranges: [], days: null, weeks: null, months: null };
  }
  if (fields.length > 4) throw new WindowSyntaxError(fields[4]!.offset + 1, fields[4]!.text, "a definition has at most 4 fields: timeranges days weeks months");
  const [rangesField, daysField, weeksField, monthsField] = fields;
  const ranges = timeranges(rangesField!);
  if (exclude && ranges.some((range) => range.spread)) throw new WindowSyntaxError(rangesField!.offset + 1, rangesField!.text, "an exclusion cannot be spread (~)");
  return {
    exclude,
    ranges,
    days: daysField ? days(daysField) : null,
    weeks: weeksField ? numbers(weeksField, "an ISO week number", 53) : null,
    months: monthsField ? numbers(monthsField, "a month (jan .. dec, or 1 .. 12)", 12, monthNames) : null,
  };
}

const parsed = new Map<string, WindowDefinition>();

/** Parsed definitions are reused: a search parses each once. */
export function windowDefinition(definition: string): WindowDefinition {
  let result = parsed.get(definition);
  if (!result) {
    result = parseWindowDefinition(definition);
    if (parsed.size >= 10_000) parsed.clear();
    parsed.set(definition, result);
  }
  return result;
}

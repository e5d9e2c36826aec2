// NCRONTAB schedules as the Functions timer trigger reads them: six fields
// "{second} {minute} {hour} {day} {month} {day-of-week}" (five fields = no seconds, as the host also accepts),
// each `*`, a value, a range `a-b`, a list `a,b`, or a step `*/n`, `a-b/n`, `a/n` (a to the field's end);
// month names JAN-DEC and day names SUN-SAT (or full names), case-insensitive; day-of-week 0-6 with 0 = Sunday.
// Like NCrontab, a time must match EVERY field, including both day-of-month and day-of-week.
// Evaluated in UTC (the host's default when WEBSITE_TIME_ZONE is unset).

export interface CronSchedule {
  readonly expression: string;
  /** The first occurrence strictly after `afterMs` (whole seconds), or undefined if none within 30 years. */
  next(afterMs: number): number | undefined;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTH_NAMES = [
  "JANUARY",
  "FEBRUARY",
  "MARCH",
  "APRIL",
  "MAY",
  "JUNE",
  "JULY",
  "AUGUST",
  "SEPTEMBER",
  "OCTOBER",
  "NOVEMBER",
  "DECEMBER",
];
const DAY_NAMES = ["SUNDAY", "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY"];

const SECOND: FieldSpec = { name: "second", min: 0, max: 59 };
const MINUTE: FieldSpec = { name: "minute", min: 0, max: 59 };
const HOUR: FieldSpec = { name: "hour", min: 0, max: 23 };
const DAY: FieldSpec = { name: "day", min: 1, max: 31 };
const MONTH: FieldSpec = { name: "month", min: 1, max: 12, names: MONTH_NAMES };
const DAY_OF_WEEK: FieldSpec = { name: "day-of-week", min: 0, max: 6, names: DAY_NAMES };

const SEARCH_YEARS = 30;

export class CronParseError extends Error {
  override readonly name = "CronParseError";
}

export function parseNcrontab(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6 && parts.length !== 5) {
    throw new CronParseError(`"${expression}": expected 6 fields (second minute hour day month day-of-week)`);
  }
  const [second = "", minute = "", hour = "", day = "", month = "", dayOfWeek = ""] =
    parts.length === 6 ? parts : ["0", ...parts];
  const fields: Fields = {
    second: parseField(expression, second, SECOND),
    minute: parseField(expression, minute, MINUTE),
    hour: parseField(expression, hour, HOUR),
    day: parseField(expression, day, DAY),
    month: parseField(expression, month, MONTH),
    dayOfWeek: parseField(expression, dayOfWeek, DAY_OF_WEEK),
  };
  return { expression, next: (afterMs) => nextOccurrence(fields, afterMs) };
}

interface Fields {
  readonly second: ReadonlySet<number>;
  readonly minute: ReadonlySet<number>;
  readonly hour: ReadonlySet<number>;
  readonly day: ReadonlySet<number>;
  readonly month: ReadonlySet<number>;
  readonly dayOfWeek: ReadonlySet<number>;
}

function parseField(expression: string, text: string, spec: FieldSpec): ReadonlySet<number> {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    const fail = (why: string): never => {
      throw new CronParseError(`"${expression}": ${spec.name} field "${text}": ${why}`);
    };
    const [rangeText = "", stepText, extra] = item.split("/");
    if (extra !== undefined) fail("more than one '/'");
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) fail(`bad step "${stepText}"`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (rangeText === "*") {
      from = spec.min;
      to = spec.max;
    } else if (rangeText.includes("-")) {
      const [low = "", high = "", more] = rangeText.split("-");
      if (more !== undefined) fail(`bad range "${rangeText}"`);
      from = parseValue(low, spec) ?? fail(`bad value "${low}"`);
      to = parseValue(high, spec) ?? fail(`bad value "${high}"`);
      if (from > to) fail(`range "${rangeText}" runs backwards`);
    } else {
      from = parseValue(rangeText, spec) ?? fail(`bad value "${rangeText}"`);
      // "a/n" means from a to the end of the field, every n.
      to = stepText === undefined ? from : spec.max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

function parseValue(text: string, spec: FieldSpec): number | undefined {
  let value: number | undefined;
  if (/^\d+$/.test(text)) {
    value = Number(text);
  } else if (spec.names !== undefined && text.length >= 3) {
    const upper = text.toUpperCase();
    const index = spec.names.findIndex((name) => name === upper || name.slice(0, 3) === upper);
    value = index < 0 ? undefined : index + spec.min;
  }
  return value !== undefined && value >= spec.min && value <= spec.max ? value : undefined;
}

function nextOccurrence(fields: Fields, afterMs: number): number | undefined {
  const date = new Date(Math.floor(afterMs / 1000) * 1000 + 1000);
  const endYear = date.getUTCFullYear() + SEARCH_YEARS;
  while (date.getUTCFullYear() <= endYear) {
    if (!fields.month.has(date.getUTCMonth() + 1)) {
      date.setUTCMonth(date.getUTCMonth() + 1, 1);
      date.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!fields.day.has(date.getUTCDate()) || !fields.dayOfWeek.has(date.getUTCDay())) {
      date.setUTCDate(date.getUTCDate() + 1);
      date.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!fields.hour.has(date.getUTCHours())) {
      date.setUTCHours(date.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!fields.minute.has(date.getUTCMinutes())) {
      date.setUTCMinutes(date.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    if (!fields.second.has(date.getUTCSeconds())) {
      date.setUTCSeconds(date.getUTCSeconds() + 1, 0);
      continue;
    }
    return date.getTime();
  }
  return undefined;
}

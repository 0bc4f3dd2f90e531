/**
 * Cron lines, once for the whole project: K3s' etcd-snapshot-schedule-cron and Longhorn's
 * recurring jobs both parse them with robfig/cron's standard parser — five fields (minute hour
 * day-of-month month day-of-week), names (JAN, MON), `?` in the day fields, or a descriptor such
 * as @daily. The schema refuses what they would refuse (and a schedule that never runs); the
 * backup alerts read how long a schedule can leave between two runs.
 */

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31, question: true },
  { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
  // robfig/cron bounds the day of week to 0–6 (Sunday is 0; 7 is refused).
  { name: "day of week", min: 0, max: 6, question: true, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
] as const;

type CronField = (typeof FIELDS)[number];

const DESCRIPTORS: Readonly<Record<string, string>> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** A cron line K3s or Longhorn would refuse; the message says why. */
export class CronError extends Error {}

/** The five fields as sets of the values they allow, and whether the day fields are restricted. */
export interface CronSchedule {
  readonly fields: readonly ReadonlySet<number>[];
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
}

function value(text: string, field: CronField): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if ("names" in field) {
    const i = (field.names as readonly string[]).indexOf(text.toLowerCase());
    if (i >= 0) return i + field.min;
  }
  return undefined;
}

function parseField(text: string, field: CronField): { values: Set<number>; restricted: boolean } {
  const values = new Set<number>();
  let restricted = true;
  for (const part of text.split(",")) {
    const [rangeText, stepText, ...extra] = part.split("/");
    if (extra.length > 0 || rangeText === "") throw new CronError(`"${part}" is not a valid ${field.name} value`);
    if (stepText !== undefined && !(/^\d+$/.test(stepText) && Number(stepText) > 0)) {
      throw new CronError(`step "/${stepText}" in the ${field.name} field must be a whole number of 1 or more`);
    }
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo: number;
    let hi: number;
    if (rangeText === "*" || (rangeText === "?" && "question" in field)) {
      lo = field.min;
      hi = field.max;
      if (stepText === undefined) restricted = false;
    } else {
      const [fromText, toText, ...more] = rangeText.split("-");
      if (more.length > 0) throw new CronError(`"${rangeText}" is not a valid ${field.name} range`);
      const from = value(fromText, field);
      const to = toText === undefined ? (stepText === undefined ? from : field.max) : value(toText, field);
      if (from === undefined || to === undefined) throw new CronError(`"${part}" is not a valid ${field.name} value`);
      for (const v of [from, to]) {
        if (v < field.min || v > field.max) throw new CronError(`${v} is outside the ${field.name} range ${field.min}–${field.max}`);
      }
      if (from > to) throw new CronError(`the ${field.name} range ${rangeText} goes backwards`);
      lo = from;
      hi = to;
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, restricted };
}

/** Parses a cron line as K3s and Longhorn do; throws a CronError that says what is wrong. */
export function parseCron(line: string): CronSchedule {
  const trimmed = line.trim();
  if (trimmed.startsWith("@")) {
    const expanded = DESCRIPTORS[trimmed];
    if (!expanded) throw new CronError(`"${trimmed}" is not a cron descriptor (use @hourly, @daily, @weekly, @monthly or @yearly)`);
    return parseCron(expanded);
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length === 6) {
    throw new CronError("it has 6 fields, but K3s and Longhorn read 5 (minute hour day month weekday, no seconds): drop the first field");
  }
  if (parts.length !== 5) throw new CronError(`it has ${parts.length} field(s); write 5: minute hour day month weekday, e.g. "0 3 * * *"`);
  const parsed = parts.map((p, i) => parseField(p, FIELDS[i]));
  return { fields: parsed.map((p) => p.values), domRestricted: parsed[2].restricted, dowRestricted: parsed[4].restricted };
}

const DAY_SECONDS = 86_400;
/** Days scanned for runs: more than a year, so yearly schedules and leap days are seen. */
const SCAN_DAYS = 400;

/** Start times (seconds since 2026-01-01 UTC) of every run in the scanned window. */
function* runs(schedule: CronSchedule): Generator<number> {
  const [minutes, hours, doms, months, dows] = schedule.fields;
  const start = Date.UTC(2026, 0, 1);
  const sortedHours = [...hours].sort((a, b) => a - b);
  const sortedMinutes = [...minutes].sort((a, b) => a - b);
  for (let d = 0; d < SCAN_DAYS; d++) {
    const day = new Date(start + d * DAY_SECONDS * 1000);
    if (!months.has(day.getUTCMonth() + 1)) continue;
    const domOk = doms.has(day.getUTCDate());
    const dowOk = dows.has(day.getUTCDay());
    // As in robfig/cron and Vixie cron: when both day fields are restricted, either one matching runs.
    const runsToday = schedule.domRestricted && schedule.dowRestricted ? domOk || dowOk : domOk && dowOk;
    if (!runsToday) continue;
    for (const h of sortedHours) for (const m of sortedMinutes) yield d * DAY_SECONDS + h * 3600 + m * 60;
  }
}

/**
 * The longest time between two consecutive runs of the schedule, in seconds, over the 400 days
 * from 2026-01-01 (UTC; leap years and month lengths included).
 */
export function cronMaxIntervalSeconds(line: string): number {
  let previous: number | undefined;
  let longest = 0;
  for (const t of runs(parseCron(line))) {
    if (previous !== undefined) longest = Math.max(longest, t - previous);
    previous = t;
  }
  if (previous === undefined) throw new CronError("it never runs: no day of a whole year matches both its day and month");
  return longest;
}

/**
 * Why K3s or Longhorn would refuse a cron line, or why it would never run; undefined when it is a
 * schedule they run.
 */
export function cronProblem(line: string): string | undefined {
  try {
    cronMaxIntervalSeconds(line);
    return undefined;
  } catch (e) {
    if (e instanceof CronError) return e.message;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// systemd timers (issue 16): the Pi's off-site backup and restore drill take the same 5-field
// cron lines as K3s and Longhorn (one convention for every schedule of homelab.yaml) and run
// them as systemd timers, whose OnCalendar= has its own syntax.

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"] as const;

/** A field's values for OnCalendar: `*` when it allows its whole range, else the sorted list. */
function calendarField(values: ReadonlySet<number>, min: number, max: number, format: (v: number) => string): string {
  if (values.size === max - min + 1) return "*";
  return [...values].sort((a, b) => a - b).map(format).join(",");
}

const twoDigits = (v: number) => String(v).padStart(2, "0");

/**
 * The systemd OnCalendar= expressions that run when the cron line runs, in `timeZone` (a tz
 * database name, appended to each expression; none: the machine's local time). One expression,
 * or two when both day fields are restricted: cron then runs on either (day of month OR day of
 * week), which one calendar expression cannot say. Throws a CronError for a line cron refuses.
 */
export function cronToOnCalendar(line: string, timeZone?: string): string[] {
  const schedule = parseCron(line);
  cronMaxIntervalSeconds(line); // refuses a schedule that never runs
  const [minutes, hours, doms, months, dows] = schedule.fields;
  const time = `${calendarField(hours, 0, 23, twoDigits)}:${calendarField(minutes, 0, 59, twoDigits)}:00`;
  const month = calendarField(months, 1, 12, twoDigits);
  const dom = calendarField(doms, 1, 31, twoDigits);
  const dow = calendarField(dows, 0, 6, (v) => WEEKDAYS[v]);
  const zone = timeZone ? ` ${timeZone}` : "";
  const byDom = `*-${month}-${schedule.domRestricted ? dom : "*"} ${time}${zone}`;
  const byDow = `${dow} *-${month}-* ${time}${zone}`;
  if (schedule.domRestricted && schedule.dowRestricted) return [byDow, byDom];
  if (schedule.dowRestricted) return [byDow];
  return [byDom];
}

/**
 * The first `count` start times (seconds since the epoch, UTC) of a cron line at or after
 * 2026-01-01 00:00 UTC: what a test compares with systemd's own reading of cronToOnCalendar.
 */
export function cronRunsUtc(line: string, count: number): number[] {
  const start = Date.UTC(2026, 0, 1) / 1000;
  const out: number[] = [];
  for (const t of runs(parseCron(line))) {
    out.push(start + t);
    if (out.length >= count) break;
  }
  return out;
}

/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week), as K3s' etcd snapshot
 * schedule and Longhorn's recurring jobs take them: how long can a schedule leave between two runs?
 * The backup alerts allow that gap plus a grace period before they call a backup stale.
 *
 * Supported: `*`, numbers, ranges `a-b`, steps `* /n` and `a-b/n`, lists `a,b`. Names (`MON`),
 * `L`, `W`, `#`, `?` and the `@daily` shortcuts are refused with the field that holds them.
 */

const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 7 },
] as const;

function parseField(text: string, field: (typeof FIELDS)[number], expr: string): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) {
      throw new Error(`cron "${expr}": ${field.name} "${text}" is not supported; use numbers, ranges, steps and lists (e.g. 0 */6 * * *)`);
    }
    const lo = m[1] === "*" ? field.min : Number(m[2]);
    const hi = m[1] === "*" ? field.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? field.max : lo;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (lo < field.min || hi > field.max || lo > hi || step < 1) {
      throw new Error(`cron "${expr}": ${field.name} "${part}" is outside ${field.min}–${field.max}`);
    }
    for (let v = lo; v <= hi; v += step) values.add(field.name === "day of week" && v === 7 ? 0 : v);
  }
  return values;
}

/** The five fields as sets of allowed values (day of week 7 is Sunday, like 0). */
export function parseCron(expr: string): Set<number>[] {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw new Error(`cron "${expr}" must have 5 fields (minute hour day-of-month month day-of-week), e.g. "0 3 * * *"`);
  }
  return parts.map((p, i) => parseField(p, FIELDS[i], expr));
}

/**
 * The longest time between two consecutive runs of the schedule, in seconds, over the 400 days
 * from 2026-01-01 (UTC; leap years and month lengths included). Day-of-month and day-of-week
 * combine as in Vixie cron: when both are restricted, a day matching either runs.
 */
export function cronMaxIntervalSeconds(expr: string): number {
  const [minutes, hours, doms, months, dows] = parseCron(expr);
  const domRestricted = doms.size < 31;
  const dowRestricted = dows.size < 7;
  const start = Date.UTC(2026, 0, 1);
  const days = 400;
  let previous: number | undefined;
  let longest = 0;
  for (let d = 0; d < days; d++) {
    const day = new Date(start + d * 86_400_000);
    if (!months.has(day.getUTCMonth() + 1)) continue;
    const domOk = doms.has(day.getUTCDate());
    const dowOk = dows.has(day.getUTCDay());
    const runs = domRestricted && dowRestricted ? domOk || dowOk : domOk && dowOk;
    if (!runs) continue;
    for (const h of [...hours].sort((a, b) => a - b)) {
      for (const m of [...minutes].sort((a, b) => a - b)) {
        const t = start / 1000 + d * 86_400 + h * 3600 + m * 60;
        if (previous !== undefined) longest = Math.max(longest, t - previous);
        previous = t;
      }
    }
  }
  if (previous === undefined) throw new Error(`cron "${expr}" never runs (no matching day in a year)`);
  return longest;
}

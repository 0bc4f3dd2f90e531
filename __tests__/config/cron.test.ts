/** Cron lines as K3s and Longhorn read them (robfig/cron's standard parser), and the gap between runs. */
import { cronMaxIntervalSeconds, cronProblem, parseCron } from "../../config/cron";

const H = 3600;

describe("cron lines as K3s and Longhorn read them (5 fields)", () => {
  test.each([
    "0 3 * * *",
    "*/15 * * * *",
    "0 */6 * * *",
    "0 0 1 jan mon",
    "0 0 * * SUN",
    "59 23 31 12 6",
    "0 0 1-15/2 * 1-5",
    "0,30 8-18 * * *",
    "0 0 ? * *",
    "@daily",
    "@hourly",
  ])("accepts %s", (line) => {
    expect(cronProblem(line)).toBeUndefined();
  });

  test.each([
    ["0 0 3 * * *", "6 fields"],
    ["0 3 * *", "4 field(s)"],
    ["60 * * * *", "60 is outside the minute range 0–59"],
    ["0 24 * * *", "24 is outside the hour range 0–23"],
    ["0 0 0 * *", "0 is outside the day of month range 1–31"],
    ["0 0 32 * *", "32 is outside the day of month range 1–31"],
    ["0 0 * 13 *", "13 is outside the month range 1–12"],
    ["0 0 * * 7", "7 is outside the day of week range 0–6"],
    ["*/0 * * * *", "step \"/0\""],
    ["0 10-2 * * *", "goes backwards"],
    ["0 0 * foo *", "\"foo\" is not a valid month value"],
    ["? 0 * * *", "\"?\" is not a valid minute value"],
    ["@every", "is not a cron descriptor"],
    ["", "1 field(s)"],
  ])("refuses %s: %s", (line, words) => {
    expect(cronProblem(line)).toContain(words);
  });
});

test("a schedule that never runs is refused", () => {
  expect(cronProblem("0 0 31 2 *")).toContain("it never runs");
  expect(cronProblem("0 0 30 2 *")).toContain("it never runs");
});

describe("cronMaxIntervalSeconds", () => {
  test.each([
    ["0 */6 * * *", 6 * H],
    ["0 3 * * *", 24 * H],
    ["0 * * * *", H],
    ["30 1,13 * * *", 12 * H],
    ["0 2 * * 0", 7 * 24 * H],
    ["*/15 * * * *", 15 * 60],
    ["0 9-17 * * 1-5", 64 * H],
    ["@daily", 24 * H],
    ["@hourly", H],
    ["0 3 * * MON", 7 * 24 * H],
    ["0 3 ? * *", 24 * H],
  ])("%s leaves at most %i s between runs", (expr, seconds) => {
    expect(cronMaxIntervalSeconds(expr)).toBe(seconds);
  });

  test("a monthly schedule counts the longest month", () => {
    expect(cronMaxIntervalSeconds("0 0 1 * *")).toBe(31 * 24 * H);
  });

  test("day of week is 0–6 as robfig/cron bounds it: 7 is refused", () => {
    expect([...parseCron("0 0 * * 0").fields[4]]).toEqual([0]);
    expect(cronProblem("0 0 * * 7")).toContain("7 is outside the day of week range 0–6");
  });

  test("a step from a start value runs to the end of the field (robfig/cron: 5/15 = 5,20,35,50)", () => {
    expect([...parseCron("5/15 * * * *").fields[0]]).toEqual([5, 20, 35, 50]);
  });

  test("when both day fields are restricted, either one matching runs (Vixie cron)", () => {
    // The 1st of every month or every Monday: never more than 7 days apart.
    expect(cronMaxIntervalSeconds("0 0 1 * 1")).toBeLessThanOrEqual(7 * 24 * H);
  });
});

describe("cronToOnCalendar (the Pi's systemd timers)", () => {
  const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
  const { cronToOnCalendar, cronRunsUtc } = require("../../config/cron") as typeof import("../../config/cron");
  const hasAnalyze = spawnSync("systemd-analyze", ["--version"], { stdio: "ignore" }).status === 0;
  const LINES = ["30 4 * * *", "0 6 * * 0", "0 3 15 * sun", "*/15 2-4 1,15 * mon-fri", "0 0 1 */3 *", "@weekly", "5 * * * *", "0 12 ? * SUN"];

  test.each([
    ["30 4 * * *", "Europe/Paris", ["*-*-* 04:30:00 Europe/Paris"]],
    ["0 6 * * 0", undefined, ["Sun *-*-* 06:00:00"]],
    ["@weekly", "UTC", ["Sun *-*-* 00:00:00 UTC"]],
    // Both day fields restricted: cron runs on either, so two expressions.
    ["0 2 1 * mon", "UTC", ["Mon *-*-* 02:00:00 UTC", "*-*-01 02:00:00 UTC"]],
  ])("%s in %s is %j", (line, zone, expected) => {
    expect(cronToOnCalendar(line, zone)).toEqual(expected);
  });

  test("fails on a line cron refuses, and on one that never runs", () => {
    expect(() => cronToOnCalendar("0 6 * * 7")).toThrow(/outside the day of week range/);
    expect(() => cronToOnCalendar("0 0 31 2 *")).toThrow(/never runs/);
  });

  // systemd's own reading of each expression (systemd-analyze calendar) gives the same first runs
  // as cron's: the conversion is checked by the tool that runs the timers.
  (hasAnalyze ? test.each(LINES) : test.skip.each(LINES))("systemd runs %s when cron would", (line) => {
    const want = cronRunsUtc(line, 12);
    const base = Date.UTC(2026, 0, 1) / 1000 - 1;
    const got = cronToOnCalendar(line, "UTC").flatMap((expression) => {
      const out = spawnSync("systemd-analyze", ["calendar", `--base-time=@${base}`, "--iterations=12", expression], {
        encoding: "utf8",
        env: { ...process.env, TZ: "UTC", LC_ALL: "C" },
      });
      if (out.status !== 0) throw new Error(`systemd-analyze refused ${expression}: ${out.stderr}`);
      return [...out.stdout.matchAll(/(?:Next elapse|Iter\. #\d+): \w{3} (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC/g)].map(
        (m) => Date.parse(`${m[1].replace(" ", "T")}Z`) / 1000,
      );
    });
    // cronRunsUtc scans 400 days: a quarterly line has fewer runs there than systemd lists.
    expect(want.length).toBeGreaterThanOrEqual(5);
    expect([...new Set(got)].sort((a, b) => a - b).slice(0, want.length)).toEqual(want);
  });
});

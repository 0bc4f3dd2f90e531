import { cronMaxIntervalSeconds, parseCron } from "../../config/cron";

const H = 3600;

describe("cronMaxIntervalSeconds", () => {
  test.each([
    ["0 */6 * * *", 6 * H],
    ["0 3 * * *", 24 * H],
    ["0 * * * *", H],
    ["30 1,13 * * *", 12 * H],
    ["0 2 * * 0", 7 * 24 * H],
    ["*/15 * * * *", 15 * 60],
    ["0 9-17 * * 1-5", 64 * H],
  ])("%s leaves at most %i s between runs", (expr, seconds) => {
    expect(cronMaxIntervalSeconds(expr)).toBe(seconds);
  });

  test("a monthly schedule counts the longest month", () => {
    expect(cronMaxIntervalSeconds("0 0 1 * *")).toBe(31 * 24 * H);
  });

  test("day of week 7 is Sunday, like 0", () => {
    expect([...parseCron("0 0 * * 7")[4]]).toEqual([0]);
  });

  test("fails when a field is a name or a shortcut", () => {
    expect(() => cronMaxIntervalSeconds("0 3 * * MON")).toThrow('day of week "MON" is not supported');
    expect(() => cronMaxIntervalSeconds("@daily")).toThrow("must have 5 fields");
  });

  test("fails when a value is out of range", () => {
    expect(() => cronMaxIntervalSeconds("0 24 * * *")).toThrow('hour "24" is outside 0–23');
  });

  test("fails when the schedule never runs", () => {
    expect(() => cronMaxIntervalSeconds("0 0 31 2 *")).toThrow("never runs");
  });
});

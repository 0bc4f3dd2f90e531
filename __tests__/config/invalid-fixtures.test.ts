/**
 * One invalid fixture per rule (__tests__/fixtures/invalid/*.yaml). Each fixture changes the
 * default lab (`set`: config path -> value, `null` deletes) or gives raw YAML text (`yaml`), and
 * lists the problems it must produce: the config path, words of the message, words of the fix, and
 * the severity (`error` by default). Errors are checked on what synth sees (config/load.ts), so
 * synth refuses the fixture; warnings on what the doctor sees, and synth must still accept a
 * fixture that only expects warnings.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { parseLabYaml } from "../../config/load";
import { RULES, type Problem } from "../../config/rules";
import { diagnoseYaml } from "../../doctor/diagnose";
import { FIXTURES, fixtureNames, labWith, loadLab } from "../helpers";

interface Expectation {
  severity?: "error" | "warning";
  path: string;
  message: string;
  fix: string;
}

interface InvalidFixture {
  set?: Record<string, unknown>;
  yaml?: string;
  expect: Expectation[];
}

function readFixture(name: string): InvalidFixture {
  return parse(readFileSync(join(FIXTURES, "invalid", `${name}.yaml`), "utf8"));
}

function fixtureText(fixture: InvalidFixture): string {
  if (fixture.yaml !== undefined) return fixture.yaml;
  const changes = Object.fromEntries(Object.entries(fixture.set ?? {}).map(([k, v]) => [k, v === null ? undefined : v]));
  return stringify(labWith(changes));
}

function findProblem(problems: readonly Problem[], want: Expectation): Problem {
  const severity = want.severity ?? "error";
  const match = problems.find(
    (p) =>
      p.severity === severity &&
      p.path.includes(want.path) &&
      p.message.toLowerCase().includes(want.message.toLowerCase()) &&
      p.message.toLowerCase().includes(want.fix.toLowerCase()),
  );
  if (!match) {
    throw new Error(
      `no ${severity} at ${want.path} mentioning "${want.message}" and the fix "${want.fix}"; got:\n` +
        problems.map((p) => `  ${p.severity} ${p.path}: ${p.message}`).join("\n"),
    );
  }
  return match;
}

const names = fixtureNames("invalid");

test("there are invalid fixtures to run", () => {
  expect(names.length).toBeGreaterThanOrEqual(30);
});

describe.each(names)("invalid fixture %s", (name) => {
  const fixture = readFixture(name);
  const text = fixtureText(fixture);
  const errors = fixture.expect.filter((e) => (e.severity ?? "error") === "error");

  test("every expectation names a path, words of the message and words of the fix", () => {
    expect(fixture.expect.length).toBeGreaterThan(0);
    for (const want of fixture.expect) {
      for (const key of ["path", "message", "fix"] as const) expect(want[key]).toEqual(expect.any(String));
    }
  });

  test("synth sees the expected errors, with their fix", () => {
    const result = parseLabYaml(text, "fixture.yaml");
    if (errors.length === 0) {
      // Warnings never stop synth.
      if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join("\n"));
      return;
    }
    expect(result.ok).toBe(false);
    if (result.ok) return;
    for (const want of errors) expect(findProblem(result.problems, want)).toBeDefined();
  });

  test("the doctor sees every expected problem, with its fix", () => {
    const { problems } = diagnoseYaml(text, "fixture.yaml");
    for (const want of fixture.expect) expect(findProblem(problems, want)).toBeDefined();
  });
});

describe("rule coverage", () => {
  const labs = names.flatMap((name) => {
    const lab = diagnoseYaml(fixtureText(readFixture(name)), "fixture.yaml").lab;
    return lab ? [{ name, lab }] : [];
  });

  test.each(RULES.map((rule) => [rule.name, rule] as const))("rule %s has a fixture that triggers it", (_name, rule) => {
    expect(labs.filter(({ lab }) => rule(lab).length > 0).map(({ name }) => name)).not.toEqual([]);
  });

  test("on the default lab, only the shipped examples (SSH key, install MACs) and the missing off-site copy are flagged", () => {
    const lab = loadLab();
    const fired = RULES.filter((rule) => rule(lab).length > 0).map((rule) => rule.name);
    // The shipped lab has no off-site repository (it needs your bucket and credentials): the doctor says so.
    expect(fired).toEqual(["sshKeysAreYours", "installFactsAreYours", "backupsLeaveTheHouse"]);
  });
});

/**
 * One invalid fixture per rule (__tests__/fixtures/invalid/*.yaml). Each fixture changes the
 * default lab (`set`: config path -> value, `null` deletes) or gives raw YAML text (`yaml`), and
 * lists the problems it must produce: the config path, words of the message, words of the fix.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { parseLabYaml } from "../../config/load";
import { FIXTURES, fixtureNames, labWith } from "../helpers";

interface InvalidFixture {
  set?: Record<string, unknown>;
  yaml?: string;
  expect: { path: string; message: string; fix?: string }[];
}

function readFixture(name: string): InvalidFixture {
  return parse(readFileSync(join(FIXTURES, "invalid", `${name}.yaml`), "utf8"));
}

function run(fixture: InvalidFixture) {
  if (fixture.yaml !== undefined) return parseLabYaml(fixture.yaml, "fixture.yaml");
  const changes = Object.fromEntries(Object.entries(fixture.set ?? {}).map(([k, v]) => [k, v === null ? undefined : v]));
  return parseLabYaml(stringify(labWith(changes)), "fixture.yaml");
}

const names = fixtureNames("invalid");

test("there are invalid fixtures to run", () => {
  expect(names.length).toBeGreaterThanOrEqual(10);
});

describe.each(names)("invalid fixture %s", (name) => {
  const fixture = readFixture(name);

  test("is refused with the expected problems", () => {
    const result = run(fixture);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    for (const want of fixture.expect) {
      const match = result.problems.find(
        (p) => p.severity === "error" && p.path.includes(want.path) && p.message.toLowerCase().includes(want.message.toLowerCase()),
      );
      if (!match) {
        throw new Error(
          `no error at ${want.path} mentioning "${want.message}"; got:\n` +
            result.problems.map((p) => `  ${p.path}: ${p.message}`).join("\n"),
        );
      }
      if (want.fix) expect(match.message.toLowerCase()).toContain(want.fix.toLowerCase());
    }
  });
});

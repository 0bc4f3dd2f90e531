/**
 * Each rule declares the config sections it reads (RULE_NEEDS), so that the rules whose sections
 * passed the schema can run beside schema errors. A rule that reads an undeclared section would
 * crash on a half-valid config: every rule here runs on labs whose other sections throw on access.
 */
import { fixtureNames, loadLab, validLab, labWith } from "../helpers";
import { RULE_NEEDS, RULES, SECTIONS } from "../../config/rules";
import type { LabConfig } from "../../config/schema";
import { parse } from "yaml";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FIXTURES } from "../helpers";
import { labSchema } from "../../config/schema";

/** `lab` with every section but `keep` replaced by a value that throws when read. */
function onlySections(lab: LabConfig, keep: readonly string[]): LabConfig {
  const guarded: Record<string, unknown> = {};
  for (const section of SECTIONS) {
    guarded[section] = keep.includes(section)
      ? (lab as Record<string, unknown>)[section]
      : new Proxy({}, { get: (_t, key) => { throw new Error(`read ${section}.${String(key)}, which it does not declare`); } });
  }
  return guarded as unknown as LabConfig;
}

/** Labs that make the rules take their other branches: the default, and every invalid fixture the schema accepts. */
const LABS: { name: string; lab: LabConfig }[] = [
  { name: "default", lab: loadLab() },
  { name: "no Pi", lab: validLab(labWith({ raspberryPi: undefined })) },
  ...fixtureNames("invalid").flatMap((name) => {
    const fixture = parse(readFileSync(join(FIXTURES, "invalid", `${name}.yaml`), "utf8"));
    if (!fixture.set) return [];
    const changes = Object.fromEntries(Object.entries(fixture.set).map(([k, v]) => [k, v === null ? undefined : v]));
    const typed = labSchema.safeParse(labWith(changes));
    return typed.success ? [{ name, lab: typed.data }] : [];
  }),
];

test("every rule declares the sections it reads", () => {
  expect([...RULE_NEEDS.keys()]).toEqual(RULES);
  for (const needs of RULE_NEEDS.values()) for (const section of needs) expect(SECTIONS).toContain(section);
});

test("there are labs taking the rules' branches", () => {
  expect(LABS.length).toBeGreaterThan(25);
});

test.each(RULES.map((rule) => [rule.name, rule] as const))("rule %s reads only the sections it declares", (_name, rule) => {
  const needs = RULE_NEEDS.get(rule) ?? [];
  for (const { name, lab } of LABS) {
    expect(() => rule(onlySections(lab, needs))).not.toThrow();
    // And it finds the same problems as on the whole lab.
    expect([name, rule(onlySections(lab, needs))]).toEqual([name, rule(lab)]);
  }
});

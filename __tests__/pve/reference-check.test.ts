/**
 * scripts/check-pve-reference.ts on a folder laid out like the installer's test resources, made
 * here from the project's own fixtures (the real folder is reference data outside the project;
 * `npm run pve:reference -- ../shared/pve-installer` runs it, CI too when the folder is there).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkReferenceCases } from "../../scripts/check-pve-reference";
import { FIXTURES } from "../helpers";

const OWN = join(FIXTURES, "pve-answers");
let folder: string;

beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), "homelab-pve-reference-"));
  const machine = JSON.parse(readFileSync(join(OWN, "machine.json"), "utf8"));
  const udev = { nics: machine.nics, disks: Object.fromEntries(Object.entries(machine.disks).map(([i, d]: [string, any]) => [i, d.props])) };
  writeFileSync(join(folder, "run-env-udev.json"), JSON.stringify(udev));
  const disks = Object.entries(machine.disks).map(([i, d]: [string, any]) => [Number(i), d.path, 1000, "model", 512, `/sys/block/${d.path.slice(5)}`]);
  writeFileSync(join(folder, "run-env-info.json"), JSON.stringify({ disks }));
  mkdirSync(join(folder, "parse_answer"));
  mkdirSync(join(folder, "parse_answer_fail"));
  const ok = readFileSync(join(OWN, "accepted", "static-network-serial-filter.toml"), "utf8");
  writeFileSync(join(folder, "parse_answer", "static.toml"), ok);
  writeFileSync(join(folder, "parse_answer", "tuned.toml"), ok.replace('filesystem = "ext4"', 'filesystem = "ext4"\nlvm.swapsize = 4'));
  writeFileSync(join(folder, "parse_answer_fail", "no_domain.toml"), ok.replace("pve-01.home.arpa", "pve-01"));
  // A case the model would get wrong: accepted by "the installer" here, refused by the model.
  writeFileSync(join(folder, "parse_answer_fail", "actually_fine.toml"), ok);
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

test("judges every case that uses only modelled keys, skips the others with the keys named", () => {
  const results = checkReferenceCases(folder);
  expect(results.map((r) => [r.name, r.verdict])).toEqual([
    ["parse_answer/static", "agree"],
    ["parse_answer/tuned", "skipped"],
    ["parse_answer_fail/actually_fine", "disagree"],
    ["parse_answer_fail/no_domain", "agree"],
  ]);
  expect(results.find((r) => r.name === "parse_answer/tuned")?.detail).toContain("disk-setup.lvm");
  expect(results.find((r) => r.name === "parse_answer_fail/no_domain")?.detail).toContain("has no domain");
});

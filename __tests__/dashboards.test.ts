/**
 * The provisioned dashboards' LogQL. Panels over node journals must match what K3s and the kernel
 * really write: K3s logs to stdout, which journald stores at priority "info", so a `level` label
 * filter would always be empty; container OOM kills say "Memory cgroup out of memory".
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

const DIR = join(__dirname, "..", "dashboards");

function expressions(): { file: string; title: string; expr: string }[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith(".json"))
    .flatMap((file) => {
      const dashboard = JSON.parse(readFileSync(join(DIR, file), "utf8"));
      return (dashboard.panels ?? []).flatMap((panel: any) =>
        (panel.targets ?? []).map((t: any) => ({ file, title: panel.title as string, expr: t.expr as string })),
      );
    });
}

test("every panel has a LogQL expression on a stream selector", () => {
  const all = expressions();
  expect(all.length).toBeGreaterThan(5);
  for (const e of all) expect([e.file, e.title, /\{[^}]*=/.test(e.expr)]).toEqual([e.file, e.title, true]);
});

test("journal panels filter on the log text, never on the journald level of K3s's stdout", () => {
  for (const e of expressions().filter((x) => x.expr.includes('job="node/journal"'))) {
    expect([e.title, /level\s*=~?\s*"/.test(e.expr.split("}")[0])]).toEqual([e.title, false]);
  }
});

test("OOM kills are matched case-insensitively (cgroup OOMs say 'Memory cgroup out of memory')", () => {
  const oom = expressions().find((e) => /out of memory/i.test(e.expr));
  expect(oom?.expr).toContain("(?i)out of memory");
});

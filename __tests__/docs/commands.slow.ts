/**
 * Every runnable documented command (commands-plan.ts) runs once, in reading order, in a scratch
 * copy of the working tree: tracked and new files, node_modules linked, git-ignored files such as
 * the inventory left out, as in a fresh clone. Minutes on a loaded machine: `npm run test:slow`
 * (.ci/run), not npm test. ansible-playbook lines run with --syntax-check added.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { hasAnsible, ROOT, runs } from "./commands-plan";
import { stripComment } from "./doc-commands";

describe("each runnable documented command, in a scratch copy of the working tree", () => {
  let clone: string;
  beforeAll(() => {
    clone = mkdtempSync(join(tmpdir(), "homelab-doc-commands-"));
    const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
      .split("\0")
      .filter((f) => f !== "" && existsSync(join(ROOT, f)));
    for (const file of files) {
      mkdirSync(dirname(join(clone, file)), { recursive: true });
      copyFileSync(join(ROOT, file), join(clone, file));
    }
    symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"), "dir");
  });
  afterAll(() => rmSync(clone, { recursive: true, force: true }));

  // What the user's shell would not have: this test's own settings.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(HOMELAB_|CDKTF_|TF_VAR_|K3S_TOKEN$|ANSIBLE_)/.test(name)),
  );

  for (const run of runs) {
    const name = `${run.where.join(", ")}: ${stripComment(run.command)}`;
    const skip = run.needsAnsible && !hasAnsible;
    (skip ? test.skip : test)(name, () => {
      const result = spawnSync("bash", ["-c", `set -eo pipefail\n${run.script}`], {
        cwd: clone,
        env: { ...env, NO_COLOR: "1", ANSIBLE_NOCOLOR: "1", ANSIBLE_FORCE_COLOR: "0" },
        encoding: "utf8",
        timeout: 120_000,
      });
      if (result.status !== 0) {
        throw new Error(
          `exit ${result.status} from (in ${clone}):\n${run.script}\n--- stdout\n${result.stdout.slice(-3000)}\n--- stderr\n${result.stderr.slice(-3000)}`,
        );
      }
    }, 150_000);
  }
});

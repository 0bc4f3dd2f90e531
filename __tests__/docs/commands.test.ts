/**
 * Every shell command written in README.md and docs/ works as written. This file (npm test) checks
 * that each is found and either runs here or is listed with a reason; commands.slow.ts (npm run
 * test:slow, run by .ci/run) runs them. Each one that can run offline runs once, in reading order, in a scratch copy of the working tree (tracked and new
 * files, node_modules linked), from the repository root or the directory the doc `cd`s into:
 * npm scripts, and every `ansible-playbook` line with `--syntax-check` added. Every other command
 * matches one entry of NOT_RUN, which says why it cannot run here; a command that is neither
 * fails this test, so a new documented command is either run or listed.
 *
 * How a line is read: `\` continuations join, `#` comments and `console` output are skipped, a
 * `$ ` prompt is dropped; `A=1 cmd` is classified as `cmd` and run as written; `a && b` runs as
 * written when every part runs here, otherwise its runnable parts run alone; `cd dir` and
 * `export NAME=value` lines apply to the commands after them in their block. The copy holds the
 * working tree as it is (uncommitted edits included, git-ignored files such as the inventory
 * left out, as in a fresh clone).
 *
 * ansible-playbook comes from Debian's ansible (.ci/run installs it). Without it the Ansible
 * commands are skipped and named, unless HOMELAB_REQUIRE_ANSIBLE=1 (set by .ci/run) makes that a
 * failure.
 */
import { classify, documented, hasAnsible, notRun, requireAnsible, runs, unknown, unused } from "./commands-plan";
import { segments } from "./doc-commands";

describe("the documented commands", () => {
  test("are found in README.md and docs/ (the extraction itself works)", () => {
    expect(documented.commands.length).toBeGreaterThan(40);
    expect(runs.some((r) => r.command.startsWith("ansible-playbook -i ansible/inventory/hosts.yaml ansible/playbooks/pve-cluster.yml"))).toBe(true);
    expect(notRun.some((n) => n.command.startsWith("npm run deploy"))).toBe(true);
  });

  test("are each either run here or listed in NOT_RUN with a reason", () => {
    expect(unknown).toEqual([]);
  });

  test("NOT_RUN has no entry that matches no documented command", () => {
    expect(unused).toEqual([]);
  });

  test("sit in labelled blocks (```sh): an unlabelled block of commands would go unchecked", () => {
    // A transcript (`$ npm run synth` then its output) belongs in a ```console block.
    const commandLike = documented.unlabelled.filter((u) =>
      segments(u.firstLine.replace(/^\$ /, "")).some((s) => classify(s).kind !== "unknown"),
    );
    expect(commandLike.map((u) => `${u.file}:${u.line}: ${u.firstLine}`)).toEqual([]);
  });

  test("ansible-playbook is here, or the commands that need it are named", () => {
    const skipped = runs.filter((r) => r.needsAnsible).map((r) => `${r.where[0]}: ${r.command}`);
    if (!hasAnsible && requireAnsible) {
      throw new Error(`ansible-playbook is not installed and HOMELAB_REQUIRE_ANSIBLE=1: cannot run\n${skipped.join("\n")}`);
    }
    if (!hasAnsible) {
      console.warn(`ansible-playbook is not installed (apt-get install ansible; .ci/run does): not run:\n${skipped.join("\n")}`);
    }
    expect(skipped.length).toBeGreaterThan(0);
  });
});


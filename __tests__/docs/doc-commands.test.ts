/** How commands are read out of Markdown (the commands test relies on it). */
import { extractCommands, segments, stripComment } from "./doc-commands";

const SAMPLE = [
  "Intro `npm run inline` is prose, not a command.",
  "```sh",
  "# a comment line",
  "npm run inventory   # trailing comment",
  "",
  "export K3S_TOKEN=\"$(terraform -chdir=x show -json \\",
  "  | jq -r .x)\"",
  "```",
  "1. In a list:",
  "   ```bash",
  "   HOMELAB_CONFIG=examples/lab.yaml npm run doctor",
  "   ```",
  "```console",
  "$ npm run synth",
  "homelab: output, not a command",
  "```",
  "```yaml",
  "key: value",
  "```",
  "```",
  "npm run unlabelled",
  "```",
].join("\n");

describe("extractCommands", () => {
  const { commands, unlabelled } = extractCommands("sample.md", SAMPLE);

  test("reads sh, bash and console blocks, skips comments, output and other languages", () => {
    expect(commands.map((c) => [c.line, c.text])).toEqual([
      [4, "npm run inventory   # trailing comment"],
      [6, 'export K3S_TOKEN="$(terraform -chdir=x show -json \\\n  | jq -r .x)"'],
      [11, "HOMELAB_CONFIG=examples/lab.yaml npm run doctor"],
      [14, "npm run synth"],
    ]);
  });

  test("numbers blocks, so that exports stay within theirs", () => {
    expect(commands.map((c) => c.block)).toEqual([1, 1, 2, 3]);
  });

  test("reports unlabelled blocks with their first line", () => {
    expect(unlabelled).toEqual([{ file: "sample.md", line: 21, firstLine: "npm run unlabelled" }]);
  });
});

describe("segments", () => {
  test("splits chains outside quotes and $( ), drops env prefixes, comments and a subshell", () => {
    expect(segments("npm ci && npm run synth    # install")).toEqual(["npm ci", "npm run synth"]);
    expect(segments("(cd ansible && ansible-playbook playbooks/upgrade.yml)")).toEqual(["cd ansible", "ansible-playbook playbooks/upgrade.yml"]);
    expect(segments("A=1 B='x y' npm run doctor; kubectl get nodes")).toEqual(["npm run doctor", "kubectl get nodes"]);
    expect(segments('export T="$(terraform show -json \\\n  | jq -r \'.a && .b\')"')).toEqual([`export T="$(terraform show -json | jq -r '.a && .b')"`]);
    expect(segments("kubectl get secret x | base64 -d > ca.crt")).toEqual(["kubectl get secret x | base64 -d > ca.crt"]);
  });

  test("keeps a # inside quotes", () => {
    expect(stripComment("echo '#not' # comment")).toBe("echo '#not'");
  });
});

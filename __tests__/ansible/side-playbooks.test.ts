import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

const ROOT = join(__dirname, "..", "..");
const read = (...parts: string[]): string => readFileSync(join(ROOT, ...parts), "utf8");

type Task = Record<string, unknown>;

/** Every task of a list, descending into blocks (block/rescue/always). */
function flattenTasks(tasks: Task[] | undefined): Task[] {
  return (tasks ?? []).flatMap((task) => [
    task,
    ...flattenTasks(task.block as Task[] | undefined),
    ...flattenTasks(task.rescue as Task[] | undefined),
    ...flattenTasks(task.always as Task[] | undefined),
  ]);
}

const SYSTEMCTL_VERB: Record<string, string> = { started: "start", stopped: "stop", restarted: "restart" };

const escapeRegex = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The shell command a runbook reader types for one playbook task, as a regex: the k3s binary is
 * `k3s`, any other Jinja expression stands for a value the reader substitutes (one word).
 */
function commandPattern(task: Task): string | undefined {
  const command = task["ansible.builtin.command"] as { argv?: string[] } | undefined;
  const systemd = task["ansible.builtin.systemd"] as { name?: string; state?: string } | undefined;
  const file = task["ansible.builtin.file"] as { path?: string; state?: string } | undefined;
  let words: string[] | undefined;
  if (command?.argv) words = command.argv;
  else if (systemd?.state) words = ["systemctl", SYSTEMCTL_VERB[systemd.state] ?? systemd.state, systemd.name ?? ""];
  else if (file?.state === "absent" && file.path) words = ["rm", "-rf", file.path];
  if (!words) return undefined;
  return words
    .map((word) => word.replace("{{ etcd_restore_k3s }}", "k3s").replace("/usr/local/bin/k3s", "k3s"))
    .map((word) => word.split(/\{\{.*?\}\}/).map(escapeRegex).join("\\S+"))
    .join(" ");
}

/** Commands the playbook runs that the runbook does not show. */
function commandsMissingFromRunbook(playbookYaml: string, runbook: string): string[] {
  const plays = parse(playbookYaml) as { tasks?: Task[] }[];
  return plays
    .flatMap((play) => flattenTasks(play.tasks))
    .map(commandPattern)
    .filter((pattern): pattern is string => pattern !== undefined)
    .filter((pattern) => !new RegExp(pattern).test(runbook));
}

describe("etcd restore playbook and runbook", () => {
  const playbook = read("ansible", "playbooks", "etcd-restore.yml");
  const runbook = read("docs", "runbooks", "restore-etcd.md");

  it("shows in the runbook every command the playbook runs", () => {
    expect(commandsMissingFromRunbook(playbook, runbook)).toEqual([]);
  });

  it("covers the restore's essential commands", () => {
    const patterns = (parse(playbook) as { tasks?: Task[] }[])
      .flatMap((play) => flattenTasks(play.tasks))
      .map(commandPattern)
      .filter((pattern): pattern is string => pattern !== undefined);
    expect(patterns).toEqual(
      expect.arrayContaining([
        "systemctl stop k3s",
        "k3s server --cluster-reset --cluster-reset-restore-path=\\S+",
        "systemctl start k3s",
        "rm -rf /var/lib/rancher/k3s/server/db",
      ]),
    );
  });

  it("fails when the runbook drops a step of the playbook", () => {
    const withoutReset = runbook.replace(/.*--cluster-reset-restore-path.*\n/g, "");
    expect(commandsMissingFromRunbook(playbook, withoutReset)).toEqual([
      "k3s server --cluster-reset --cluster-reset-restore-path=\\S+",
    ]);
  });
});

/** Tasks that handle a secret (the TFC agent token, the Proxmox API token) without no_log. */
function secretTasksWithoutNoLog(tasks: Task[]): string[] {
  return tasks
    .filter((task) => {
      const args = Object.entries(task)
        .filter(([key]) => key.startsWith("ansible.") && key !== "ansible.builtin.assert")
        .map(([, value]) => JSON.stringify(value))
        .join(" ");
      const writesAgentToken = args.includes("tfc_agent_token");
      const createsApiToken = /"token","add"/.test(args);
      return (writesAgentToken || createsApiToken) && task.no_log !== true;
    })
    .map((task) => String(task.name));
}

describe("secrets in the side roles", () => {
  const rolesDir = join(ROOT, "ansible", "roles");
  const roleTasks = readdirSync(rolesDir).flatMap((role) =>
    ["tasks", "handlers"].flatMap((kind) => {
      let files: string[] = [];
      try {
        files = readdirSync(join(rolesDir, role, kind)).filter((file) => file.endsWith(".yml"));
      } catch {
        return [];
      }
      return files.flatMap((file) => flattenTasks(parse(read("ansible", "roles", role, kind, file)) as Task[]));
    }),
  );

  it("hides every task that writes the agent token or creates the API token", () => {
    const secretTasks = roleTasks.filter((task) => secretTasksWithoutNoLog([{ ...task, no_log: false }]).length > 0);
    expect(secretTasks.map((task) => task.name)).toEqual(
      expect.arrayContaining([
        "Write the agent's environment file",
        expect.stringMatching(/^Create the API token/),
      ]),
    );
    expect(secretTasksWithoutNoLog(roleTasks)).toEqual([]);
  });

  it("fails when such a task loses no_log", () => {
    const leaky: Task = {
      name: "Write the token somewhere",
      "ansible.builtin.copy": { dest: "/etc/x", content: "{{ tfc_agent_token }}" },
    };
    expect(secretTasksWithoutNoLog([leaky])).toEqual(["Write the token somewhere"]);
  });
});

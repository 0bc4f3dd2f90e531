/**
 * Issue 13's acceptance: each synthesized stack directory is all a run needs. The k3s and platform
 * stacks are synthesized (local state, then Terraform Cloud), each `cdktf.out/stacks/<stack>` is
 * copied alone to a scratch folder, and every file path its JSON names (asset folders, local-exec
 * working directories, scripts and their path arguments, local charts, file() reads, local_file
 * targets) must resolve to an existing file inside that copy. The only path allowed to leave the
 * folder is local state (the backend, at the project root), and only in local mode.
 */
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { buildLab } from "../../stacks/lab";
import { synthesizeLab } from "../../stacks/synth";
import { labWith, loadLab, validLab } from "../helpers";

type Json = Record<string, any>;

/** Synthesizes the lab and copies each stack directory alone into its own scratch folder. */
function synthAndCopy(lab: ReturnType<typeof loadLab>): Record<string, { dir: string; json: Json }> {
  const out = mkdtempSync(join(tmpdir(), "self-contained-out-"));
  synthesizeLab(lab, out, (app, l) => buildLab(app, l).destroyAllowed, false);
  const copies: Record<string, { dir: string; json: Json }> = {};
  for (const stack of ["infra", "k3s", "platform"]) {
    const dir = join(mkdtempSync(join(tmpdir(), `scratch-${stack}-`)), stack);
    cpSync(join(out, "stacks", stack), dir, { recursive: true });
    copies[stack] = { dir, json: JSON.parse(readFileSync(join(dir, "cdk.tf.json"), "utf8")) };
  }
  return copies;
}

interface PathUse {
  readonly where: string;
  readonly path: string;
  /** Folder the path is relative to (a local-exec's working_dir), relative to the stack directory. */
  readonly base?: string;
  readonly kind: "file" | "dir" | "any";
}

/** `${path.root}/x`, `${path.module}/x` -> `./x`; other interpolations are not paths. */
const unroot = (p: string) => p.replace(/^\$\{path\.(root|module)\}\/?/, "./");

/** Every file path the stack's JSON names, with where it was found. */
function pathUses(json: Json): PathUse[] {
  const uses: PathUse[] = [];
  for (const [type, byName] of Object.entries<Record<string, Json>>(json.resource ?? {})) {
    for (const [name, body] of Object.entries(byName)) {
      const at = `${type}.${name}`;
      if (type === "helm_release" && !body.repository) uses.push({ where: `${at}.chart`, path: body.chart, kind: "dir" });
      if (type === "local_file") uses.push({ where: `${at}.filename`, path: body.filename, kind: "any" });
      for (const [i, p] of (body.provisioner ?? []).entries()) {
        const exec = p["local-exec"];
        if (!exec) continue;
        const base = exec.working_dir ?? ".";
        if (exec.working_dir) uses.push({ where: `${at}.provisioner[${i}].working_dir`, path: exec.working_dir, kind: "dir" });
        // Quoted words of the command that look like files: scripts, playbooks, inventories.
        for (const [, word] of String(exec.command).matchAll(/['"]([^'"]+\.(?:sh|ya?ml|py|cfg|json))['"]/g)) {
          uses.push({ where: `${at}.provisioner[${i}].command`, path: word, base, kind: "file" });
        }
        for (const [key, value] of Object.entries<string>(exec.environment ?? {})) {
          if (/(_DIR|_FILE|_PATH|^KUBECONFIG|^ANSIBLE_CONFIG)$/.test(key)) uses.push({ where: `${at}.provisioner[${i}].environment.${key}`, path: value, base, kind: "any" });
        }
      }
    }
  }
  // file(), filebase64(), templatefile(), fileset() anywhere in the JSON.
  for (const [, fn, arg] of JSON.stringify(json).matchAll(/\b(file|filebase64|filesha256|templatefile|fileset)\(\\?"([^"\\]+)\\?"/g)) {
    uses.push({ where: `${fn}()`, path: arg, kind: fn === "fileset" ? "dir" : "file" });
  }
  return uses;
}

/** Problems: paths that leave the stack directory or name nothing there. */
function outsideOrMissing(dir: string, json: Json): string[] {
  const problems: string[] = [];
  for (const use of pathUses(json)) {
    const raw = unroot(use.path);
    if (raw.includes("${")) {
      problems.push(`${use.where}: "${use.path}" is computed by Terraform; a stack's paths must be plain, inside its directory`);
      continue;
    }
    const full = isAbsolute(raw) ? raw : resolve(dir, use.base ? unroot(use.base) : ".", raw);
    const rel = relative(dir, full);
    if (rel.startsWith("..") || isAbsolute(rel)) {
      problems.push(`${use.where}: "${use.path}" is outside the stack directory`);
    } else if (use.kind !== "any" && !existsSync(full)) {
      problems.push(`${use.where}: "${use.path}" does not exist in the stack directory`);
    } else if (use.kind === "dir" && !statSync(full).isDirectory()) {
      problems.push(`${use.where}: "${use.path}" is not a folder`);
    }
  }
  // Any other string that climbs out (../) is a path too, except the local backend's state files.
  const climbing = [...JSON.stringify(json).matchAll(/"([^"]*\.\.\/[^"]*)"/g)].map((m) => m[1]);
  for (const path of climbing.filter((p) => !/^\.\.\/\.\.\/\.\.\/terraform\.[a-z0-9-]+\.tfstate$/.test(p))) {
    problems.push(`"${path}" climbs out of the stack directory`);
  }
  return problems;
}

const modes = {
  local: () => synthAndCopy(loadLab()),
  "Terraform Cloud": () => synthAndCopy(validLab(labWith({ terraformCloud: { organization: "my-homelab" }, "raspberryPi.terraformCloudAgent": true }))),
} as const;

describe.each(Object.keys(modes) as (keyof typeof modes)[])("%s mode: each stack directory alone is enough", (mode) => {
  const copies = modes[mode]();

  test.each(["k3s", "platform"])("%s: every path resolves inside its copy", (stack) => {
    const { dir, json } = copies[stack];
    expect(pathUses(json).length).toBeGreaterThan(5);
    expect(outsideOrMissing(dir, json)).toEqual([]);
  });

  test("the infra stack too", () => {
    expect(outsideOrMissing(copies.infra.dir, copies.infra.json)).toEqual([]);
  });

  test("no kubeconfig file anywhere, no secret-bearing file in the copies", () => {
    for (const { json } of Object.values(copies)) expect(JSON.stringify(json)).not.toMatch(/\.kube\/|kubeconfig_path|config_path/);
  });

  test("the Ansible copy holds the playbooks, the roles they name and the inventory", () => {
    const { dir, json } = copies.k3s;
    const site = Object.entries<Json>(json.resource.null_resource).find(([id]) => id.startsWith("site_"))![1];
    const work = join(dir, site.provisioner[0]["local-exec"].working_dir);
    for (const file of ["ansible.cfg", "requirements.yml", "inventory/hosts.yaml", "playbooks/site.yml", "roles/k3s_server/tasks/custom_ca.yml"]) {
      expect(existsSync(join(work, file))).toBe(true);
    }
    expect(readFileSync(join(work, "ansible.cfg"), "utf8")).toMatch(/^roles_path = roles$/m);
  });

  if (mode === "Terraform Cloud") {
    test("state comes from the Terraform Cloud workspaces, never from a file", () => {
      for (const { json } of Object.values(copies)) {
        expect(json.terraform.backend).toBeUndefined();
        expect(json.terraform.cloud.organization).toBe("my-homelab");
        for (const remote of Object.values<Json>(json.data?.terraform_remote_state ?? {})) expect(remote.backend).toBe("remote");
      }
    });
  }
});

const ansible = spawnSync("ansible-playbook", ["--version"]).status === 0;
(ansible || process.env.HOMELAB_REQUIRE_ANSIBLE === "1" ? test : test.skip)(
  "ansible-playbook finds every role and the inventory inside the k3s copy (--syntax-check of site.yml and upgrade.yml)",
  () => {
    const { dir, json } = modes.local().k3s;
    for (const [, run] of Object.entries<Json>(json.resource.null_resource)) {
      const exec = run.provisioner[0]["local-exec"];
      const playbook = /'(playbooks\/[^']+)'$/.exec(exec.command)![1];
      const check = spawnSync("ansible-playbook", ["-i", "inventory/hosts.yaml", "--syntax-check", playbook], {
        cwd: join(dir, exec.working_dir),
        encoding: "utf8",
        // Only the copy's own ansible.cfg: no roles path from this machine's environment.
        env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "ANSIBLE_ROLES_PATH")), ANSIBLE_CONFIG: "ansible.cfg" },
      });
      expect({ playbook, status: check.status, out: check.status ? check.stdout + check.stderr : "" }).toEqual({ playbook, status: 0, out: "" });
    }
  },
  60000,
);

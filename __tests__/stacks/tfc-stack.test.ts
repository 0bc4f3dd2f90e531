/**
 * The tfc stack: Terraform Cloud as code for a lab with `terraformCloud`. Snapshot plus the
 * assertions that matter (agent mode on the lab's pool, state shared only with the reader, every
 * variable a run needs and never a secret literal), and every tfe_* block checked against the
 * attributes of the prebuilt provider bindings (@cdktf/provider-tfe, hashicorp/tfe 0.71.0).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { buildLab } from "../../stacks/lab";
import { TfcStack } from "../../stacks/tfc-stack";
import { labWith, loadLab, synthJson, validLab } from "../helpers";

type Json = Record<string, any>;
const TFC = { terraformCloud: { organization: "my-homelab" }, "raspberryPi.terraformCloudAgent": true };

function tfcJson(changes: Record<string, unknown> = {}): Json {
  const lab = buildLab(Testing.app(), validLab(labWith({ ...TFC, ...changes })));
  return synthJson(lab.tfc!);
}

const json = tfcJson();
const byName = (type: string, pick: (r: Json) => string): Record<string, Json & { id: string }> =>
  Object.fromEntries(Object.entries<Json>(json.resource[type]).map(([id, r]) => [pick(r), { ...r, id }]));
const workspaces = byName("tfe_workspace", (w) => w.name);
const ref = (type: string, id: string) => `\${${type}.${id}.id}`;
const wsRef = (name: string) => ref("tfe_workspace", workspaces[name].id);
const settingsOf = (name: string) => Object.values<Json>(json.resource.tfe_workspace_settings).find((s) => s.workspace_id === wsRef(name))!;
const variablesOf = (name: string) => Object.values<Json>(json.resource.tfe_variable).filter((v) => v.workspace_id === wsRef(name));

test("snapshot of the default lab with Terraform Cloud", () => {
  expect(json).toMatchSnapshot();
});

test("only with terraformCloud: a lab without it has no tfc stack", () => {
  expect(buildLab(Testing.app(), loadLab()).tfc).toBeUndefined();
  expect(() => new TfcStack(Testing.app(), "tfc", { lab: loadLab(), stacks: {} })).toThrow("TfcStack: homelab.yaml has no terraformCloud section");
});

test("keeps its own local state at the project root, the token stays terraform login's", () => {
  expect(json.terraform.backend.local.path).toBe("../../../terraform.tfc.tfstate");
  expect(json.terraform.cloud).toBeUndefined();
  expect(json.provider.tfe).toEqual([{ hostname: "app.terraform.io" }]);
});

test("one workspace per stack, named as the stacks' cloud blocks name them, in the lab's project, Terraform pinned", () => {
  expect(Object.keys(workspaces).sort()).toEqual(["homelab-infra", "homelab-k3s", "homelab-platform"]);
  const [projectId] = Object.keys(json.resource.tfe_project);
  for (const w of Object.values(workspaces)) {
    expect(w).toMatchObject({ project_id: ref("tfe_project", projectId), terraform_version: "1.14.9", auto_apply: false });
    expect(w.organization).toMatch(/^\$\{data\.tfe_organization\.[^}]+\.name\}$/);
  }
  const lab = buildLab(Testing.app(), validLab(labWith(TFC)));
  for (const stack of [lab.infra, lab.k3s, lab.platform]) {
    expect(workspaces).toHaveProperty(synthJson(stack).terraform.cloud.workspaces.name);
  }
});

test("every workspace runs in agent mode on the lab's pool, which only they may use", () => {
  const [poolId, pool] = Object.entries<Json>(json.resource.tfe_agent_pool)[0];
  expect(pool).toMatchObject({ name: "homelab-lan", organization_scoped: false });
  const [allowedId, allowed] = Object.entries<Json>(json.resource.tfe_agent_pool_allowed_workspaces)[0];
  expect(allowed.agent_pool_id).toBe(ref("tfe_agent_pool", poolId));
  expect([...allowed.allowed_workspace_ids].sort()).toEqual(Object.keys(workspaces).map(wsRef).sort());
  for (const name of Object.keys(workspaces)) {
    expect(settingsOf(name)).toMatchObject({
      execution_mode: "agent",
      agent_pool_id: ref("tfe_agent_pool", poolId),
      global_remote_state: false,
      depends_on: [`tfe_agent_pool_allowed_workspaces.${allowedId}`],
    });
  }
});

test("the agent token is a sensitive output, for the Pi playbook", () => {
  const [tokenId] = Object.keys(json.resource.tfe_agent_token);
  expect(json.output.agent_token).toMatchObject({ sensitive: true, value: `\${tfe_agent_token.${tokenId}.token}` });
});

test("state is shared exactly with the workspace that reads it: infra with k3s, k3s with platform", () => {
  expect(settingsOf("homelab-infra").remote_state_consumer_ids).toEqual([wsRef("homelab-k3s")]);
  expect(settingsOf("homelab-k3s").remote_state_consumer_ids).toEqual([wsRef("homelab-platform")]);
  expect(settingsOf("homelab-platform").remote_state_consumer_ids).toEqual([]);
  // ...which is what the stacks read: each terraform_remote_state names the workspace it shares with.
  const app = Testing.app();
  buildLab(app, validLab(labWith(TFC)));
  app.synth();
  const read = (s: string) => JSON.parse(readFileSync(join(app.outdir, "stacks", s, "cdk.tf.json"), "utf8"));
  expect(Object.values<Json>(read("k3s").data.terraform_remote_state).map((r) => r.config.workspaces.name)).toEqual(["homelab-infra"]);
  expect(Object.values<Json>(read("platform").data.terraform_remote_state).map((r) => r.config.workspaces.name)).toEqual(["homelab-k3s"]);
  expect(read("infra").data?.terraform_remote_state).toBeUndefined();
});

test("no run triggers: cdktf deploy runs the stacks in order, each with the configuration it just uploaded", () => {
  expect(json.resource.tfe_run_trigger).toBeUndefined();
});

test("the infra runs get the Proxmox API token and the agent's SSH key as sensitive environment variables", () => {
  expect(variablesOf("homelab-infra").map((v) => [v.key, v.category, v.sensitive, v.value])).toEqual([
    ["PROXMOX_VE_API_TOKEN", "env", true, "${var.proxmox_ve_api_token}"],
    ["PROXMOX_VE_SSH_PRIVATE_KEY", "env", true, "${var.agent_ssh_private_key}"],
  ]);
  expect(variablesOf("homelab-k3s")).toEqual([]);
});

test("every sensitive variable of every stack is set on its workspace from a sensitive input of the same name", () => {
  const lab = buildLab(Testing.app(), validLab(labWith(TFC)));
  for (const [stack, name] of [
    [lab.infra, "homelab-infra"],
    [lab.k3s, "homelab-k3s"],
    [lab.platform, "homelab-platform"],
  ] as const) {
    const wanted = Object.entries<Json>(synthJson(stack).variable ?? {})
      .filter(([, v]) => v.sensitive)
      .map(([key]) => key);
    const set = variablesOf(name).filter((v) => v.category === "terraform");
    expect(set.map((v) => v.key).sort()).toEqual([...wanted].sort());
    for (const v of set) {
      expect(v).toMatchObject({ sensitive: true, value: `\${var.${v.key}}` });
      expect(json.variable[v.key]).toMatchObject({ sensitive: true, type: "string" });
    }
  }
  expect(variablesOf("homelab-platform").map((v) => v.key).sort()).toEqual(["pve_exporter_token", "vaultwarden_admin_token"]);
  // An optional input keeps the stack's default: `cdktf deploy tfc` then needs it only when used.
  expect(json.variable.vaultwarden_admin_token.default).toBe("");
  expect(json.variable.pve_exporter_token.default).toBeUndefined();
});

test("with Let's Encrypt and an external ntfy, their tokens are set too; the break-glass URL is left to the workspace", () => {
  const more = tfcJson({
    "platform.tls.acme": { email: "me@example.org", publicDomain: "lab.example.org", dnsProvider: "cloudflare" },
    "platform.monitoring.ntfy.serverUrl": "https://ntfy.sh",
  });
  const keys = Object.values<Json>(more.resource.tfe_variable).map((v) => v.key);
  expect(keys).toEqual(expect.arrayContaining(["cloudflare_api_token", "ntfy_token"]));
  expect(keys).not.toContain("gitops_repo_url");
});

test("no secret literal: every value set in Terraform Cloud is a variable reference", () => {
  for (const v of Object.values<Json>(json.resource.tfe_variable)) expect(v.value).toMatch(/^\$\{var\.[a-z_]+\}$/);
  for (const v of Object.values<Json>(json.variable)) expect(v.sensitive).toBe(true);
});

test("the three workspaces stay far below the Free plan's 500 managed resources", () => {
  const lab = buildLab(Testing.app(), validLab(labWith(TFC)));
  const counted = [lab.infra, lab.k3s, lab.platform]
    .map((s) => synthJson(s).resource)
    .flatMap((resources) => Object.entries<Json>(resources).filter(([type]) => !["null_resource", "terraform_data"].includes(type)))
    .reduce((sum, [, byId]) => sum + Object.keys(byId).length, 0);
  // README "Terraform Cloud" states this figure for the default lab.
  expect(counted).toBe(94);
});

describe("every tfe_* block against the provider bindings' attributes", () => {
  const LIB = join(__dirname, "..", "..", "node_modules", "@cdktf", "provider-tfe", "lib");
  /** Attribute names the binding synthesizes, and the required ones of its config interface. */
  function schemaOf(type: string, data = false): { attributes: Set<string>; required: string[] } {
    const dir = join(LIB, data ? `data-${type.replace(/_/g, "-")}` : type.replace(/^tfe_/, "").replace(/_/g, "-"));
    const js = readFileSync(join(dir, "index.js"), "utf8");
    const body = /synthesizeAttributes\(\) \{\s*return \{([\s\S]*?)\};\s*\}/.exec(js)![1];
    const attributes = new Set([...body.matchAll(/^\s*([a-z_0-9]+):/gm)].map((m) => m[1]));
    const dts = readFileSync(join(dir, "index.d.ts"), "utf8");
    const config = /export interface \w+Config(?: extends cdktf\.TerraformMetaArguments)? \{([\s\S]*?)\n\}/.exec(dts)![1];
    const required = [...config.matchAll(/registry\.terraform\.io\/providers\/hashicorp\/tfe\/[^#]+#([a-z_0-9]+) [^\n]*\n\s*\*\/\n\s*readonly \w+:/g)].map((m) => m[1]);
    return { attributes, required };
  }
  const META = new Set(["depends_on", "lifecycle", "provider", "count", "for_each", "//"]);

  test.each(Object.keys(json.resource).map((t) => [t]))("%s", (type) => {
    const { attributes, required } = schemaOf(type);
    expect(attributes.size).toBeGreaterThan(1);
    for (const [id, body] of Object.entries<Json>(json.resource[type])) {
      const unknown = Object.keys(body).filter((k) => !META.has(k) && !attributes.has(k));
      const missing = required.filter((k) => body[k] === undefined);
      expect({ id, unknown, missing }).toEqual({ id, unknown: [], missing: [] });
    }
  });

  test("the organization data source and the provider block", () => {
    const data = schemaOf("tfe_organization", true);
    for (const body of Object.values<Json>(json.data.tfe_organization)) expect(Object.keys(body).filter((k) => k !== "//" && !data.attributes.has(k))).toEqual([]);
    const provider = schemaOf("provider");
    expect(Object.keys(json.provider.tfe[0]).filter((k) => !provider.attributes.has(k))).toEqual([]);
  });

  test("fails when a block names an attribute the provider does not have (planted typo)", () => {
    const { attributes } = schemaOf("tfe_workspace_settings");
    expect(attributes.has("execution_mode")).toBe(true);
    expect(attributes.has("execution_mod")).toBe(false);
    expect(schemaOf("tfe_variable").required.sort()).toEqual(["category", "key"]);
  });
});

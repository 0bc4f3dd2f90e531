/**
 * The costly mistakes a plan stops: deploying VMs with the shipped example SSH key (a
 * precondition on every VM), and destroying what holds data (prevent_destroy on the etcd VMs,
 * the join token, Longhorn and Terraform-owned volumes) unless the run lifts the guard by name.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Testing } from "cdktf";
import { parseAllowDestroy, type AllowDestroy } from "../../constructs/data-guard";
import { EXAMPLE_KEY_ERROR } from "../../stacks/infra-stack";
import { buildLab } from "../../stacks/lab";
import { runSynth } from "../../stacks/synth";
import { PUBLIC_KEY } from "../constructs/proxmox/fixtures";
import { FIXTURES, labWith, loadLab, synthJson, validLab } from "../helpers";

type Json = Record<string, any>;

function synthLab(raw: Json = labWith({}), allowDestroy?: AllowDestroy) {
  const app = Testing.app();
  const lab = buildLab(app, validLab(raw), allowDestroy === undefined ? {} : { allowDestroy });
  return { lab, infra: synthJson(lab.infra), k3s: synthJson(lab.k3s), platform: synthJson(lab.platform) };
}

/** `type.logicalId` of every resource whose lifecycle has prevent_destroy. */
function guarded(...stacks: Json[]): string[] {
  return stacks.flatMap((json) =>
    Object.entries(json.resource ?? {}).flatMap(([type, byId]) =>
      Object.entries(byId as Json)
        .filter(([, r]) => r.lifecycle?.prevent_destroy === true)
        .map(([id]) => `${type}.${id}`),
    ),
  );
}

const vmsOf = (infra: Json) => Object.values(infra.resource.proxmox_virtual_environment_vm) as Json[];
const REAL_KEYS = { "vm.sshPublicKeys": [PUBLIC_KEY] };

describe("the example SSH key", () => {
  test("the default lab (example key) synthesizes, and every VM carries a precondition that names the fix", () => {
    const { infra } = synthLab();
    const snippets = Object.keys(infra.resource.proxmox_virtual_environment_file);
    for (const [i, vm] of vmsOf(infra).entries()) {
      expect(vm.lifecycle.precondition).toEqual([
        {
          condition: `\${!strcontains(proxmox_virtual_environment_file.${snippets[i]}.source_raw[0].data, "example-key-replace-me")}`,
          error_message: EXAMPLE_KEY_ERROR,
        },
      ]);
    }
    expect(EXAMPLE_KEY_ERROR).toContain("Replace it with your own public key (cat ~/.ssh/id_ed25519.pub)");
  });

  test("with the user's own key there is no precondition", () => {
    const { infra } = synthLab(labWith(REAL_KEYS));
    for (const vm of vmsOf(infra)) expect(vm.lifecycle).not.toHaveProperty("precondition");
  });

  test("the example key among real ones still trips it", () => {
    const { infra } = synthLab(labWith({ "vm.sshPublicKeys": [PUBLIC_KEY, loadLab().vm.sshPublicKeys[0]] }));
    for (const vm of vmsOf(infra)) expect(vm.lifecycle.precondition).toHaveLength(1);
  });
});

/**
 * Terraform itself evaluates the condition, offline: the snippet's data (as synthesized) goes
 * into a terraform_data resource (built in, no provider to download), the condition reads it
 * there instead of from the Proxmox file, and `terraform plan` must fail with the message for
 * the example key and pass for a real one.
 */
const terraform = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;
if (!terraform) console.warn("terraform is not installed: the example-key precondition is not evaluated by terraform plan here");
(terraform ? describe : describe.skip)("the precondition, evaluated by terraform plan (offline)", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "homelab-precondition-"));
    writeFileSync(join(work, "terraformrc"), "");
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  function plan(dir: string, userData: string, precondition: { condition: string; error_message: string }) {
    const condition = precondition.condition.replace(
      /proxmox_virtual_environment_file\.[\w-]+\.source_raw\[0\]\.data/,
      "terraform_data.user_data.input",
    );
    const config = {
      resource: {
        terraform_data: {
          user_data: { input: userData },
          vm: { lifecycle: { precondition: [{ condition, error_message: precondition.error_message }] } },
        },
      },
    };
    const path = join(work, dir);
    rmSync(path, { recursive: true, force: true });
    mkdirSync(path);
    writeFileSync(join(path, "main.tf.json"), JSON.stringify(config));
    const env = { ...process.env, TF_CLI_CONFIG_FILE: join(work, "terraformrc"), TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" };
    const run = (args: string[]) => spawnSync("terraform", [`-chdir=${path}`, ...args], { env, encoding: "utf8" });
    const init = run(["init", "-input=false", "-no-color"]);
    if (init.status !== 0) throw new Error(`terraform init failed:\n${init.stderr}`);
    return run(["plan", "-input=false", "-no-color", "-refresh=false"]);
  }

  const exampleVm = () => {
    const { infra } = synthLab();
    const [snippet] = Object.values(infra.resource.proxmox_virtual_environment_file) as Json[];
    return { data: snippet.source_raw.data as string, precondition: vmsOf(infra)[0].lifecycle.precondition[0] };
  };

  test("fails with the example key, printing the fix", () => {
    const { data, precondition } = exampleVm();
    const result = plan("example", data, precondition);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("Resource precondition failed");
    expect(result.stderr.replace(/[│\s]+/g, " ")).toContain("Replace it with your own public key (cat ~/.ssh/id_ed25519.pub)");
  });

  test("passes with the user's key in the same user data", () => {
    const { data, precondition } = exampleVm();
    const own = synthLab(labWith(REAL_KEYS));
    const [snippet] = Object.values(own.infra.resource.proxmox_virtual_environment_file) as Json[];
    expect(snippet.source_raw.data).not.toBe(data);
    const result = plan("own", snippet.source_raw.data, precondition);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});

describe("destroy guards", () => {
  const { lab, infra, k3s, platform } = synthLab();

  test("prevent_destroy on the three etcd VMs, the join token, the cluster's CA keys, Longhorn and the Vaultwarden claim, nothing else", () => {
    expect(guarded(infra).map((a) => a.split(".")[0])).toEqual(Array(3).fill("proxmox_virtual_environment_vm"));
    expect(vmsOf(infra).every((vm) => vm.lifecycle.prevent_destroy === true)).toBe(true);
    const caKeys = Object.keys(k3s.resource.tls_private_key).filter((id) => !id.startsWith("cluster-ca_admin-key"));
    expect(caKeys).toHaveLength(6); // five CAs and the service-account key; the admin key is renewable
    expect(guarded(k3s).sort()).toEqual([`random_password.${Object.keys(k3s.resource.random_password)[0]}`, ...caKeys.map((id) => `tls_private_key.${id}`)].sort());
    const releases = platform.resource.helm_release as Json;
    const claims = platform.resource.kubernetes_persistent_volume_claim_v1 as Json;
    expect(guarded(platform).sort()).toEqual(
      [
        `helm_release.${Object.keys(releases).find((id) => releases[id].name === "longhorn")}`,
        `kubernetes_persistent_volume_claim_v1.${Object.keys(claims).find((id) => claims[id].metadata.name === "vaultwarden-data")}`,
      ].sort(),
    );
    expect(lab.destroyAllowed).toEqual([]);
  });

  test("the VM guard keeps the VM's other lifecycle settings", () => {
    for (const vm of vmsOf(infra)) expect(vm.lifecycle.ignore_changes).toEqual(["disk[0].file_id", "initialization[0].user_data_file_id"]);
  });

  test("allowDestroy all lifts every guard, in every stack", () => {
    const lifted = synthLab(labWith({}), "all");
    expect(guarded(lifted.infra, lifted.k3s, lifted.platform)).toEqual([]);
    expect(lifted.lab.destroyAllowed).toEqual(["k3s-master-1", "k3s-master-2", "k3s-master-3", "join-token", "cluster-ca", "longhorn", "vaultwarden-data"]);
    // Everything else is unchanged: the precondition stays.
    for (const vm of vmsOf(lifted.infra)) expect(vm.lifecycle.precondition).toHaveLength(1);
  });

  test("allowDestroy by name lifts only those (rebuilding one server)", () => {
    const lifted = synthLab(labWith({}), ["k3s-master-2"]);
    expect(vmsOf(lifted.infra).map((vm) => [vm.name, vm.lifecycle.prevent_destroy ?? false])).toEqual([
      ["k3s-master-1", true],
      ["k3s-master-2", false],
      ["k3s-master-3", true],
    ]);
    expect(guarded(lifted.k3s, lifted.platform)).toHaveLength(9);
  });

  test("without Vaultwarden there is no vaultwarden-data guard to lift", () => {
    const raw = labWith({ "platform.apps.vaultwarden.enabled": false });
    expect(() => synthLab(raw, ["vaultwarden-data"])).toThrow('allowDestroy (HOMELAB_ALLOW_DESTROY) names "vaultwarden-data"');
  });

  test("fails when allowDestroy names no guard, listing the guards", () => {
    expect(() => synthLab(labWith({}), ["k3s-mastr-2", "longhorn"])).toThrow(
      'allowDestroy (HOMELAB_ALLOW_DESTROY) names "k3s-mastr-2", which no guarded resource of this lab has; ' +
        "use some of cluster-ca, join-token, k3s-master-1, k3s-master-2, k3s-master-3, longhorn, vaultwarden-data, or all",
    );
  });
});

describe("parseAllowDestroy (HOMELAB_ALLOW_DESTROY)", () => {
  test("unset or empty lifts nothing; all; a comma-separated list", () => {
    expect(parseAllowDestroy(undefined)).toEqual([]);
    expect(parseAllowDestroy(" ")).toEqual([]);
    expect(parseAllowDestroy("all")).toBe("all");
    expect(parseAllowDestroy("k3s-master-2, longhorn,")).toEqual(["k3s-master-2", "longhorn"]);
  });
});

describe("synth with HOMELAB_ALLOW_DESTROY (runSynth, behind main.ts)", () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "homelab-allow-destroy-"));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const configFile = join(FIXTURES, "labs", "default.yaml");

  test("says which guards it lifted", () => {
    const outcome = runSynth({ configFile, outdir: join(work, "lifted"), underCdktfCli: true, terraformFound: true, allowDestroy: ["k3s-master-2"] });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.stderr).toContain("homelab: HOMELAB_ALLOW_DESTROY lifts the destroy guard of k3s-master-2: this run may destroy them");
  });

  test("refuses a name no guard has as the user's mistake, not a bug of the checks", () => {
    const outcome = runSynth({ configFile, outdir: join(work, "typo"), underCdktfCli: false, terraformFound: true, allowDestroy: ["k3s-master-9"] });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.stderr).toContain('homelab: allowDestroy (HOMELAB_ALLOW_DESTROY) names "k3s-master-9", which no guarded resource of this lab has');
    expect(outcome.stderr).not.toContain("bug");
    expect(outcome.stdout).toBe("");
  });
});

/**
 * Secrets hygiene: nothing this project synthesizes, generates or commits holds secret material.
 * Generated secrets live in Terraform state (sensitive), credentials in the environment.
 *
 * The planted secrets below are assembled from pieces at run time, so that this file itself
 * passes the scan of every tracked file.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadLabFile } from "../../config/load";
import { INVENTORY_FILE } from "../../config/paths";
import { renderInventory } from "../../constructs/ansible/inventory";
import { runSynth } from "../../stacks/synth";
import {
  checkStackSecrets,
  classifyKey,
  formatFindings,
  repositoryFiles,
  scanPaths,
  scanText,
} from "../../scripts/lib/secret-scan";
import { stringify } from "yaml";
import { FIXTURES, labWith } from "../helpers";

const ROOT = join(__dirname, "..", "..");

/**
 * What `npm run synth` writes: the function main.ts runs, called in this process (a tsx process
 * per synth cost seconds; __tests__/cli/main.slow.ts runs main.ts itself). `env` is set around it,
 * so a secret the user exports can be looked for in what is written.
 */
function synth(configFile: string, outdir: string, env: Record<string, string> = {}): void {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const outcome = runSynth({ configFile, outdir, underCdktfCli: false, debug: false, terraformFound: false });
    if (outcome.exitCode !== 0) throw new Error(`synth of ${configFile} failed:\n${outcome.stderr}`);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const piece = (...parts: string[]) => parts.join("");
const PASSWORD_KEY = piece("pass", "word");
const PEM_KEY = [
  piece("-----BEGIN ", "OPENSSH PRIVATE", " KEY-----"),
  piece("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW", "QyNTUxOQAAACBx"),
  piece("-----END ", "OPENSSH PRIVATE", " KEY-----"),
].join("\n");

let work: string;
let outdir: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "homelab-secrets-"));
  outdir = join(work, "cdktf.out");
  // What a user's `npm run synth` writes, for the default lab.
  synth(join(FIXTURES, "labs", "default.yaml"), outdir);
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Fails with every finding, and what to do about a deliberate one. */
function expectNoFindings(findings: ReturnType<typeof scanPaths>): void {
  if (findings.length === 0) return;
  throw new Error(
    `secret material found:\n${formatFindings(findings)}\n\nMove real secrets to Terraform state (random_password, sensitive) or ` +
      "the environment. A deliberate fake in a test (e.g. a literal that a construct must refuse): build it at run time, " +
      "or put a `secret-scan: allow` comment on its line.",
  );
}

function stackFiles(): string[] {
  const stacks = join(outdir, "stacks");
  return readdirSync(stacks).map((s) => join(stacks, s, "cdk.tf.json"));
}

describe("the default lab's output", () => {
  test("cdktf.out holds no secret material, the files copied into the stacks included", () => {
    expect(stackFiles().length).toBeGreaterThanOrEqual(3);
    // The Ansible tree, the inventory and gitops/ travel inside the stacks: the scan reads them too.
    expect(readdirSync(join(outdir, "stacks", "k3s", "assets")).length).toBeGreaterThan(0);
    expectNoFindings(scanPaths([outdir], work));
  });

  test("every output built from a generated secret, and every secret-named variable, is sensitive", () => {
    const problems = stackFiles().flatMap((file) =>
      checkStackSecrets(JSON.parse(readFileSync(file, "utf8"))).map((p) => `${file.slice(outdir.length + 1)}: ${p.path} ${p.message}`),
    );
    expect(problems).toEqual([]);
  });
});

test("in Terraform Cloud mode too (the tfc stack included): no secret material, every secret output and input sensitive", () => {
  const tfcOut = join(work, "cdktf.out.tfc");
  const config = join(work, "tfc.yaml");
  writeFileSync(config, stringify(labWith({ terraformCloud: { organization: "my-homelab" }, "raspberryPi.terraformCloudAgent": true })));
  synth(config, tfcOut);
  const stacks = readdirSync(join(tfcOut, "stacks")).sort();
  expect(stacks).toEqual(["infra", "k3s", "platform", "tfc"]);
  expectNoFindings(scanPaths([tfcOut], work));
  const problems = stacks.flatMap((s) => checkStackSecrets(JSON.parse(readFileSync(join(tfcOut, "stacks", s, "cdk.tf.json"), "utf8"))).map((p) => `${s}: ${p.path} ${p.message}`));
  expect(problems).toEqual([]);
}, 60_000);

test("every tracked or new file, every snapshot and the generated inventory hold no secret material", () => {
  const files = repositoryFiles(ROOT);
  // Snapshots are written by jest next to the tests; the inventory is generated from the config.
  expect(files.some((f) => f.endsWith(join("__tests__", "helpers.ts")))).toBe(true);
  const generated = [INVENTORY_FILE].map((f) => join(ROOT, f)).filter(existsSync);
  expectNoFindings(scanPaths([...files, ...generated], ROOT));
});

describe("an off-site backup lab (issue 16), with its deploy-time secrets in the environment", () => {
  // What a user exports before rpi.yml and npm run deploy: none of it may reach a generated file.
  const env = {
    HOMELAB_RESTIC_PASSWORD: piece("correct-horse-", "battery-staple-42"),
    HOMELAB_OFFSITE_ACCESS_KEY_ID: piece("0032a1b2c3d4e5f", "0000000001"),
    HOMELAB_OFFSITE_SECRET_ACCESS_KEY: piece("K003abcDEFghiJKLmno", "PQRstuVWXyz0123456789"),
    HOMELAB_OFFSITE_REST_PASSWORD: piece("rest-", "s3cr3t-value-99"),
    NTFY_PUBLISH_AUTHORIZATION: piece("Bearer tk_", "abcdefghijklmnopqrstuvwxyz012"),
  };
  let dir: string;
  beforeAll(() => {
    dir = join(work, "offsite");
    mkdirSync(dir, { recursive: true });
    const lab = join(dir, "lab.yaml");
    const raw = readFileSync(join(FIXTURES, "labs", "default.yaml"), "utf8").replace(
      "  terraformCloudAgent: false\n",
      "  terraformCloudAgent: false\n  offsiteBackup:\n    repository: { type: s3, endpoint: \"https://s3.eu-central-003.backblazeb2.com\", bucket: my-homelab-backups }\n",
    );
    writeFileSync(lab, raw);
    synth(lab, join(dir, "cdktf.out"), env);
    // What `npm run inventory` writes (scripts/write-inventory.ts), with the same environment.
    const loaded = loadLabFile(lab);
    if (!loaded.ok) throw new Error(`${lab} is not valid`);
    Object.assign(process.env, env);
    try {
      writeFileSync(join(dir, "hosts.yaml"), renderInventory(loaded.lab));
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
    }
  }, 60_000);

  test("the inventory names the repository and the timers, and holds no secret material", () => {
    const inventory = readFileSync(join(dir, "hosts.yaml"), "utf8");
    expect(inventory).toContain('pi_offsite_repository: "s3:https://s3.eu-central-003.backblazeb2.com/my-homelab-backups"');
    expectNoFindings(scanPaths([join(dir, "hosts.yaml"), join(dir, "cdktf.out")], dir));
  });

  test("no value of the environment's secrets reaches cdktf.out or the inventory", () => {
    const texts = [readFileSync(join(dir, "hosts.yaml"), "utf8"), ...readdirSync(join(dir, "cdktf.out", "stacks")).map((s) => readFileSync(join(dir, "cdktf.out", "stacks", s, "cdk.tf.json"), "utf8"))];
    for (const [name, value] of Object.entries(env)) {
      for (const text of texts) expect([name, text.includes(value)]).toEqual([name, false]);
    }
  });
});

describe("the scan fails on planted secrets", () => {
  test("a literal password planted in a generated file fails the scan, naming file and line", () => {
    const dir = join(work, "planted");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(join(dir, "hosts.yaml"), `all:\n  vars:\n    k3s_${PASSWORD_KEY}: c0rrect-h0rse-battery\n`);
    expect(formatFindings(scanPaths([dir], work))).toBe("planted/hosts.yaml:3: secret-literal: k3s_password: c0r… (21 chars)");
  });

  test.each([
    ["a PEM private key with its body", `key: |\n  ${PEM_KEY.replace(/\n/g, "\n  ")}\n`, "a.yaml", "pem-private-key"],
    ["a PEM private key inside JSON", JSON.stringify({ content: PEM_KEY }), "a.json", "pem-private-key"],
    ["a token literal in TypeScript", `const x = { ${piece("tok", "en")}: "s3cr3t-value-123" };`, "a.ts", "secret-literal"],
    ["a password in Helm values rendered into JSON", JSON.stringify({ values: [`admin:\n  ${PASSWORD_KEY}: hunter2hunter2\n`] }), "cdk.tf.json", "secret-literal"],
    ["a default admin password in chart values", `values: { admin${piece("Pass", "word")}: "admin" }`, "a.ts", "secret-literal"],
    ["an AWS access key id", `aws_access_key_id = ${piece("AKIA", "IOSFODNN7EXAMPLE")}`, "a.ini", "aws-access-key-id"],
    ["a Proxmox API token", `PROXMOX_VE_API_TOKEN='root@pam!homelab=${piece("8a6d1c2e-4b3f", "-4a5b-9c8d-0e1f2a3b4c5d")}'`, "a.sh", "proxmox-api-token"],
    ["a Terraform Cloud token", `token = "${piece("Ab3dE6gH9jK2mN", ".atlas", "v1.")}${"x7Y".repeat(22)}"`, "a.tfrc", "terraform-cloud-token"],
    ["a K3s join token", `${piece("K10", "3c5e7a9b1d2f4a6c8e0b2d4f6a8c0e2b4")}::server:${piece("9f8e7d6c", "5b4a")}`, "a.txt", "k3s-token"],
    ["an argon2 admin token hash", `ADMIN_TOKEN='${piece("$argon2id$v=19$m=65540,t=3,p=4$", "bXBjTVRNWlhqMFRrYlpGZA$")}Nr9V2sVh5PdgQS3qfdq1LTWHQj3pM1E0ZwYwv6Bq3hU'`, "a.env", "password-hash"],
    ["an htpasswd line", `users: "admin:${piece("$apr1$", "H6uskkkW$")}IgXLP6ewTrSuBkTrqE8wj/"`, "a.ts", "password-hash"],
    ["a random-looking API credential", `{ "authKey": "${piece("tskey-", "k9Qz7Xw2Lp4Rv8Ty1Ub6")}" }`, "a.json", "secret-literal"],
    ["a high-entropy value under a credential key", `bearer: ${piece("Zm9vYmFy", "MTIzNDU2Nzg5MGFiY2RlZg")}`, "a.yaml", "high-entropy-credential"],
  ])("%s", (_what, text, file, rule) => {
    expect(scanText(text, file).map((f) => f.rule)).toContain(rule);
  });
});

describe("the scan lets references and names through", () => {
  test.each([
    ["a Terraform reference", `"${PASSWORD_KEY}": "\${random_password.grafana_admin.result}"`, "cdk.tf.json"],
    ["an environment lookup in Ansible", `k3s_token: "{{ lookup('ansible.builtin.env', 'K3S_TOKEN') }}"`, "main.yml"],
    ["a shell variable", `export TF_TOKEN_app_terraform_io=$TFC_TOKEN`, "run.sh"],
    ["the name of a Kubernetes Secret", "existingSecret: gitea-admin", "values.yaml"],
    ["the key inside a Kubernetes Secret", `${PASSWORD_KEY}Key: ${PASSWORD_KEY}`, "values.yaml"],
    ["a placeholder in the docs", "token: <your Cloudflare API token>", "docs.md"],
    ["a placeholder inside a value", "export PROXMOX_VE_API_TOKEN='terraform@pve!homelab=<secret>'", "docs.md"],
    ["prose in the docs", `the ${PASSWORD_KEY}: read it with terraform output -raw`, "docs.md"],
    ["an output name mapped to itself (cdktf metadata)", `"grafana_admin_${PASSWORD_KEY}": "grafana_admin_${PASSWORD_KEY}",`, "cdk.tf.json"],
    ["a type name in a chart-key fixture", `"gitea.admin.${PASSWORD_KEY}": "null|string",`, "gitea-12.5.3.json"],
    ["a timestamp next to a password", `argocdServerAdmin${piece("Pass", "word")}Mtime: "2026-01-01T00:00:00Z"`, "a.ts"],
    ["a type annotation", `readonly ${PASSWORD_KEY}: string;`, "a.ts"],
    ["a code expression", `${PASSWORD_KEY}: props.adminPassword,`, "a.ts"],
    ["a PEM header without a key (a test of the config)", `vm.sshPublicKeys: ["${piece("-----BEGIN OPENSSH ", "PRIVATE KEY-----")}"]`, "fixture.yaml"],
    ["a public key", "sshPublicKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAINf2FaIBmpWPZk4/H0yxFFTimYAAdeY4hGONlEq1TGGh me", "a.yaml"],
    ["a reviewed line", `${PASSWORD_KEY}: hunter2hunter2 # secret-scan: allow (documented example)`, "a.yaml"],
  ])("%s", (_what, text, file) => {
    expect(formatFindings(scanText(text, file))).toBe("");
  });
});

test("classifyKey tells secrets from the names of secrets", () => {
  expect(classifyKey("adminPassword")).toBe("secret");
  expect(classifyKey("api_key")).toBe("secret");
  expect(classifyKey("secretKey")).toBe("secret");
  expect(classifyKey("CLOUDFLARE_API_TOKEN")).toBe("secret");
  expect(classifyKey("existingSecret")).toBeUndefined();
  expect(classifyKey("passwordKey")).toBeUndefined();
  expect(classifyKey("secretName")).toBeUndefined();
  expect(classifyKey("apiTokenSecretKey")).toBeUndefined();
  expect(classifyKey("pve_api_token_role")).toBeUndefined();
  expect(classifyKey("aws_secret_key")).toBe("secret");
  expect(classifyKey("sshPublicKeys")).toBeUndefined();
  expect(classifyKey("key")).toBe("credential");
});

describe("checkStackSecrets", () => {
  test("fails when an output exposes a generated secret without sensitive", () => {
    const stack = {
      output: {
        grafana_admin_password: { value: "${random_password.grafana_admin.result}" },
        lab_ca_key: { value: "${tls_private_key.lab_ca.private_key_pem}", sensitive: true },
        lab_ca_cert: { value: "${tls_self_signed_cert.lab_ca.cert_pem}" },
      },
    };
    expect(checkStackSecrets(stack)).toEqual([
      {
        path: "output.grafana_admin_password",
        message:
          "is built from the generated secret random_password.grafana_admin but is not sensitive: pass sensitive: true to its TerraformOutput",
      },
    ]);
  });

  test("fails when a secret-named variable is not sensitive", () => {
    const stack = { variable: { cloudflare_api_token: { type: "string" }, k3s_token: { type: "string", sensitive: true } } };
    expect(checkStackSecrets(stack).map((p) => p.path)).toEqual(["variable.cloudflare_api_token"]);
  });
});

test("fails when the agent pool's token or the cluster's admin key is an output that is not sensitive", () => {
  const outputs = { output: { agent_token: { value: "${tfe_agent_token.pool.token}" }, admin_key: { value: "${tls_private_key.admin.private_key_pem}" } } };
  expect(checkStackSecrets(outputs).map((p) => p.path)).toEqual(["output.agent_token", "output.admin_key"]);
});

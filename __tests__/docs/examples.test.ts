/**
 * The construct examples under examples/ (linked from docs/constructs.md): `npm run typecheck`
 * compiles them; here each one synthesizes and is checked like the real stacks are.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Testing } from "cdktf";
import { ansibleRunExample } from "../../examples/ansible-run";
import { proxmoxVmExample } from "../../examples/proxmox-vm";
import { webAppExample } from "../../examples/web-app";
import { HelmApp } from "../../constructs/platform/helm-app";
import { renderConstructIndex } from "../../scripts/lib/construct-index";
import { synthJson } from "../helpers";
import { loadChartKeys, unknownKeys, type ChartKeys } from "../support/chart-keys";
import { loadProxmoxSchema, validateAgainstSchema } from "../support/terraform-schema";

const ROOT = join(__dirname, "..", "..");

test("the Proxmox VM example is valid for bpg/proxmox 0.111.1", () => {
  const json = synthJson(proxmoxVmExample(Testing.app()));
  expect(Object.keys(json.resource.proxmox_virtual_environment_vm)).toHaveLength(1);
  expect(validateAgainstSchema(json, loadProxmoxSchema())).toEqual([]);
});

test("the web app example passes only keys app-template 4.1.1 reads, and is exposed over HTTPS", () => {
  const stack = webAppExample(Testing.app());
  const [release] = HelmApp.all(stack);
  expect(unknownKeys(release.values, loadChartKeys("app-template", "4.1.1") as ChartKeys)).toEqual([]);
  const [ingress] = Object.values(synthJson(stack).resource.kubernetes_ingress_v1) as any[];
  expect(ingress.spec.tls).toEqual([{ hosts: ["whoami.home.arpa"] }]);
});

test("the Ansible run example keeps the token a reference", () => {
  const [run] = Object.values(synthJson(ansibleRunExample(Testing.app())).resource.null_resource) as any[];
  expect(run.provisioner[0]["local-exec"].environment.K3S_TOKEN).toMatch(/^\$\{random_password\.[^}]+\.result\}$/);
});

test("docs/constructs.md lists every construct and is up to date (run `npm run docs:constructs`)", () => {
  const committed = readFileSync(join(ROOT, "docs", "constructs.md"), "utf8");
  expect(committed).toBe(renderConstructIndex(ROOT));
  expect(committed).toContain("| `K3sNodeVm` | One K3s VM (a server, or an agent), pinned to its Proxmox node");
  expect(committed).toContain("[proxmox-vm.ts](../examples/proxmox-vm.ts)");
});

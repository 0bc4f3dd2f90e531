import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import type { TerraformStack } from "cdktf";
import { Release } from "@cdktf/provider-helm/lib/release";
import { Password } from "@cdktf/provider-random/lib/password";
import { GitopsBootstrap, GITOPS_ROOT_CHART_VERSION } from "../../../constructs/platform/gitops-bootstrap";
import { treeSha256 } from "../../../constructs/tree-hash";
import { newStack, only, synthJson } from "./apps-support";
import { TEST_CLUSTER_ACCESS } from "../../support/terraform";

const ROOT = join(__dirname, "..", "..", "..");
const GITOPS = join(ROOT, "gitops");

function build(stack: TerraformStack, overrides: Partial<ConstructorParameters<typeof GitopsBootstrap>[2]> = {}) {
  const gitea = new Release(stack, "gitea", { name: "gitea", chart: "gitea", namespace: "gitea" });
  const argocd = new Release(stack, "argocd", { name: "argocd", chart: "argo-cd", namespace: "argocd" });
  const password = new Password(stack, "gitea-password", { length: 32 });
  return new GitopsBootstrap(stack, "gitops", {
    giteaInClusterUrl: "http://gitea-http.gitea.svc.cluster.local:3000",
    giteaNamespace: "gitea",
    giteaHttpService: "gitea-http",
    giteaHttpPort: 3000,
    giteaAdminUsername: "homelab",
    giteaAdminPassword: password.result,
    giteaRelease: gitea,
    argocdNamespace: "argocd",
    argocdRelease: argocd,
    projectRoot: ROOT,
    rootChart: { chart: "${path.root}/../../../charts/gitops-root", version: GITOPS_ROOT_CHART_VERSION },
    access: TEST_CLUSTER_ACCESS,
    ...overrides,
  });
}

/**
 * Evaluates the one Terraform conditional the root values hold, as Terraform would with
 * var.gitops_repo_url = `breakGlass`, and parses the resulting YAML.
 */
function rootValues(valuesYaml: string, breakGlass: string): Record<string, any> {
  const expr = /\$\{\(length\(var\.gitops_repo_url\) >= 1\) \? var\.gitops_repo_url : "([^"]+)"\}/;
  expect(valuesYaml).toMatch(expr);
  return parse(valuesYaml.replace(expr, (_m, inCluster: string) => (breakGlass.length >= 1 ? breakGlass : inCluster)));
}

describe("GitopsBootstrap", () => {
  const stack = newStack();
  const bootstrap = build(stack);
  const json = synthJson(stack);
  const [seedId, seed] = only(json, "null_resource");
  const [secretId, secret] = only(json, "kubernetes_secret_v1");
  const root = json.resource.helm_release[Object.keys(json.resource.helm_release).find((k) => k.startsWith("gitops_root"))!];

  test("seeds the repository after the Gitea release, from the script, credentials in the environment only", () => {
    expect(seed.depends_on).toEqual(["helm_release.gitea"]);
    const exec = seed.provisioner[0]["local-exec"];
    // The folder and the script are copied into the stack directory (a StackBundle named by its content).
    expect(exec.command).toMatch(/^bash "assets\/gitops_files_[A-Z0-9]+\/[0-9a-f]{64}\/scripts\/gitops-seed\.sh"$/);
    expect(exec.command).not.toMatch(/password|random_password/i);
    expect(exec.environment).toMatchObject({
      GITEA_USER: "homelab",
      GITEA_PASSWORD: "${random_password.gitea-password.result}",
      GITOPS_OWNER: "homelab",
      GITOPS_REPO: "gitops",
      GITOPS_SOURCE_DIR: `${bootstrap.files.path}/gitops`,
      GITOPS_REMOTE_OVERRIDE: "${var.gitops_repo_url}",
      // The cluster credential for the port-forward, as values: no kubeconfig file.
      KUBE_SERVER: "https://192.168.1.50:6443",
      KUBE_CA_PEM: "${var.cluster_ca_certificate}",
      KUBE_CLIENT_CERT_PEM: "${var.client_certificate}",
      KUBE_CLIENT_KEY_PEM: "${var.client_key}",
    });
    expect(exec.environment).not.toHaveProperty("KUBECONFIG");
    expect(bootstrap.files.files.filter((f) => !f.startsWith("gitops/"))).toEqual(["scripts/gitops-seed.sh"]);
  });

  test("reruns only when gitops/ changes or Gitea is reinstalled", () => {
    expect(seed.triggers).toEqual({
      gitops_tree_sha256: treeSha256(GITOPS),
      repository: "http://gitea-http.gitea.svc.cluster.local:3000/homelab/gitops.git",
      gitea_release: "${helm_release.gitea.id}",
      gitea_first_deployed: "${helm_release.gitea.metadata.first_deployed}",
      gitops_repo_url: "${var.gitops_repo_url}",
    });
    expect(bootstrap.sourceSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test("gives ArgoCD the in-cluster repository with its credentials", () => {
    expect(secret.metadata).toMatchObject({ name: "gitops-repository", namespace: "argocd" });
    expect(secret.metadata.labels["argocd.argoproj.io/secret-type"]).toBe("repository");
    expect(secret.data).toMatchObject({
      type: "git",
      url: "http://gitea-http.gitea.svc.cluster.local:3000/homelab/gitops.git",
      username: "homelab",
      password: "${random_password.gitea-password.result}",
    });
  });

  test("releases the root Application after ArgoCD, the seeding and the credentials", () => {
    expect(root.depends_on).toEqual(["helm_release.argocd", `null_resource.${seedId}`, `kubernetes_secret_v1.${secretId}`]);
    expect(root).toMatchObject({ chart: "${path.root}/../../../charts/gitops-root", version: GITOPS_ROOT_CHART_VERSION, namespace: "argocd" });
    expect(rootValues(root.values[0], "")).toMatchObject({ name: "root", targetRevision: "main", path: "apps" });
  });

  test("break-glass: the gitops_repo_url variable replaces the in-cluster remote when set", () => {
    expect(json.variable.gitops_repo_url).toMatchObject({ type: "string", default: "" });
    expect(rootValues(root.values[0], "").repoURL).toBe("http://gitea-http.gitea.svc.cluster.local:3000/homelab/gitops.git");
    expect(rootValues(root.values[0], "https://github.com/me/homelab-gitops.git").repoURL).toBe(
      "https://github.com/me/homelab-gitops.git",
    );
  });

  test("the local root chart's version is the pinned one", () => {
    const chart = parse(readFileSync(join(ROOT, "charts", "gitops-root", "Chart.yaml"), "utf8"));
    expect(chart.version).toBe(GITOPS_ROOT_CHART_VERSION);
  });

  test("the root Application syncs automatically with prune, self-heal and retries", () => {
    const template = readFileSync(join(ROOT, "charts", "gitops-root", "templates", "application.yaml"), "utf8");
    const rendered = parse(template.replace(/\{\{[^}]*\}\}/g, "x"));
    expect(rendered.kind).toBe("Application");
    expect(rendered.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(rendered.spec.syncPolicy.retry.limit).toBeGreaterThan(0);
    expect(template).toContain("valuesObject");
  });

  test("fails when the admin password is a literal", () => {
    expect(() => build(newStack(), { giteaAdminPassword: "hunter2hunter2" })).toThrow("giteaAdminPassword is a literal"); // secret-scan: allow (a literal the construct must refuse)
  });

  test("fails when the root chart version is not the one of charts/gitops-root", () => {
    expect(() => build(newStack(), { rootChart: { chart: "gitops-root", version: "9.9.9" } })).toThrow(
      "root chart version 9.9.9 differs from charts/gitops-root (0.1.0)",
    );
  });

  test("fails when the Gitea URL carries a path", () => {
    expect(() => build(newStack(), { giteaInClusterUrl: "http://gitea-http.gitea:3000/homelab" })).toThrow(
      'giteaInClusterUrl "http://gitea-http.gitea:3000/homelab" must be a base URL without path',
    );
  });
});

describe("treeSha256", () => {
  test("is stable for the same files and changes with any content", () => {
    const dir = mkdtempSync(join(tmpdir(), "tree-"));
    writeFileSync(join(dir, "a.yaml"), "a: 1\n");
    const first = treeSha256(dir);
    expect(treeSha256(dir)).toBe(first);
    writeFileSync(join(dir, "a.yaml"), "a: 2\n");
    expect(treeSha256(dir)).not.toBe(first);
  });
});

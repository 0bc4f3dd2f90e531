/** The gitops/ folder the deploy pushes to Gitea: every manifest valid, every Application's path real. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { listTree } from "../../constructs/tree-hash";
import { Gitea } from "../../constructs/platform/gitea";
import { newStack } from "../constructs/platform/apps-support";

const GITOPS = join(__dirname, "..", "..", "gitops");
const yamlFiles = listTree(GITOPS).filter((f) => /\.ya?ml$/.test(f));
/** Helm chart metadata and defaults, not Kubernetes objects. */
const isChartFile = (f: string) => /(^|\/)(Chart|values)\.ya?ml$/.test(f);

function docs(file: string): Record<string, any>[] {
  return parseAllDocuments(readFileSync(join(GITOPS, file), "utf8")).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    return d.toJS();
  }).filter((d) => d !== null);
}

const manifests = yamlFiles.filter((f) => !isChartFile(f)).flatMap((file) => docs(file).map((doc) => ({ file, doc })));
const applications = manifests.filter(({ doc }) => doc.kind === "Application");

describe("gitops/", () => {
  test("holds at least one application with its manifests", () => {
    expect(applications.map((a) => a.doc.metadata.name)).toContain("whoami");
    expect(manifests.length).toBeGreaterThan(applications.length);
  });

  test.each(yamlFiles)("%s is valid YAML", (file) => {
    expect(() => docs(file)).not.toThrow();
  });

  test.each(manifests.map(({ file, doc }) => [`${file} (${doc.kind})`, doc]))("%s has apiVersion, kind and metadata.name", (_name, doc) => {
    expect(doc.apiVersion).toMatch(/^[a-z0-9.]*\/?v\d+(alpha\d+|beta\d+)?$/);
    expect(doc.kind).toMatch(/^[A-Z][A-Za-z]+$/);
    expect(doc.metadata.name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
  });

  test.each(applications.map(({ file, doc }) => [file, doc]))("%s points to a folder of the repository", (_file, app) => {
    const path = join(GITOPS, app.spec.source.path);
    expect(existsSync(path) && statSync(path).isDirectory()).toBe(true);
    expect(listTree(path).some((f) => f.endsWith(".yaml"))).toBe(true);
    expect(app.spec.source.repoURL).toBe("{{ .Values.repoURL }}");
    expect(app.spec.source.targetRevision).toBe("{{ .Values.targetRevision }}");
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
  });

  test("the workloads pin their images and set requests and limits", () => {
    for (const { file, doc } of manifests.filter(({ doc }) => doc.kind === "Deployment")) {
      for (const c of doc.spec.template.spec.containers) {
        expect([file, c.image]).toEqual([file, expect.stringMatching(/:v?\d+\.\d+\.\d+$/)]);
        expect(c.resources.requests).toBeDefined();
        expect(c.resources.limits.memory).toBeDefined();
      }
    }
  });

  test("the apps chart's default remote is the repository the bootstrap creates", () => {
    const values = docs("apps/values.yaml")[0];
    const gitea = new Gitea(newStack(), "gitea", {
      namespace: "gitea",
      hostname: "gitea",
      domain: "home.arpa",
      storageClassName: "longhorn",
      storageGiB: 10,
      sshLoadBalancerIp: "192.168.1.62",
      resources: { requestMilliCpu: 100, requestMemoryMiB: 256, limitMemoryMiB: 512 },
    });
    expect(values.repoURL).toBe(`${gitea.inClusterUrl}/${gitea.adminUsername}/gitops.git`);
    expect(values.targetRevision).toBe("main");
  });
});

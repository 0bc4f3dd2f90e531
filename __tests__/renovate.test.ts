/**
 * renovate.json finds every pinned version of the lab. Renovate is not run here (it needs the
 * network); its regex managers are applied the way Renovate applies them: each file pattern
 * selects repository files, each match string runs over a whole file with the `g` flag.
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Testing } from "cdktf";
import { HelmApp } from "../constructs/platform/helm-app";
import { parseLabYaml } from "../config/load";
import { buildLab } from "../stacks/lab";
import { repositoryFiles } from "../scripts/lib/secret-scan";
import { FIXTURES, loadLab } from "./helpers";

const ROOT = join(__dirname, "..");

interface RegexManager {
  customType: string;
  description: string;
  managerFilePatterns: string[];
  matchStrings: string[];
  depNameTemplate?: string;
  datasourceTemplate?: string;
  autoReplaceStringTemplate?: string;
}

interface Dependency {
  manager: string;
  file: string;
  start: number;
  end: number;
  groups: Record<string, string | undefined>;
  depName?: string;
  datasource?: string;
  currentValue?: string;
}

const config = JSON.parse(readFileSync(join(ROOT, "renovate.json"), "utf8"));
const managers: RegexManager[] = config.customManagers;
const files = repositoryFiles(ROOT).map((f) => relative(ROOT, f));
const text = new Map<string, string>();
const read = (file: string) => {
  if (!text.has(file)) text.set(file, readFileSync(join(ROOT, file), "utf8"));
  return text.get(file) as string;
};

/** `/regex/` file patterns, as Renovate reads them. */
function filePattern(pattern: string): RegExp {
  const m = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  if (!m) throw new Error(`managerFilePatterns entry ${pattern} is not a /regex/: write it as /…/`);
  return new RegExp(m[1], m[2]);
}

/** Renovate's regex manager on the given files: one dependency per match. */
function extract(manager: RegexManager, onFiles = files, content = read): Dependency[] {
  const patterns = manager.managerFilePatterns.map(filePattern);
  return onFiles
    .filter((f) => patterns.some((p) => p.test(f)))
    .flatMap((file) =>
      manager.matchStrings.flatMap((source) =>
        [...content(file).matchAll(new RegExp(source, "g"))].map((m) => {
          const groups = { ...m.groups };
          return {
            manager: manager.description,
            file,
            start: m.index ?? 0,
            end: (m.index ?? 0) + m[0].length,
            groups,
            depName: groups.depName ?? manager.depNameTemplate,
            datasource: groups.datasource ?? manager.datasourceTemplate,
            currentValue: groups.currentValue,
          };
        }),
      ),
    );
}

const dependencies = managers.flatMap((m) => extract(m));
const byManager = (fragment: string) => dependencies.filter((d) => d.manager.includes(fragment));

describe("renovate.json", () => {
  test("is a Renovate config with regex custom managers", () => {
    expect(config.$schema).toBe("https://docs.renovatebot.com/renovate-schema.json");
    expect(managers.length).toBeGreaterThanOrEqual(5);
    for (const m of managers) expect(m.customType).toBe("regex");
  });

  test("does not ignore the test fixtures (config:recommended alone would skip __tests__)", () => {
    expect(config.ignorePaths).toEqual(["**/node_modules/**", ".gen/**"]);
  });

  test.each(managers.map((m) => [m.description, m] as const))("%s: compiles for RE2 and matches in the repo", (_d, manager) => {
    for (const source of manager.matchStrings) {
      expect(() => new RegExp(source, "g")).not.toThrow();
      // Renovate runs matchStrings with RE2: no lookaround, no backreferences.
      expect(source).not.toMatch(/\(\?<?[=!]|\\[1-9]|\\k</);
    }
    const found = extract(manager);
    expect(found.length).toBeGreaterThan(0);
    for (const dep of found) {
      expect(dep).toEqual(
        expect.objectContaining({ depName: expect.any(String), datasource: expect.any(String), currentValue: expect.any(String) }),
      );
    }
  });
});

describe("what the managers find", () => {
  const lab = loadLab();

  test("the K3s and kube-vip versions of the default lab, in homelab.yaml and the fixture", () => {
    for (const file of ["homelab.yaml", "__tests__/fixtures/labs/default.yaml"]) {
      expect(byManager("K3s release").filter((d) => d.file === file).map((d) => d.currentValue)).toEqual([lab.k3s.version]);
      expect(byManager("kube-vip").filter((d) => d.file === file).map((d) => d.currentValue)).toEqual([lab.k3s.kubeVipVersion]);
    }
  });

  test("both cloud images of the default lab", () => {
    const debian = byManager("Debian cloud image").find((d) => d.file === "__tests__/fixtures/labs/default.yaml");
    const ubuntu = byManager("Ubuntu cloud image").find((d) => d.file === "__tests__/fixtures/labs/default.yaml");
    expect(lab.vm.images["debian-13"].url).toContain(`/${debian?.currentValue}/`);
    expect(lab.vm.images["ubuntu-24.04"].url).toContain(`/release-${ubuntu?.currentValue}/`);
  });

  test("the bpg/proxmox provider in cdktf.json and the offline generator, at the version of the committed bindings", () => {
    const found = byManager("cdktf get");
    expect(found.map((d) => [d.file, d.depName])).toEqual([
      ["cdktf.json", "bpg/proxmox"],
      ["scripts/generate-proxmox-bindings.ts", "bpg/proxmox"],
    ]);
    const generated = read(".gen/providers/proxmox/provider/index.ts");
    for (const dep of found) expect(generated).toContain(`providerVersion: '${dep.currentValue}'`);
  });

  test("a cloud image bump cannot pass the tests until the checksum is pasted", () => {
    const manager = managers.find((m) => m.description.startsWith("Debian cloud image")) as RegexManager;
    const fixture = readFileSync(join(FIXTURES, "labs", "default.yaml"), "utf8");
    const [dep] = extract(manager, ["__tests__/fixtures/labs/default.yaml"], () => fixture);
    // What Renovate writes: the template with the found fields and the new version.
    const fields: Record<string, string> = { ...(dep.groups as Record<string, string>), depName: dep.depName as string, newValue: "20991231-0001" };
    const replacement = (manager.autoReplaceStringTemplate as string).replace(/\{\{\{(\w+)\}\}\}/g, (_m, k: string) => fields[k]);
    const bumped = fixture.slice(0, dep.start) + replacement + fixture.slice(dep.end);
    expect(bumped).toContain("trixie/20991231-0001/debian-13-genericcloud-amd64-20991231-0001.qcow2");
    expect(bumped).toContain("fileName: debian-13-genericcloud-amd64-20991231-0001.img");
    const result = parseLabYaml(bumped);
    expect(result.ok ? [] : result.problems.filter((p) => p.severity === "error").map((p) => p.path)).toEqual(["vm.images.debian-13.checksum"]);
  });
});

/** Places where a version is pinned, found without Renovate's help: each must be some manager's match. */
function pinnedVersionSites(): { file: string; index: number; version: string }[] {
  const sites: { file: string; index: number; version: string }[] = [];
  const collect = (file: string, pattern: RegExp) => {
    for (const m of read(file).matchAll(pattern)) {
      const version = m[1];
      sites.push({ file, index: (m.index ?? 0) + m[0].lastIndexOf(version), version });
    }
  };
  for (const file of files) {
    if (/^(constructs|stacks|config|scripts|bench)\/.+\.ts$/.test(file)) {
      collect(file, /\b(?:[A-Za-z_]*[vV]ersion|[A-Z_]*VERSION|tag)\s*[:=]\s*["'](v?\d+\.\d+\.\d+[^"']*)["']/g);
      collect(file, /["'][a-z0-9.-]+(?:\/[a-z0-9._-]+)+:(v?\d+\.\d+\.\d+[^"']*)["']/g); // image references
    } else if (/^(homelab\.yaml|__tests__\/fixtures\/labs\/[^/]+\.yaml|ansible\/.+\.ya?ml)$/.test(file)) {
      collect(file, /^[ \t-]*[A-Za-z_]*(?:version|Version|_tag):[ \t]*["']?(v?\d+\.\d+\.\d+[^"'\s]*)["']?[ \t]*(?:#.*)?$/gm);
    } else if (file === "cdktf.json") {
      collect(file, /@~>\s*(\d+\.\d+\.\d+)/g);
    }
  }
  return sites;
}

/** Charts kept in this repository (charts/<name>/Chart.yaml): their versions are ours, not dependencies. */
function ownChartVersions(): { name: string; version: string }[] {
  return files
    .filter((f) => /^charts\/[^/]+\/Chart\.yaml$/.test(f))
    .map((f) => ({ name: f.split("/")[1], version: /^version:\s*["']?([^"'\s]+)/m.exec(read(f))?.[1] ?? "" }));
}

/** A site like `GITOPS_ROOT_CHART_VERSION = "0.1.0"` that names one of our own charts at its version. */
function isOwnChartVersion(site: { file: string; index: number; version: string }, own = ownChartVersions()): boolean {
  const text = read(site.file);
  const line = text.slice(text.lastIndexOf("\n", site.index) + 1, site.index).toLowerCase().replace(/[^a-z0-9]/g, "");
  return own.some((c) => c.version === site.version && line.includes(c.name.replace(/[^a-z0-9]/g, "")));
}

test("every pinned version in the config, the code and the Ansible defaults is found by a manager", () => {
  const sites = pinnedVersionSites().filter((s) => !isOwnChartVersion(s));
  expect(sites.length).toBeGreaterThanOrEqual(6);
  const missed = sites.filter((s) => !dependencies.some((d) => d.file === s.file && d.start <= s.index && s.index < d.end));
  const line = (s: { file: string; index: number }) => read(s.file).slice(0, s.index).split("\n").length;
  expect(missed.map((s) => `${s.file}:${line(s)}: ${s.version} has no renovate marker; put on the line above it e.g. // renovate: datasource=helm depName=<chart> registryUrl=<repo>`)).toEqual([]);
});

/** The marker dependency that pins a chart (helm repositories, or OCI registries via docker). */
function chartMarker(chart: { chart: string; repository?: string; version: string }, deps: Dependency[]): Dependency | undefined {
  return deps.find((d) => {
    if (d.currentValue !== chart.version) return false;
    if (chart.repository?.startsWith("oci://")) {
      return d.datasource === "docker" && d.depName === `${chart.repository.slice("oci://".length)}/${chart.chart}`;
    }
    return d.datasource === "helm" && d.depName === chart.chart && d.groups.registryUrl === chart.repository;
  });
}

describe("chart versions", () => {
  const markers = byManager("marker comment");

  test("every chart the platform stack installs from a repository has a marker with its exact version", () => {
    const lab = buildLab(Testing.app(), loadLab());
    const charts = HelmApp.all(lab.platform)
      .map((app) => app.chart)
      .filter((c) => c.repository !== undefined);
    const unmarked = charts.filter((c) => !chartMarker(c, markers));
    expect(unmarked.map((c) => `${c.chart} ${c.version} (${c.repository})`)).toEqual([]);
  });

  test("fails when a chart version has no marker, or the marker names another version", () => {
    const manager = managers.find((m) => m.description.includes("marker comment")) as RegexManager;
    const source = [
      "// renovate: datasource=helm depName=longhorn registryUrl=https://charts.longhorn.io",
      'export const LONGHORN = { chart: "longhorn", repository: "https://charts.longhorn.io", version: "1.10.1" };',
      'export const METALLB = { chart: "metallb", repository: "https://metallb.github.io/metallb", version: "0.15.2" };',
      "// renovate: datasource=docker depName=ghcr.io/traefik/helm/traefik",
      '  version: "37.1.0",',
    ].join("\n");
    const deps = extract(manager, ["constructs/platform/example.ts"], () => source);
    expect(deps.map((d) => [d.depName, d.currentValue])).toEqual([
      ["longhorn", "1.10.1"],
      ["ghcr.io/traefik/helm/traefik", "37.1.0"],
    ]);
    expect(chartMarker({ chart: "longhorn", repository: "https://charts.longhorn.io", version: "1.10.1" }, deps)).toBeDefined();
    expect(chartMarker({ chart: "longhorn", repository: "https://charts.longhorn.io", version: "1.10.2" }, deps)).toBeUndefined();
    expect(chartMarker({ chart: "metallb", repository: "https://metallb.github.io/metallb", version: "0.15.2" }, deps)).toBeUndefined();
    expect(chartMarker({ chart: "traefik", repository: "oci://ghcr.io/traefik/helm", version: "37.1.0" }, deps)).toBeDefined();
  });
});

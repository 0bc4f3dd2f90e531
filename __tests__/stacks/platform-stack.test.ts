/**
 * The platform stack: one snapshot of the default lab, plus named assertions on what matters
 * (pinned versions, install order, no secret in the synthesized JSON). The tables are meant to
 * grow: each app added to the platform adds its row.
 */
import { Testing, type TerraformStack } from "cdktf";
import type { IConstruct } from "constructs";
import { buildLab } from "../../stacks/lab";
import { buildPlatformBase, defaultCertificateNames, longhornBackupTarget, servingDomain } from "../../stacks/platform/base";
import { exposedHosts } from "../../config/apps";
import { labWith, loadLab, synthJson, validLab } from "../helpers";
import { clusterStack, helmRelease, helmValues, releaseAddress, releaseDependsOn, resourcesOf, type Json } from "../support/terraform";

const ACME = { email: "admin@example.org", publicDomain: "lab.example.org", dnsProvider: "cloudflare", staging: false };

function platform(lab = loadLab()): TerraformStack {
  return buildLab(Testing.app(), lab).platform;
}

const json = synthJson(platform());

test("snapshot of the default lab's platform stack", () => {
  expect(json).toMatchSnapshot();
});

/** [release, chart, repository (undefined = a chart of this repo), version] */
const PINNED: [string, string, string | undefined, string][] = [
  ["metallb", "metallb", "https://metallb.github.io/metallb", "0.16.1"],
  ["metallb-config", "metallb-config", undefined, "1.0.0"],
  ["cert-manager", "cert-manager", "oci://quay.io/jetstack/charts", "v1.21.1"],
  ["cluster-issuers", "cluster-issuers", undefined, "1.0.0"],
  ["traefik", "traefik", "https://traefik.github.io/charts", "41.3.0"],
  ["traefik-dashboard-auth", "traefik-basic-auth", undefined, "1.0.0"],
  ["longhorn", "longhorn", "https://charts.longhorn.io", "1.12.1"],
  ["longhorn-recurring-jobs", "longhorn-recurring-jobs", undefined, "1.0.0"],
  ["longhorn-ui-auth", "traefik-basic-auth", undefined, "1.0.0"],
  ["gitea", "gitea", "https://dl.gitea.com/charts/", "12.5.3"],
  ["argocd", "argo-cd", "https://argoproj.github.io/argo-helm", "10.1.1"],
  ["gitops-root", "gitops-root", undefined, "0.1.0"],
  ["loki", "loki", "https://grafana-community.github.io/helm-charts", "18.11.0"],
  ["alloy", "alloy", "https://grafana.github.io/helm-charts", "1.11.1"],
  ["grafana", "grafana", "https://grafana-community.github.io/helm-charts", "12.11.1"],
  ["vaultwarden", "vaultwarden", "https://guerzon.github.io/vaultwarden", "0.43.1"],
  ["adguard", "app-template", "https://bjw-s-labs.github.io/helm-charts", "4.1.1"],
];

describe("pinned charts", () => {
  test.each(PINNED)("%s: %s from %s at %s", (name, chart, repository, version) => {
    const release = helmRelease(json, name);
    expect(release.version).toBe(version);
    if (repository === undefined) {
      expect(release.repository).toBeUndefined();
      expect(release.chart).toMatch(/^assets\/[A-Za-z0-9_-]+\/[0-9A-F]{32}$/); // relative, copied into cdktf.out
    } else {
      expect(release).toMatchObject({ chart, repository });
    }
  });

  test("every release waits for readiness and rolls back a failed install", () => {
    for (const r of Object.values(resourcesOf(json, "helm_release"))) {
      expect([r.name, r.wait, r.atomic]).toEqual([r.name, true, true]);
    }
  });
});

describe("one namespace policy", () => {
  const namespaces = resourcesOf(json, "kubernetes_namespace_v1");
  const addressOf = new Map(Object.entries(namespaces).map(([id, ns]) => [ns.metadata.name as string, `kubernetes_namespace_v1.${id}`]));

  /** Every address `address` waits for, directly or through what it waits for. */
  function waitsFor(address: string, seen = new Set<string>()): Set<string> {
    const [type, id] = address.split(".");
    for (const dep of (resourcesOf(json, type)[id]?.depends_on ?? []) as string[]) {
      if (!seen.has(dep)) {
        seen.add(dep);
        waitsFor(dep, seen);
      }
    }
    return seen;
  }

  test("every namespace is Terraform's, with the same labels", () => {
    expect(Object.keys(namespaces).length).toBeGreaterThanOrEqual(9);
    for (const ns of Object.values(namespaces)) expect(ns.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "homelab" });
  });

  test("no release creates its namespace; each waits for the Namespace it goes into", () => {
    for (const [id, r] of Object.entries(resourcesOf(json, "helm_release"))) {
      expect([r.name, r.create_namespace]).toEqual([r.name, false]);
      expect([r.name, addressOf.has(r.namespace)]).toEqual([r.name, true]);
      expect([r.name, waitsFor(`helm_release.${id}`).has(addressOf.get(r.namespace)!)]).toEqual([r.name, true]);
    }
  });

  test("the traefik namespace keeps its state: a moved block from its first address", () => {
    expect(json.moved).toEqual([{ from: "kubernetes_namespace_v1.traefik-namespace_320BD03D", to: addressOf.get("traefik") }]);
  });
});

/** [release, releases it must wait for]: CRDs before their custom resources, MetalLB before any LoadBalancer. */
const ORDER: [string, string[]][] = [
  ["metallb-config", ["metallb"]],
  ["cluster-issuers", ["cert-manager"]],
  ["traefik", ["metallb", "metallb-config", "cluster-issuers"]],
  ["traefik-dashboard-auth", ["traefik"]],
  ["longhorn-recurring-jobs", ["longhorn"]],
  ["longhorn-ui-auth", ["traefik"]],
  ["gitea", ["longhorn", "metallb-config"]],
  ["gitops-root", ["argocd"]],
  ["alloy", ["loki"]],
  ["loki", ["longhorn"]],
  ["grafana", ["longhorn"]],
  ["vaultwarden", ["longhorn"]],
  ["adguard", ["longhorn", "metallb-config"]],
];

describe("install order in depends_on", () => {
  test.each(ORDER)("%s waits for %j", (name, before) => {
    const deps = releaseDependsOn(json, name);
    for (const b of before) expect(deps).toContain(releaseAddress(json, b));
  });

  test("the GitOps root Application waits for the seeded repository, which waits for Gitea", () => {
    const seeds = Object.entries(resourcesOf(json, "null_resource")).filter(([id]) => id.startsWith("gitops_seed"));
    expect(seeds).toHaveLength(1);
    const [seedId, seed] = seeds[0];
    expect(seed.depends_on).toContain(releaseAddress(json, "gitea"));
    expect(releaseDependsOn(json, "gitops-root")).toContain(`null_resource.${seedId}`);
  });

  test("the lab CA Secret waits for cert-manager's namespace, and the issuers for the Secret", () => {
    const [caId] = Object.keys(resourcesOf(json, "kubernetes_secret_v1")).filter((id) => id.startsWith("lab-ca"));
    expect(resourcesOf(json, "kubernetes_secret_v1")[caId].depends_on).toEqual([releaseAddress(json, "cert-manager")]);
    expect(releaseDependsOn(json, "cluster-issuers")).toContain(`kubernetes_secret_v1.${caId}`);
  });

  test("every release that asks MetalLB for an address waits for the pools", () => {
    const claimers = Object.values(resourcesOf(json, "helm_release")).filter((r) => r.values[0].includes("metallb.io/loadBalancerIPs"));
    expect(claimers.length).toBeGreaterThan(0);
    for (const r of claimers) expect(releaseDependsOn(json, r.name)).toContain(releaseAddress(json, "metallb-config"));
  });

  test("every Ingress waits for Traefik (its class and the middleware CRDs)", () => {
    const ingresses = Object.values(resourcesOf(json, "kubernetes_ingress_v1"));
    expect(ingresses.length).toBeGreaterThan(0);
    for (const i of ingresses) expect(i.depends_on).toContain(releaseAddress(json, "traefik"));
  });
});

describe("addresses, names and storage from the config", () => {
  const lab = loadLab();

  test("Traefik claims loadBalancer.ingressIp, which the reserved pool holds", () => {
    expect(helmValues(json, "traefik").service.annotations["metallb.io/loadBalancerIPs"]).toBe(lab.loadBalancer.ingressIp);
    const reserved = helmValues(json, "metallb-config").pools.find((p: Json) => p.name === "lab-reserved");
    expect(reserved.addresses).toEqual([lab.loadBalancer.ingressIp, lab.loadBalancer.dnsIp, lab.loadBalancer.gitSshIp].map((ip) => `${ip}/32`));
  });

  test("the default certificate names the domain, its wildcard and every app (home.arpa is a public suffix)", () => {
    const certificate = helmValues(json, "cluster-issuers").certificate;
    expect(certificate.issuerName).toBe("lab-ca");
    expect(certificate.dnsNames).toEqual(expect.arrayContaining(["*.home.arpa", "home.arpa", "traefik.home.arpa", "longhorn.home.arpa"]));
    expect(helmValues(json, "traefik").tlsStore.default.defaultCertificate.secretName).toBe(certificate.secretName);
  });

  test("the certificate names exactly the domain, its wildcard and each app's host", () => {
    const { dnsNames } = helmValues(json, "cluster-issuers").certificate;
    // home.arpa is a public suffix: browsers refuse *.home.arpa alone, so each host is named too.
    expect(dnsNames).toEqual(["*.home.arpa", "home.arpa", ...exposedHosts(lab).map((h) => h.fqdn)]);
  });

  test("every release rolls back and cleans up a failed install or upgrade, given 10 minutes to become ready (15 for the metrics stack)", () => {
    const releases = Object.values(resourcesOf(json, "helm_release"));
    expect(releases.length).toBeGreaterThan(10);
    // kube-prometheus-stack: its CRDs and a first Prometheus volume take a while on HDD-backed Longhorn.
    const timeout = (name: string) => (name === "kube-prometheus-stack" ? 900 : 600);
    for (const release of releases) {
      expect([release.name, release.atomic, release.cleanup_on_fail, release.timeout]).toEqual([release.name, true, true, timeout(release.name)]);
    }
  });

  test("the base releases get their catalog sizes (split evenly where a chart runs several pods)", () => {
    const res = (cpu: string, memory: string, limit: string) => ({ requests: { cpu, memory }, limits: { memory: limit } });
    expect(helmValues(json, "traefik").resources).toEqual(res("100m", "128Mi", "256Mi"));
    expect(helmValues(json, "longhorn").longhornManager.resources).toEqual(res("300m", "512Mi", "1024Mi"));
    const metallb = helmValues(json, "metallb");
    for (const part of [metallb.controller, metallb.speaker]) expect(part.resources).toEqual(res("50m", "64Mi", "128Mi"));
    const certManager = helmValues(json, "cert-manager");
    for (const part of [certManager, certManager.webhook, certManager.cainjector]) expect(part.resources).toEqual(res("16m", "53Mi", "128Mi"));
  });


  test("the outputs a user reads after deploy: every app URL, the UI logins, each admin password, the GitOps repository", () => {
    const urls = Object.fromEntries(exposedHosts(lab).map((h) => [h.component, h.url]));
    expect(json.output.urls.value).toEqual(urls);
    const password = (id: string) => `\${random_password.${id}.result}`;
    // Logical ids follow the construct path: traefik/dashboard-auth/password -> traefik_dashboard-auth_password_<hash>.
    const passwordOf = (construct: string) => {
      const ids = Object.keys(resourcesOf(json, "random_password")).filter((id) => id.startsWith(`${construct.replace(/\//g, "_")}_password_`));
      expect([construct, ids.length]).toEqual([construct, 1]);
      return ids[0];
    };
    expect(json.output.ui_credentials.value).toEqual({
      traefik: { url: "https://traefik.home.arpa", username: "admin", password: password(passwordOf("traefik/dashboard-auth")) },
      longhorn: { url: "https://longhorn.home.arpa", username: "admin", password: password(passwordOf("longhorn/ui-auth")) },
    });
    for (const app of ["adguard", "argocd", "gitea", "grafana"]) {
      expect(json.output[`${app}_admin_password`]).toMatchObject({ value: password(passwordOf(`${app}/admin`)), sensitive: true });
    }
    expect(json.output.gitops_repository.value).toBe("http://gitea-http.gitea.svc.cluster.local:3000/homelab/gitops.git");
  });

  test("Longhorn backs up to the Pi's NFS export and keeps the configured replicas", () => {
    expect(helmValues(json, "longhorn").defaultBackupStore.backupTarget).toBe("nfs://192.168.1.5:/srv/homelab-backups/longhorn");
    expect(helmValues(json, "longhorn").persistence.defaultClassReplicaCount).toBe(lab.platform.longhorn.replicaCount);
  });

  test("urls lists the web UIs; ui_credentials is sensitive; the CA certificate is a public output", () => {
    expect(json.output.urls.value).toEqual(expect.objectContaining({ traefik: "https://traefik.home.arpa", longhorn: "https://longhorn.home.arpa" }));
    expect(json.output.ui_credentials.sensitive).toBe(true);
    expect(json.output.lab_ca_certificate.sensitive).toBeUndefined();
    expect(json.output.lab_ca_certificate.value).toMatch(/^\$\{tls_self_signed_cert\.[^}]+\.cert_pem\}$/);
  });
});

describe("no secret in the synthesized JSON", () => {
  const text = JSON.stringify(json);

  test("no PEM block, no password-looking literal", () => {
    expect(text).not.toMatch(/-----BEGIN/);
    const literals: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (Array.isArray(node)) node.forEach((n, i) => walk(n, `${path}[${i}]`));
      else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) walk(v, `${path}.${k}`);
      else if (typeof node === "string" && /(password|passwd|token|private_key_pem|tls\.key|users)$/i.test(path) && !node.includes("${")) {
        literals.push(path);
      }
    };
    walk(json.resource, "resource");
    expect(literals).toEqual([]);
  });

  test("every secret-like key of a Secret is a Terraform reference (kept in state, not in the JSON)", () => {
    // Usernames, repository URLs and types are not secrets; passwords, tokens, keys and htpasswd are.
    const secretLike = /pass|token|key|secret|htpasswd|users|crt/i;
    let checked = 0;
    for (const [id, secret] of Object.entries(resourcesOf(json, "kubernetes_secret_v1"))) {
      for (const [key, value] of Object.entries(secret.data as Record<string, string>)) {
        if (!secretLike.test(key)) continue;
        checked++;
        expect([id, key, value.includes("${")]).toEqual([id, key, true]);
      }
    }
    expect(checked).toBeGreaterThan(5);
  });

  test("sensitive chart values are passed by reference", () => {
    for (const r of Object.values(resourcesOf(json, "helm_release"))) {
      for (const s of r.set_sensitive ?? []) expect(s.value).toMatch(/\$\{/);
    }
  });
});

describe("Let's Encrypt lab", () => {
  const acmeLab = validLab(labWith({ "platform.tls.acme": ACME }));
  const acme = synthJson(platform(acmeLab));

  test("serves apps under the public domain with a Let's Encrypt wildcard", () => {
    expect(servingDomain(acmeLab)).toBe("lab.example.org");
    expect(defaultCertificateNames(acmeLab)).toEqual(["*.lab.example.org", "lab.example.org"]);
    const values = helmValues(acme, "cluster-issuers");
    expect(values.certificate.issuerName).toBe("letsencrypt");
    expect(values.acme.server).toBe("https://acme-v02.api.letsencrypt.org/directory");
    expect(helmValues(acme, "traefik").ingressRoute.dashboard.matchRule).toBe("Host(`traefik.lab.example.org`)");
  });

  test("the Cloudflare token is a sensitive variable (TF_VAR_cloudflare_api_token), only in acme mode", () => {
    expect(acme.variable.cloudflare_api_token).toMatchObject({ type: "string", sensitive: true, nullable: false });
    expect(json.variable?.cloudflare_api_token).toBeUndefined();
  });
});

describe("lab without a Raspberry Pi", () => {
  test("Longhorn has no backup target and no backup job", () => {
    const noPi = validLab(labWith({ raspberryPi: undefined }));
    expect(longhornBackupTarget(noPi)).toBeUndefined();
    const j = synthJson(platform(noPi));
    expect(helmValues(j, "longhorn").defaultBackupStore).toBeUndefined();
    expect(helmValues(j, "longhorn-recurring-jobs").jobs.map((x: Json) => x.task)).toEqual(["snapshot"]);
  });
});

describe("the PlatformBase contract handed to the apps", () => {
  test("names the releases apps must wait for", () => {
    const stack = clusterStack();
    const base = buildPlatformBase(stack, loadLab());
    const paths = (deps: unknown[]) => deps.map((d) => (d as IConstruct).node.path);
    expect(paths(base.loadBalancerReady)).toEqual(["test/metallb/release/release", "test/metallb/config/release"]);
    expect(paths(base.storageReady)).toEqual(["test/longhorn/release/release", "test/longhorn/recurring-jobs/release"]);
    expect(paths(base.ingressReady)).toEqual(["test/traefik/release/release", "test/cluster-issuers/release/release"]);
    expect(base.storageClassName).toBe("longhorn");
  });
});

describe("Longhorn with agents", () => {
  const longhornOf = (lab: Parameters<typeof platform>[0]) => helmValues(synthJson(platform(lab)), "longhorn");

  test("the agents lab: the disk-less agent is tainted, Longhorn does not run there, so every node it runs on has a disk", () => {
    expect(longhornOf(loadLab("agents")).defaultSettings).not.toHaveProperty("createDefaultDiskLabeledNodes");
  });

  test("an untainted agent without a Longhorn disk: default disks only on the labelled nodes, never on its OS disk", () => {
    const raw = labWith({ "k3s.agents[1].taints": [] }, "agents");
    expect(longhornOf(validLab(raw)).defaultSettings.createDefaultDiskLabeledNodes).toBe("true");
  });

  test("tainted servers: replicas only on the agents with a Longhorn disk, the count the construct checks", () => {
    const raw = labWith(
      {
        "k3s.taintServers": true,
        "k3s.agents[1].taints": [],
        "k3s.agents[1].dataDiskGiB": 200,
        "k3s.agents[1].proxmoxNode": "pve-01",
        "k3s.servers[0].memoryMiB": 4096,
      },
      "agents",
    );
    const lab = validLab(raw);
    const values = longhornOf(lab);
    expect(values.persistence.defaultClassReplicaCount).toBe(2);
    // Longhorn runs only on the two agents (the servers are tainted), both with a disk.
    expect(values.defaultSettings).not.toHaveProperty("createDefaultDiskLabeledNodes");
  });
});

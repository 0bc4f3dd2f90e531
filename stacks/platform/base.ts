import { TerraformOutput, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { exposedHosts, platformComponents, servingDomain, type PlatformComponent } from "../../config/apps";
import { longhornNeedsDiskLabels, longhornStorageNodes } from "../../config/placement";
import { serviceAddresses } from "../../config/rules";
import type { LabConfig } from "../../config/schema";
import { CertManager } from "../../constructs/platform/cert-manager";
import { ClusterIssuers } from "../../constructs/platform/cluster-issuers";
import { LabCa } from "../../constructs/platform/lab-ca";
import { Longhorn } from "../../constructs/platform/longhorn";
import { MetalLb } from "../../constructs/platform/metallb";
import { Traefik } from "../../constructs/platform/traefik";
import type { PlatformBase } from "./contract";
import { PlatformNamespaces } from "./namespaces";

export { servingDomain };

/**
 * Names on Traefik's default certificate. With the lab CA, every app's name is listed besides the
 * wildcard: `home.arpa` is on the Public Suffix List, and browsers refuse a wildcard directly
 * under a public suffix (`*.home.arpa`), whoever signed it. Let's Encrypt's wildcard is enough.
 */
export function defaultCertificateNames(lab: LabConfig): string[] {
  const domain = servingDomain(lab);
  const names = [`*.${domain}`, domain];
  if (!lab.platform.tls.acme) names.push(...exposedHosts(lab).map((h) => h.fqdn));
  return [...new Set(names)];
}

/** The NFS URL of Longhorn's backup target on the Pi, or undefined without a Pi. */
export function longhornBackupTarget(lab: LabConfig): string | undefined {
  const pi = lab.raspberryPi;
  return pi ? `nfs://${pi.address}:${pi.backupExportPath}/longhorn` : undefined;
}

/** Phase 4: MetalLB, cert-manager + the lab CA and issuers, Traefik, Longhorn (in dependency order). */
export function buildPlatformBase(scope: Construct, lab: LabConfig): PlatformBase {
  const catalog = new Map(platformComponents(lab).map((c) => [c.id, c]));
  const component = (id: string): PlatformComponent => {
    const c = catalog.get(id);
    if (!c) throw new Error(`platform catalog (config/apps.ts) has no component "${id}"`);
    return c;
  };
  const domain = servingDomain(lab);
  const namespaces = new PlatformNamespaces(scope);

  const metallbNamespace = namespaces.of(component("metallb").namespace);
  const metallb = new MetalLb(scope, "metallb", {
    namespace: metallbNamespace.name,
    poolStart: lab.loadBalancer.pool.start,
    poolEnd: lab.loadBalancer.pool.end,
    reservedAddresses: Object.fromEntries(serviceAddresses(lab).map((a) => [a.owner, a.ip])),
    interfaces: [lab.vm.interface],
    resources: component("metallb").resources,
    dependsOn: [metallbNamespace.ready],
  });

  const certManagerNamespace = namespaces.of(component("cert-manager").namespace);
  const certManager = new CertManager(scope, "cert-manager", {
    namespace: certManagerNamespace.name,
    resources: component("cert-manager").resources,
    dependsOn: [certManagerNamespace.ready],
  });
  const labCa = new LabCa(scope, "lab-ca", {
    commonName: `${lab.proxmox.clusterName} CA`,
    organization: lab.proxmox.clusterName,
    namespace: certManager.namespace,
    dependsOn: certManager.ready,
  });
  new TerraformOutput(scope, "lab_ca_certificate", {
    value: labCa.certificatePem,
    description: "The lab CA certificate (public): install it on every device that opens the lab's apps (docs/tls.md)",
  });

  const acme = lab.platform.tls.acme;
  const cloudflareToken = acme
    ? new TerraformVariable(scope, "cloudflare_api_token", {
        type: "string",
        sensitive: true,
        nullable: false,
        description: "Cloudflare API token (Zone.DNS edit) for Let's Encrypt DNS-01: export TF_VAR_cloudflare_api_token",
      })
    : undefined;

  const traefikNamespace = namespaces.of(component("traefik").namespace);
  // The traefik namespace was this stack's first Terraform-owned namespace, under another id.
  traefikNamespace.resource.moveFromId("kubernetes_namespace_v1.traefik-namespace_320BD03D");
  const issuers = new ClusterIssuers(scope, "cluster-issuers", {
    namespace: certManager.namespace,
    labCaSecretName: labCa.secretName,
    ...(acme && cloudflareToken
      ? { acme: { email: acme.email, staging: acme.staging, cloudflareApiToken: cloudflareToken.stringValue } }
      : {}),
    certificateDnsNames: defaultCertificateNames(lab),
    certificateNamespace: traefikNamespace.name,
    dependsOn: [...certManager.ready, labCa.secret, traefikNamespace.ready],
  });

  const traefik = new Traefik(scope, "traefik", {
    namespace: traefikNamespace.name,
    loadBalancerIp: lab.loadBalancer.ingressIp,
    dashboardHostname: component("traefik").webHostname ?? "traefik",
    domain,
    defaultCertificateSecretName: issuers.certificateSecretName,
    resources: component("traefik").resources,
    namespaceReady: [traefikNamespace.ready],
    dependsOn: [...metallb.ready, traefikNamespace.ready, ...issuers.ready],
  });

  const longhornNamespace = namespaces.of(component("longhorn").namespace);
  const longhorn = new Longhorn(scope, "longhorn", {
    namespace: longhornNamespace.name,
    replicaCount: lab.platform.longhorn.replicaCount,
    storageNodeCount: longhornStorageNodes(lab).length,
    defaultDiskOnLabelledNodesOnly: longhornNeedsDiskLabels(lab),
    backupTarget: longhornBackupTarget(lab),
    snapshotCron: lab.platform.longhorn.snapshotSchedule,
    snapshotRetain: lab.platform.longhorn.snapshotRetain,
    backupCron: lab.platform.longhorn.backupSchedule,
    backupRetain: lab.platform.longhorn.backupRetain,
    resources: component("longhorn").resources,
    dependsOn: [longhornNamespace.ready],
    ui: { hostname: component("longhorn").webHostname ?? "longhorn", domain, traefikReady: traefik.ready },
    instanceManagerCpuPercent: component("longhorn-instance-manager").perNodeCpuPercent,
  });
  const longhornUi = longhorn.ui!;
  const dashboard = traefik.dashboard;

  new TerraformOutput(scope, "ui_credentials", {
    value: {
      [dashboard.node.id]: { url: dashboard.url, username: traefik.dashboardAuth.username, password: traefik.dashboardAuth.password },
      [longhornUi.app.node.id]: { url: longhornUi.app.url, username: longhornUi.auth.username, password: longhornUi.auth.password },
    },
    sensitive: true,
    description: "Logins of the UIs that have none of their own (basic auth in Traefik): cdktf output platform --json",
  });

  return {
    namespaces,
    loadBalancerReady: metallb.ready,
    storageReady: longhorn.ready,
    storageClassName: longhorn.storageClassName,
    ingressReady: [...traefik.ready, ...issuers.ready],
  };
}

import { TerraformOutput, TerraformVariable } from "cdktf";
import type { Construct } from "constructs";
import { exposedHosts, platformComponents, servingDomain, type PlatformComponent } from "../../config/apps";
import { serviceAddresses } from "../../config/rules";
import type { LabConfig } from "../../config/schema";
import { CertManager } from "../../constructs/platform/cert-manager";
import { ClusterIssuers } from "../../constructs/platform/cluster-issuers";
import { ExposedApp } from "../../constructs/platform/exposed-app";
import { LabCa } from "../../constructs/platform/lab-ca";
import { Longhorn } from "../../constructs/platform/longhorn";
import { MetalLb } from "../../constructs/platform/metallb";
import { Namespace } from "../../constructs/platform/namespace";
import { Traefik } from "../../constructs/platform/traefik";
import { TraefikBasicAuth } from "../../constructs/platform/traefik-basic-auth";
import type { PlatformBase } from "./contract";

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

  const metallb = new MetalLb(scope, "metallb", {
    namespace: component("metallb").namespace,
    poolStart: lab.loadBalancer.pool.start,
    poolEnd: lab.loadBalancer.pool.end,
    reservedAddresses: Object.fromEntries(serviceAddresses(lab).map((a) => [a.owner, a.ip])),
    interfaces: [lab.vm.interface],
    resources: component("metallb").resources,
  });

  const certManager = new CertManager(scope, "cert-manager", {
    namespace: component("cert-manager").namespace,
    resources: component("cert-manager").resources,
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

  const traefikNamespace = new Namespace(scope, "traefik-namespace", { name: component("traefik").namespace });
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

  const traefikHost = component("traefik").webHostname ?? "traefik";
  const dashboardAuthName = "traefik-dashboard-auth";
  const traefik = new Traefik(scope, "traefik", {
    namespace: traefikNamespace.name,
    loadBalancerIp: lab.loadBalancer.ingressIp,
    dashboardHost: `${traefikHost}.${domain}`,
    dashboardMiddlewares: [{ namespace: traefikNamespace.name, name: dashboardAuthName }],
    defaultCertificateSecretName: issuers.certificateSecretName,
    resources: component("traefik").resources,
    dependsOn: [...metallb.ready, traefikNamespace.ready, ...issuers.ready],
  });
  const dashboardAuth = new TraefikBasicAuth(traefik, "dashboard-auth", {
    name: dashboardAuthName,
    namespace: traefikNamespace.name,
    namespaceReady: [traefikNamespace.ready],
    traefikReady: traefik.ready,
  });
  const dashboard = new ExposedApp(traefik, "traefik", {
    hostname: traefikHost,
    domain,
    namespace: traefikNamespace.name,
    routedByChart: true,
  });

  const longhorn = new Longhorn(scope, "longhorn", {
    namespace: component("longhorn").namespace,
    replicaCount: lab.platform.longhorn.replicaCount,
    storageNodeCount: lab.k3s.servers.length,
    backupTarget: longhornBackupTarget(lab),
    snapshotCron: lab.platform.longhorn.snapshotSchedule,
    snapshotRetain: lab.platform.longhorn.snapshotRetain,
    backupCron: lab.platform.longhorn.backupSchedule,
    backupRetain: lab.platform.longhorn.backupRetain,
    resources: component("longhorn").resources,
    instanceManagerCpuPercent: component("longhorn-instance-manager").perNodeCpuPercent,
  });
  const longhornAuth = new TraefikBasicAuth(longhorn, "ui-auth", {
    name: "longhorn-ui-auth",
    namespace: longhorn.namespace,
    namespaceReady: [longhorn.release.release],
    traefikReady: traefik.ready,
  });
  const longhornUi = new ExposedApp(longhorn, "longhorn", {
    hostname: component("longhorn").webHostname ?? "longhorn",
    domain,
    namespace: longhorn.namespace,
    serviceName: longhorn.uiServiceName,
    servicePort: longhorn.uiServicePort,
    middlewares: [longhornAuth.middleware],
    dependsOn: [longhorn.release.release, ...traefik.ready, ...longhornAuth.ready],
  });

  new TerraformOutput(scope, "ui_credentials", {
    value: {
      [dashboard.node.id]: { url: dashboard.url, username: dashboardAuth.username, password: dashboardAuth.password },
      [longhornUi.node.id]: { url: longhornUi.url, username: longhornAuth.username, password: longhornAuth.password },
    },
    sensitive: true,
    description: "Logins of the UIs that have none of their own (basic auth in Traefik): cdktf output platform --json",
  });

  return {
    loadBalancerReady: metallb.ready,
    storageReady: longhorn.ready,
    storageClassName: longhorn.storageClassName,
    ingressReady: [...traefik.ready, ...issuers.ready],
  };
}

import { Construct } from "constructs";
import { Fn, Op, TerraformVariable } from "cdktf";
import { PersistentVolumeClaimV1 } from "@cdktf/provider-kubernetes/lib/persistent-volume-claim-v1";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { DataGuard } from "../data-guard";
import { ExposedApp } from "./exposed-app";
import type { WebAppProps } from "./web-app";
import { HelmApp, type ChartRef } from "./helm-app";
import { kubernetesResources } from "./resources";

/** guerzon `vaultwarden` chart; keys checked against ../shared/charts/vaultwarden/0.43.1/values.yaml. */
// renovate: datasource=helm depName=vaultwarden registryUrl=https://guerzon.github.io/vaultwarden
export const VAULTWARDEN_CHART: ChartRef = { chart: "vaultwarden", repository: "https://guerzon.github.io/vaultwarden", version: "0.43.1" };

/**
 * Labels that put a Longhorn volume (through its PVC) in the `default` recurring-job group, the
 * group the base layer's snapshot and backup jobs run for.
 */
export const LONGHORN_BACKUP_LABELS = {
  "recurring-job-source.longhorn.io": "enabled",
  "recurring-job-group.longhorn.io/default": "enabled",
} as const;

export interface VaultwardenProps extends WebAppProps {
  readonly storageClassName: string;
  readonly storageGiB: number;
  /** Whether anybody reaching the page may create an account (config: signupsAllowed, false by default). */
  readonly signupsAllowed: boolean;
}

/**
 * Vaultwarden, served only over HTTPS (its web vault needs a secure context for WebCrypto): the
 * `domain` is the https:// URL and the only route in is the Traefik ingress.
 *
 * Admin page: off unless the sensitive Terraform variable `vaultwarden_admin_token` holds an argon2
 * PHC string (`vaultwarden hash` or `argon2 … -e`). Empty (the default) sets ADMIN_TOKEN to an empty
 * value, which Vaultwarden treats as "no token": the /admin page stays disabled. Plain tokens are
 * refused by the variable's validation so that no clear-text admin secret sits in the state.
 *
 * Data: a PVC owned by Terraform (not the chart's volumeClaimTemplate), so it carries the Longhorn
 * recurring-job labels and survives an uninstall of the release.
 */
export class Vaultwarden extends Construct {
  public readonly app: HelmApp;
  public readonly data: PersistentVolumeClaimV1;
  /** `prevent_destroy` on the claim: deleting it deletes the Longhorn volume (reclaim policy Delete). */
  public readonly dataGuard: DataGuard;
  public readonly adminToken: TerraformVariable;
  /** The Secret the chart reads ADMIN_TOKEN from (empty value: admin page off). */
  public readonly adminTokenSecret: SecretV1;
  public readonly web: ExposedApp;

  constructor(scope: Construct, id: string, props: VaultwardenProps) {
    super(scope, id);
    if (!Number.isInteger(props.storageGiB) || props.storageGiB < 1) {
      throw new Error(`Vaultwarden ${id}: storageGiB ${props.storageGiB} must be a whole number of GiB >= 1`);
    }
    const fqdn = `${props.hostname}.${props.domain}`;

    this.adminToken = new TerraformVariable(this, "admin_token", {
      type: "string",
      default: "",
      sensitive: true,
      nullable: false,
      description:
        "Vaultwarden admin token as an argon2 PHC string ($argon2id$v=19$…, from `vaultwarden hash`). Empty: the admin page is disabled.",
    });
    this.adminToken.overrideLogicalId("vaultwarden_admin_token");
    this.adminToken.addValidation({
      // length() < 1 rather than == "" or == 0: cdktf 0.21 renders falsy literals in expressions as `undefined`.
      condition: Op.or(Op.lt(Fn.lengthOf(this.adminToken.stringValue), 1), Fn.startswith(this.adminToken.stringValue, "$argon2")),
      errorMessage: "vaultwarden_admin_token must be empty (admin page off) or an argon2 PHC string starting with $argon2; hash your token with `vaultwarden hash`.",
    });

    // A Secret, not `set_sensitive adminToken.value`: Helm's --set parser splits values on commas,
    // and an argon2 PHC string has them ($argon2id$v=19$m=65540,t=3,p=4$…).
    this.adminTokenSecret = new SecretV1(this, "admin-token", {
      metadata: { name: "vaultwarden-admin-token", namespace: props.namespace },
      data: { ADMIN_TOKEN: this.adminToken.stringValue },
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });

    this.data = new PersistentVolumeClaimV1(this, "data", {
      metadata: {
        name: "vaultwarden-data",
        namespace: props.namespace,
        labels: { "app.kubernetes.io/managed-by": "homelab", ...LONGHORN_BACKUP_LABELS },
      },
      spec: {
        accessModes: ["ReadWriteOnce"],
        storageClassName: props.storageClassName,
        resources: { requests: { storage: `${props.storageGiB}Gi` } },
      },
      waitUntilBound: false,
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });

    this.dataGuard = new DataGuard(this, "data-guard", { resource: this.data, name: "vaultwarden-data", holds: "the Vaultwarden database and attachments" });

    this.app = new HelmApp(this, "chart", {
      chart: props.chart ?? VAULTWARDEN_CHART,
      releaseName: "vaultwarden",
      namespace: props.namespace,
      values: {
        domain: `https://${fqdn}`,
        signupsAllowed: props.signupsAllowed,
        // Accounts can still be invited by existing users when signups are off.
        invitationsAllowed: true,
        resourceType: "Deployment",
        strategy: { type: "Recreate" },
        storage: { existingVolumeClaim: { claimName: "vaultwarden-data", dataPath: "/data" } },
        resources: kubernetesResources(props.resources),
        service: { type: "ClusterIP" },
        ingress: { enabled: false },
        adminToken: { existingSecret: "vaultwarden-admin-token", existingSecretKey: "ADMIN_TOKEN" },
      },
      dependsOn: [...(props.dependsOn ?? []), this.data, this.adminTokenSecret],
    });

    this.web = new ExposedApp(this, id, {
      hostname: props.hostname,
      domain: props.domain,
      namespace: props.namespace,
      serviceName: "vaultwarden",
      servicePort: 80,
      dependsOn: [this.app.release, ...(props.ingressReady ?? [])],
    });
  }
}

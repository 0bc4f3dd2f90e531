import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { HelmApp, localChart, type ChartRef } from "./helm-app";
import { CERTIFICATE_DNS_NAME } from "../../config/formats";

/** The repo's chart with the ClusterIssuers and the wildcard Certificate (charts/cluster-issuers). */
export const CLUSTER_ISSUERS_CHART: ChartRef = localChart("cluster-issuers", "1.0.0");

export const LAB_CA_ISSUER = "lab-ca";
export const ACME_ISSUER = "letsencrypt";

const LETS_ENCRYPT = {
  production: "https://acme-v02.api.letsencrypt.org/directory",
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
} as const;

export interface ClusterIssuersProps {
  /** cert-manager's namespace: the CA Secret and the Cloudflare token Secret live there. */
  readonly namespace: string;
  /** kubernetes.io/tls Secret holding the lab CA (LabCa). */
  readonly labCaSecretName: string;
  /**
   * Let's Encrypt with a Cloudflare DNS-01 solver. When set, the wildcard certificate is issued by
   * it instead of the lab CA. @default none (lab CA only)
   */
  readonly acme?: {
    readonly email: string;
    readonly staging: boolean;
    /** A Terraform reference to the API token (a sensitive variable), never a literal. */
    readonly cloudflareApiToken: string;
  };
  /** Names on the default certificate, e.g. `*.home.arpa`, `home.arpa` and each app's name. */
  readonly certificateDnsNames: readonly string[];
  /** Namespace of the Secret Traefik serves by default. */
  readonly certificateNamespace: string;
  /** @default "wildcard-tls" */
  readonly certificateSecretName?: string;
  /** cert-manager's release, the CA Secret, and the certificate's namespace. */
  readonly dependsOn: ITerraformDependable[];
}

/**
 * The issuers (lab CA; Let's Encrypt DNS-01 when the config names a public domain) and the
 * default certificate, as custom resources in a repo chart released once cert-manager and its
 * CRDs are ready.
 */
export class ClusterIssuers extends Construct {
  public readonly release: HelmApp;
  /** The issuer of the default certificate. */
  public readonly issuerName: string;
  public readonly certificateSecretName: string;

  constructor(scope: Construct, id: string, props: ClusterIssuersProps) {
    super(scope, id);
    if (props.certificateDnsNames.length === 0) {
      throw new Error(`ClusterIssuers ${id}: certificateDnsNames is empty; give at least *.<domain>`);
    }
    const bad = props.certificateDnsNames.find((n) => !CERTIFICATE_DNS_NAME.test(n));
    if (bad !== undefined) {
      throw new Error(`ClusterIssuers ${id}: "${bad}" is not a DNS name (lowercase labels, optional leading *.)`);
    }
    if (props.acme && !props.acme.cloudflareApiToken.includes("${")) {
      throw new Error(`ClusterIssuers ${id}: the Cloudflare token is a literal; pass a sensitive Terraform variable`);
    }
    this.certificateSecretName = props.certificateSecretName ?? "wildcard-tls";
    this.issuerName = props.acme ? ACME_ISSUER : LAB_CA_ISSUER;
    const tokenSecretName = "cloudflare-api-token";
    const tokenSecretKey = "api-token";
    const dependsOn = [...props.dependsOn];
    if (props.acme) {
      dependsOn.push(
        new SecretV1(this, "cloudflare-api-token", {
          metadata: { name: tokenSecretName, namespace: props.namespace },
          data: { [tokenSecretKey]: props.acme.cloudflareApiToken },
          dependsOn: props.dependsOn,
        }),
      );
    }
    this.release = new HelmApp(this, "release", {
      releaseName: "cluster-issuers",
      chart: CLUSTER_ISSUERS_CHART,
      namespace: props.namespace,
      values: {
        labCa: { name: LAB_CA_ISSUER, secretName: props.labCaSecretName },
        acme: props.acme
          ? {
              enabled: true,
              name: ACME_ISSUER,
              email: props.acme.email,
              server: props.acme.staging ? LETS_ENCRYPT.staging : LETS_ENCRYPT.production,
              cloudflare: { apiTokenSecretName: tokenSecretName, apiTokenSecretKey: tokenSecretKey },
            }
          : { enabled: false },
        certificate: {
          name: "wildcard",
          namespace: props.certificateNamespace,
          secretName: this.certificateSecretName,
          issuerName: this.issuerName,
          dnsNames: [...props.certificateDnsNames],
        },
      },
      dependsOn,
    });
  }

  public get ready(): ITerraformDependable[] {
    return [this.release.release];
  }
}

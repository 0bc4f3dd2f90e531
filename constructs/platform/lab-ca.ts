import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { PrivateKey } from "@cdktf/provider-tls/lib/private-key";
import { SelfSignedCert } from "@cdktf/provider-tls/lib/self-signed-cert";
import { tlsProvider } from "./providers";

const HOURS_PER_YEAR = 24 * 365;

export interface LabCaProps {
  /** Subject CN, shown on the household's devices when they trust it, e.g. "homelab CA". */
  readonly commonName: string;
  /** @default "homelab" */
  readonly organization?: string;
  /** Namespace of cert-manager: a ClusterIssuer reads its CA Secret there. */
  readonly namespace: string;
  /** @default "lab-ca" */
  readonly secretName?: string;
  /** @default 10 */
  readonly validityYears?: number;
  /** The cert-manager release (it creates the namespace). */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * The lab's own certificate authority: an ECDSA P-256 key and a self-signed CA certificate made by
 * Terraform (kept only in state, marked sensitive), stored as a kubernetes.io/tls Secret for
 * cert-manager's CA ClusterIssuer. The certificate (public) is what devices install to trust
 * https://<app>.<domain>; see docs/tls.md.
 */
export class LabCa extends Construct {
  public readonly secretName: string;
  public readonly secret: SecretV1;
  /** PEM of the CA certificate (public). */
  public readonly certificatePem: string;

  constructor(scope: Construct, id: string, props: LabCaProps) {
    super(scope, id);
    const years = props.validityYears ?? 10;
    if (!Number.isInteger(years) || years < 1 || years > 30) {
      throw new Error(`LabCa ${id}: validityYears ${years} must be a whole number from 1 to 30`);
    }
    if (props.commonName.trim() === "") {
      throw new Error(`LabCa ${id}: commonName is empty; name the CA, e.g. "homelab CA"`);
    }
    tlsProvider(this); // the stack's single tls provider configuration
    this.secretName = props.secretName ?? "lab-ca";
    const key = new PrivateKey(this, "key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const cert = new SelfSignedCert(this, "certificate", {
      privateKeyPem: key.privateKeyPem,
      subject: [{ commonName: props.commonName, organization: props.organization ?? "homelab" }],
      isCaCertificate: true,
      setSubjectKeyId: true,
      validityPeriodHours: years * HOURS_PER_YEAR,
      allowedUses: ["cert_signing", "crl_signing"],
    });
    this.certificatePem = cert.certPem;
    this.secret = new SecretV1(this, "secret", {
      metadata: { name: this.secretName, namespace: props.namespace },
      type: "kubernetes.io/tls",
      data: { "tls.crt": cert.certPem, "tls.key": key.privateKeyPem },
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });
  }
}

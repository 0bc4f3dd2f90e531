import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { Password } from "@cdktf/provider-random/lib/password";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";

export interface GeneratedCredentialProps {
  readonly namespace: string;
  /** Name of the Kubernetes Secret the chart reads (its `existingSecret`). */
  readonly secretName: string;
  /** Key of the generated password in the Secret. @default "password" */
  readonly passwordKey?: string;
  /** Non-secret entries stored next to the password (e.g. the user name). */
  readonly extraData?: Record<string, string>;
  /** @default 32 */
  readonly lengthChars?: number;
  readonly labels?: Record<string, string>;
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * A generated password (random_password, kept in state only, marked sensitive) and the Kubernetes
 * Secret that hands it to a chart. Alphanumeric on purpose: the password travels through URLs,
 * shell environments and bcrypt without escaping. Never regenerated once created.
 */
export class GeneratedCredential extends Construct {
  /** The password as a Terraform reference (sensitive). */
  public readonly password: string;
  /** bcrypt hash of the password (for apps that store a hash, e.g. ArgoCD, AdGuard Home). */
  public readonly bcryptHash: string;
  public readonly secretName: string;
  public readonly passwordKey: string;
  public readonly secret: SecretV1;
  public readonly random: Password;

  constructor(scope: Construct, id: string, props: GeneratedCredentialProps) {
    super(scope, id);
    const length = props.lengthChars ?? 32;
    if (!Number.isInteger(length) || length < 16) {
      throw new Error(`GeneratedCredential ${id}: lengthChars ${length} is too short; use at least 16`);
    }
    this.passwordKey = props.passwordKey ?? "password";
    if (props.extraData && this.passwordKey in props.extraData) {
      throw new Error(`GeneratedCredential ${id}: extraData also sets "${this.passwordKey}"; remove it, the password key is generated`);
    }
    this.random = new Password(this, "password", { length, special: false, minNumeric: 2, minUpper: 2, minLower: 2 });
    this.password = this.random.result;
    this.bcryptHash = this.random.bcryptHash;
    this.secretName = props.secretName;
    this.secret = new SecretV1(this, "secret", {
      metadata: {
        name: props.secretName,
        namespace: props.namespace,
        labels: { "app.kubernetes.io/managed-by": "homelab", ...props.labels },
      },
      data: { ...props.extraData, [this.passwordKey]: this.password },
      ...(props.dependsOn?.length ? { dependsOn: props.dependsOn } : {}),
    });
  }
}

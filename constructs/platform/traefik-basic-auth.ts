import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import { Password } from "@cdktf/provider-random/lib/password";
import type { TraefikMiddlewareRef } from "./exposed-app";
import { HelmApp, localChart, type ChartRef } from "./helm-app";
import { randomProvider } from "./providers";
import { isDnsLabel } from "../../config/formats";

/** The repo's chart with one basicAuth Middleware (charts/traefik-basic-auth). */
export const TRAEFIK_BASIC_AUTH_CHART: ChartRef = localChart("traefik-basic-auth", "1.0.0");

export interface TraefikBasicAuthProps {
  /** Middleware name (also the release name), unique in its namespace. */
  readonly name: string;
  /** Namespace of the app it protects (Traefik resolves the Secret there). */
  readonly namespace: string;
  /** @default "admin" */
  readonly username?: string;
  /** What creates the namespace (the Secret goes in first). */
  readonly namespaceReady: ITerraformDependable[];
  /** Traefik's release: its chart installs the Middleware CRD. */
  readonly traefikReady: ITerraformDependable[];
}

/**
 * HTTP basic authentication in front of a UI that has no login of its own (Longhorn, Traefik's
 * dashboard): a random password made by Terraform (kept in state; its bcrypt hash, computed once,
 * is what the cluster sees), an htpasswd Secret, and a Traefik Middleware. Read the password with
 * `cdktf output platform` (sensitive output `ui_credentials`).
 */
export class TraefikBasicAuth extends Construct {
  public readonly username: string;
  /** The generated password (sensitive Terraform reference). */
  public readonly password: string;
  public readonly middleware: TraefikMiddlewareRef;
  public readonly release: HelmApp;

  constructor(scope: Construct, id: string, props: TraefikBasicAuthProps) {
    super(scope, id);
    if (!isDnsLabel(props.name)) {
      throw new Error(`TraefikBasicAuth ${id}: name "${props.name}" is not a DNS label; use lowercase letters, digits and '-'`);
    }
    this.username = props.username ?? "admin";
    if (!/^[A-Za-z0-9._-]+$/.test(this.username)) {
      throw new Error(`TraefikBasicAuth ${id}: username "${this.username}" may hold only letters, digits, '.', '_' and '-'`);
    }
    // Letters and digits only: typed by hand on phones; 24 characters keep it strong.
    randomProvider(this); // the stack's single random provider configuration
    const password = new Password(this, "password", { length: 24, special: false });
    this.password = password.result;
    const secretName = `${props.name}-users`;
    const secret = new SecretV1(this, "users", {
      metadata: { name: secretName, namespace: props.namespace },
      data: { users: `${this.username}:${password.bcryptHash}` },
      dependsOn: props.namespaceReady,
    });
    this.middleware = { namespace: props.namespace, name: props.name };
    this.release = new HelmApp(this, "release", {
      releaseName: props.name,
      chart: TRAEFIK_BASIC_AUTH_CHART,
      namespace: props.namespace,
      values: { name: props.name, secretName },
      dependsOn: [...props.traefikReady, secret],
    });
  }

  public get ready(): ITerraformDependable[] {
    return [this.release.release];
  }
}

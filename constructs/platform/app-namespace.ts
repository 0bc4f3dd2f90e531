import { Construct } from "constructs";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";

export interface AppNamespaceProps {
  /** Namespace name (from the catalog, config/apps.ts). */
  readonly name: string;
}

/**
 * A namespace owned by Terraform rather than by a Helm release (`createNamespace`), so that the
 * Secrets and PVCs an app needs can exist before its release, and several releases can share it.
 */
export class AppNamespace extends Construct {
  public readonly name: string;
  public readonly resource: NamespaceV1;

  constructor(scope: Construct, id: string, props: AppNamespaceProps) {
    super(scope, id);
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(props.name)) {
      throw new Error(`AppNamespace ${id}: "${props.name}" is not a valid namespace name; use lowercase letters, digits and '-'`);
    }
    this.resource = new NamespaceV1(this, "namespace", {
      metadata: { name: props.name, labels: { "app.kubernetes.io/managed-by": "homelab" } },
    });
    this.name = props.name;
  }
}

import { Construct } from "constructs";
import type { ITerraformDependable } from "cdktf";
import { NamespaceV1 } from "@cdktf/provider-kubernetes/lib/namespace-v1";
import { isDnsLabel } from "../../config/formats";

export interface NamespaceProps {
  /** Namespace name (a DNS label). */
  readonly name: string;
  /** @default {} */
  readonly labels?: Record<string, string>;
}

/**
 * A namespace created ahead of the release that lives in it, when other resources must go in
 * first (the wildcard certificate and the dashboard credentials before Traefik's release).
 */
export class Namespace extends Construct {
  public readonly name: string;
  public readonly resource: NamespaceV1;

  constructor(scope: Construct, id: string, props: NamespaceProps) {
    super(scope, id);
    if (!isDnsLabel(props.name)) {
      throw new Error(`Namespace ${id}: "${props.name}" is not a DNS label; use lowercase letters, digits and '-'`);
    }
    this.name = props.name;
    this.resource = new NamespaceV1(this, "namespace", {
      metadata: { name: props.name, ...(props.labels ? { labels: props.labels } : {}) },
    });
  }

  /** Dependable for resources that must wait for the namespace. */
  public get ready(): ITerraformDependable {
    return this.resource;
  }
}

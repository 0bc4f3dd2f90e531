import type { Construct } from "constructs";
import { Namespace } from "../../constructs/platform/namespace";

/** Labels of every namespace the platform creates. */
export const NAMESPACE_LABELS = { "app.kubernetes.io/managed-by": "homelab" } as const;

/**
 * The platform's one namespace policy: every namespace a release, Secret or PVC goes into is a
 * Terraform-owned Namespace with the same labels, created once per name (Loki, Alloy and Grafana
 * share one) before anything goes in. Releases never create their namespace (HelmApp).
 */
export class PlatformNamespaces {
  private readonly created = new Map<string, Namespace>();

  constructor(private readonly scope: Construct) {}

  /** The Namespace called `name`, created on first use (construct id `namespace-<name>`). */
  public of(name: string): Namespace {
    let ns = this.created.get(name);
    if (!ns) {
      ns = new Namespace(this.scope, `namespace-${name}`, { name, labels: { ...NAMESPACE_LABELS } });
      this.created.set(name, ns);
    }
    return ns;
  }
}

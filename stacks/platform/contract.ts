import type { ITerraformDependable } from "cdktf";
import type { PlatformNamespaces } from "./namespaces";

/**
 * What the platform's base layer (phase 4) hands to the apps (phase 5): the resources an app
 * release must wait for. Apps depend on these instead of on each other's internals.
 */
export interface PlatformBase {
  /** The stack's namespaces (one policy): apps take theirs from here. */
  readonly namespaces: PlatformNamespaces;
  /** MetalLB and its address pool are ready: LoadBalancer Services get their fixed address. */
  readonly loadBalancerReady: ITerraformDependable[];
  /** Longhorn is ready and its StorageClass exists. */
  readonly storageReady: ITerraformDependable[];
  /** Name of the StorageClass for app data (Longhorn, replicated and backed up). */
  readonly storageClassName: string;
  /** Traefik, cert-manager, the issuers and the default wildcard certificate are ready. */
  readonly ingressReady: ITerraformDependable[];
}

import type { ITerraformDependable } from "cdktf";
import type { Resources } from "../../config/apps";
import type { ChartRef } from "./helm-app";

/** What every web app of the platform takes: where it lives, its URL, its resources, its order. */
export interface WebAppProps {
  /** Namespace (from the catalog, config/apps.ts). */
  readonly namespace: string;
  /** DNS label: the app is served at https://<hostname>.<domain>. */
  readonly hostname: string;
  readonly domain: string;
  /** Total requests/limits of the app's pods, from the catalog. */
  readonly resources: Resources;
  /** @default the pinned upstream chart of the app */
  readonly chart?: ChartRef;
  /** What the release waits for (its namespace, storage, load balancer). @default [] */
  readonly dependsOn?: ITerraformDependable[];
  /** What the ingress waits for: Traefik and its CRDs (the base layer's `ingressReady`). @default [] */
  readonly ingressReady?: ITerraformDependable[];
}

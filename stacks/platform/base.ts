import type { Construct } from "constructs";
import type { LabConfig } from "../../config/schema";
import type { PlatformBase } from "./contract";

/** Phase 4: MetalLB, Longhorn, cert-manager + TLS, Traefik. (Filled in by the platform-base work.) */
export function buildPlatformBase(_scope: Construct, _lab: LabConfig): PlatformBase {
  return { loadBalancerReady: [], storageReady: [], storageClassName: "longhorn", ingressReady: [] };
}

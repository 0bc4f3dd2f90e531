import type { Construct } from "constructs";
import type { LabConfig } from "../../config/schema";
import type { PlatformBase } from "./contract";

/** Phase 5: Gitea, ArgoCD + GitOps bootstrap, observability, Vaultwarden, AdGuard Home. (Filled in by the platform-apps work.) */
export function buildPlatformApps(_scope: Construct, _lab: LabConfig, _base: PlatformBase): void {}

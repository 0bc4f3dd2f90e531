/**
 * Kubernetes requests/limits from the platform catalog (config/apps.ts). The catalog gives what a
 * component asks in total; a chart with several pods gets an even share each, so the sum of what
 * the pods ask never exceeds the catalog figure that the capacity check counts.
 */
import type { Resources } from "../../config/apps";

/** A container's `resources:` block as charts take it. */
export interface KubernetesResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly memory: string; readonly cpu?: string };
}

export function kubernetesResources(r: Resources): KubernetesResources {
  return {
    requests: { cpu: `${r.requestMilliCpu}m`, memory: `${r.requestMemoryMiB}Mi` },
    limits: {
      memory: `${r.limitMemoryMiB}Mi`,
      ...(r.limitMilliCpu !== undefined ? { cpu: `${r.limitMilliCpu}m` } : {}),
    },
  };
}

/** One of `parts` equal shares of `total` (rounded down), for a component made of several pods. */
export function shareOf(total: Resources, parts: number): Resources {
  if (!Number.isInteger(parts) || parts < 1) {
    throw new Error(`shareOf: parts must be a whole number of pods (1 or more), got ${parts}`);
  }
  const share = (n: number) => Math.floor(n / parts);
  return {
    requestMilliCpu: share(total.requestMilliCpu),
    requestMemoryMiB: share(total.requestMemoryMiB),
    limitMemoryMiB: share(total.limitMemoryMiB),
    ...(total.limitMilliCpu !== undefined ? { limitMilliCpu: share(total.limitMilliCpu) } : {}),
  };
}

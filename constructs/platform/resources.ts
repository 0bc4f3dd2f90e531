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

/**
 * Splits a component's catalog total over its containers by weight, so that the containers add up
 * to exactly the catalog numbers (the capacity check reads the catalog, the cluster reads these).
 * Rounding remainders go to the first container.
 */
export function splitResources<K extends string>(total: Resources, weights: Record<K, number>): Record<K, Resources> {
  const keys = Object.keys(weights) as K[];
  const sum = keys.reduce((s, k) => s + weights[k], 0);
  if (keys.length === 0 || !(sum > 0) || keys.some((k) => !(weights[k] > 0))) {
    throw new Error(`splitResources: weights ${JSON.stringify(weights)} must be positive numbers; give each container a share > 0`);
  }
  const share = (value: number | undefined): Record<K, number> | undefined => {
    if (value === undefined) return undefined;
    const parts = keys.map((k) => Math.floor((value * weights[k]) / sum));
    parts[0] += value - parts.reduce((s, p) => s + p, 0);
    return Object.fromEntries(keys.map((k, i) => [k, parts[i]])) as Record<K, number>;
  };
  const reqCpu = share(total.requestMilliCpu)!;
  const reqMem = share(total.requestMemoryMiB)!;
  const limMem = share(total.limitMemoryMiB)!;
  const limCpu = share(total.limitMilliCpu);
  return Object.fromEntries(
    keys.map((k) => [
      k,
      {
        requestMilliCpu: reqCpu[k],
        requestMemoryMiB: reqMem[k],
        limitMemoryMiB: limMem[k],
        ...(limCpu ? { limitMilliCpu: limCpu[k] } : {}),
      },
    ]),
  ) as Record<K, Resources>;
}

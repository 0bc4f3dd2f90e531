import { kubernetesResources, shareOf, splitResources } from "../../../constructs/platform/resources";

describe("catalog resources", () => {
  test("render as requests and a memory limit; a CPU limit only when the catalog gives one", () => {
    expect(kubernetesResources({ requestMilliCpu: 100, requestMemoryMiB: 128, limitMemoryMiB: 256 })).toEqual({
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { memory: "256Mi" },
    });
    expect(kubernetesResources({ requestMilliCpu: 100, requestMemoryMiB: 128, limitMemoryMiB: 256, limitMilliCpu: 500 }).limits).toEqual({
      memory: "256Mi",
      cpu: "500m",
    });
  });

  test("equal shares round down, so the pods never ask more than the catalog total", () => {
    const total = { requestMilliCpu: 50, requestMemoryMiB: 160, limitMemoryMiB: 384, limitMilliCpu: 100 };
    const third = shareOf(total, 3);
    expect(third).toEqual({ requestMilliCpu: 16, requestMemoryMiB: 53, limitMemoryMiB: 128, limitMilliCpu: 33 });
    expect(third.requestMemoryMiB * 3).toBeLessThanOrEqual(total.requestMemoryMiB);
  });

  test("fails when the number of pods is not a whole number of 1 or more", () => {
    expect(() => shareOf({ requestMilliCpu: 1, requestMemoryMiB: 1, limitMemoryMiB: 1 }, 0)).toThrow(
      "shareOf: parts must be a whole number of pods (1 or more), got 0",
    );
  });

  test("weighted splits add up to exactly the catalog total (remainders go to the first container)", () => {
    const total = { requestMilliCpu: 250, requestMemoryMiB: 512, limitMemoryMiB: 1024 };
    const parts = splitResources(total, { controller: 2, server: 1, redis: 1 });
    const sum = (k: "requestMilliCpu" | "requestMemoryMiB" | "limitMemoryMiB") =>
      Object.values(parts).reduce((n, r) => n + r[k], 0);
    expect([sum("requestMilliCpu"), sum("requestMemoryMiB"), sum("limitMemoryMiB")]).toEqual([250, 512, 1024]);
    expect(parts.controller.requestMilliCpu).toBe(126);
    expect(parts.server.limitMilliCpu).toBeUndefined();
  });

  test("fails when a weight is not positive", () => {
    expect(() => splitResources({ requestMilliCpu: 1, requestMemoryMiB: 1, limitMemoryMiB: 1 }, { a: 1, b: 0 })).toThrow(
      "must be positive numbers",
    );
  });
});

import { MetalLb, rangesWithout } from "../../../constructs/platform/metallb";
import { ipToInt } from "../../../config/ipv4";
import { synthJson } from "../../helpers";
import { clusterStack, helmRelease, helmValues, releaseAddress, releaseDependsOn } from "../../support/terraform";

const RESOURCES = { requestMilliCpu: 100, requestMemoryMiB: 128, limitMemoryMiB: 256 };
const PROPS = {
  poolStart: "192.168.1.60",
  poolEnd: "192.168.1.79",
  reservedAddresses: { "Traefik ingress": "192.168.1.60", "AdGuard Home DNS": "192.168.1.61", "Gitea SSH": "192.168.1.62" },
  interfaces: ["ens18"],
  resources: RESOURCES,
};

function synth(props = PROPS) {
  const stack = clusterStack();
  new MetalLb(stack, "metallb", props);
  return synthJson(stack);
}

describe("MetalLb", () => {
  test("installs the pinned chart in layer-2 mode: CRDs on, FRR-K8s off, half the catalog resources per pod", () => {
    const json = synth();
    expect(helmRelease(json, "metallb")).toMatchObject({
      chart: "metallb",
      repository: "https://metallb.github.io/metallb",
      version: "0.16.1",
      namespace: "metallb-system",
      wait: true,
    });
    const values = helmValues(json, "metallb");
    expect(values.crds).toEqual({ enabled: true });
    expect(values.frrk8s).toEqual({ enabled: false });
    const half = { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "128Mi" } };
    expect(values.controller.resources).toEqual(half);
    expect(values.speaker.resources).toEqual(half);
    expect(values.speaker.ignoreExcludeLB).toBe(true);
  });

  test("reserved addresses go to a pool that is never auto-assigned; the rest of the block to a dynamic pool", () => {
    const values = helmValues(synth(), "metallb-config");
    expect(values.pools).toEqual([
      { name: "lab-reserved", addresses: ["192.168.1.60/32", "192.168.1.61/32", "192.168.1.62/32"], autoAssign: false },
      { name: "lab-dynamic", addresses: ["192.168.1.63-192.168.1.79"], autoAssign: true },
    ]);
    expect(values.l2Advertisement).toEqual({ name: "lab", interfaces: ["ens18"] });
  });

  test("the pools are released after MetalLB (CRDs and webhook ready), waiting, in the same namespace", () => {
    const json = synth();
    expect(releaseDependsOn(json, "metallb-config")).toEqual([releaseAddress(json, "metallb")]);
    expect(helmRelease(json, "metallb-config")).toMatchObject({ namespace: "metallb-system", create_namespace: false, wait: true });
    expect(helmRelease(json, "metallb-config").repository).toBeUndefined();
  });

  test("ranges without holes: single addresses as /32, holes at the ends and outside ignored", () => {
    const n = ipToInt;
    expect(rangesWithout(n("10.0.0.1"), n("10.0.0.5"), [n("10.0.0.1"), n("10.0.0.3"), n("10.0.0.9")])).toEqual([
      "10.0.0.2/32",
      "10.0.0.4-10.0.0.5",
    ]);
    expect(rangesWithout(n("10.0.0.1"), n("10.0.0.2"), [n("10.0.0.1"), n("10.0.0.2")])).toEqual([]);
  });

  test("a pool made only of reserved addresses has no dynamic pool", () => {
    const values = helmValues(synth({ ...PROPS, poolEnd: "192.168.1.62" }), "metallb-config");
    expect(values.pools.map((p: { name: string }) => p.name)).toEqual(["lab-reserved"]);
  });

  test("fails when a reserved address is outside the pool", () => {
    expect(() => synth({ ...PROPS, reservedAddresses: { ...PROPS.reservedAddresses, "Gitea SSH": "192.168.1.90" } })).toThrow(
      "MetalLb metallb: Gitea SSH claims 192.168.1.90, outside the pool 192.168.1.60–192.168.1.79; pick an address inside the pool (loadBalancer in homelab.yaml)",
    );
  });

  test("fails when two owners claim one address", () => {
    expect(() => synth({ ...PROPS, reservedAddresses: { ...PROPS.reservedAddresses, "Gitea SSH": "192.168.1.60" } })).toThrow(
      "MetalLb metallb: 192.168.1.60 is claimed by both Traefik ingress and Gitea SSH; give each its own address",
    );
  });

  test("fails when the pool is reversed", () => {
    expect(() => synth({ ...PROPS, poolStart: "192.168.1.79", poolEnd: "192.168.1.60" })).toThrow(
      "MetalLb metallb: pool start 192.168.1.79 is after its end 192.168.1.60; swap them",
    );
  });
});

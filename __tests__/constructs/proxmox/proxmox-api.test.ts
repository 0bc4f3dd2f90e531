import { ProxmoxApi } from "../../../constructs/proxmox/proxmox-api";
import { synthJson } from "../../helpers";
import { loadProxmoxSchema, validateAgainstSchema } from "../../support/terraform-schema";
import { testStack } from "./fixtures";

const NODES = [
  { name: "pve-01", address: "192.168.1.11" },
  { name: "pve-02", address: "192.168.1.12" },
];

describe("ProxmoxApi", () => {
  it("configures the endpoint and one SSH node entry per Proxmox node, without credentials", () => {
    const stack = testStack();
    new ProxmoxApi(stack, "proxmox", { endpoint: "https://192.168.1.11:8006/", insecureTls: true, sshUser: "root", nodes: NODES });
    const json = synthJson(stack);
    expect(json.provider.proxmox).toEqual([
      {
        endpoint: "https://192.168.1.11:8006/",
        insecure: true,
        ssh: [{ username: "root", node: NODES }],
      },
    ]);
    expect(validateAgainstSchema(json, loadProxmoxSchema())).toEqual([]);
  });

  it("fails when no node is given", () => {
    expect(
      () => new ProxmoxApi(testStack(), "proxmox", { endpoint: "https://x:8006/", insecureTls: false, sshUser: "root", nodes: [] }),
    ).toThrow("ProxmoxApi: nodes is empty; list every Proxmox node so uploads reach the right host");
  });

  it("fails when the endpoint is not the API's https URL", () => {
    expect(
      () => new ProxmoxApi(testStack(), "proxmox", { endpoint: "http://192.168.1.11:8006/", insecureTls: true, sshUser: "root", nodes: NODES }),
    ).toThrow('ProxmoxApi: endpoint "http://192.168.1.11:8006/" must be the API\'s https URL, e.g. https://192.168.1.11:8006/');
  });

  it("fails when a node is listed twice", () => {
    expect(
      () =>
        new ProxmoxApi(testStack(), "proxmox", {
          endpoint: "https://192.168.1.11:8006/",
          insecureTls: true,
          sshUser: "root",
          nodes: [NODES[0], { name: "pve-01", address: "192.168.1.99" }],
        }),
    ).toThrow("ProxmoxApi: node pve-01 is listed twice; each Proxmox node needs exactly one SSH address");
  });
});

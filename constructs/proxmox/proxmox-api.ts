import { Construct } from "constructs";
import { ProxmoxProvider } from "../../.gen/providers/proxmox/provider";

export interface ProxmoxApiNode {
  /** Proxmox node name, as `pvecm nodes` shows it. */
  readonly name: string;
  /** Address the provider reaches the node's SSH on. */
  readonly address: string;
}

export interface ProxmoxApiProps {
  /** API endpoint, e.g. `https://192.168.1.11:8006/`. */
  readonly endpoint: string;
  /** Accept the node's self-signed certificate. */
  readonly insecureTls: boolean;
  /** SSH user for uploads (snippets need root or a sudoer). */
  readonly sshUser: string;
  /** One SSH target per node: snippets and images are node-local, so uploads must reach the right host. */
  readonly nodes: readonly ProxmoxApiNode[];
}

/**
 * The bpg/proxmox provider. Credentials never come from the config or the repo: the provider reads
 * `PROXMOX_VE_API_TOKEN` for the API and `PROXMOX_VE_SSH_AGENT` / `PROXMOX_VE_SSH_PRIVATE_KEY`
 * for SSH from the environment (https://registry.terraform.io/providers/bpg/proxmox/latest/docs).
 */
export class ProxmoxApi extends Construct {
  public readonly provider: ProxmoxProvider;

  constructor(scope: Construct, id: string, props: ProxmoxApiProps) {
    super(scope, id);
    if (props.nodes.length === 0) {
      throw new Error("ProxmoxApi: nodes is empty; list every Proxmox node so uploads reach the right host");
    }
    if (!/^https:\/\/[^/\s]+(:\d+)?\/?$/.test(props.endpoint)) {
      throw new Error(`ProxmoxApi: endpoint "${props.endpoint}" must be the API's https URL, e.g. https://192.168.1.11:8006/`);
    }
    const seen = new Set<string>();
    for (const node of props.nodes) {
      if (seen.has(node.name)) {
        throw new Error(`ProxmoxApi: node ${node.name} is listed twice; each Proxmox node needs exactly one SSH address`);
      }
      seen.add(node.name);
    }
    this.provider = new ProxmoxProvider(this, "provider", {
      endpoint: props.endpoint,
      insecure: props.insecureTls,
      ssh: [
        {
          username: props.sshUser,
          nodeAttribute: props.nodes.map((n) => ({ name: n.name, address: n.address })),
        },
      ],
    });
  }
}

import { Construct } from "constructs";
import { DownloadFile } from "../../.gen/providers/proxmox/download-file";

const CHECKSUM_HEX_LENGTH = { sha256: 64, sha512: 128 } as const;

export interface CloudImageProps {
  /** Proxmox node that downloads the image: storage like `local` is per node, so each node needs its own copy. */
  readonly proxmoxNode: string;
  /** Directory storage with the `iso` content type, e.g. `local`. */
  readonly datastoreId: string;
  /** https URL of a dated (pinned) image build, never a `latest`/`current` alias. */
  readonly url: string;
  /** Hex checksum from the build's SHA256SUMS/SHA512SUMS; Proxmox verifies it after the download. */
  readonly checksum: string;
  readonly checksumAlgorithm: "sha256" | "sha512";
  /** Name on the storage; must end in `.img` (see the class comment). */
  readonly fileName: string;
  /**
   * Download timeout; a 400 MB image over a slow home line can take more than the provider's 10 minutes.
   * @default 1800
   */
  readonly downloadTimeoutSeconds?: number;
}

/**
 * A distribution cloud image (Debian genericcloud, Ubuntu cloudimg) downloaded by one Proxmox node
 * from the distribution's mirror (`proxmox_download_file`, the node fetches it itself: nothing
 * goes through the machine running Terraform).
 *
 * Why `.img` in the `iso` content type: the images are qcow2 files, but Proxmox only accepts the
 * extensions `.iso` and `.img` for `iso` content, and a `.qcow2` name is refused ("wrong file
 * extension"). QEMU reads the format from the file header, not its name, so the VM disk imports it
 * correctly (bpg documents this workaround). The `import` content type of PVE 8.4+ would take
 * `.qcow2` and let disks use `import_from`, but it must be enabled on the storage first; `iso` works
 * on a stock `local` storage, so it is the default here.
 *
 * `overwrite` is false: the build is pinned by URL and checksum, so a size check against the mirror
 * can only cause a needless re-download; a new build is a new URL and file name, i.e. a new file.
 *
 * @example
 * new CloudImage(this, "image-pve-01", {
 *   proxmoxNode: "pve-01", datastoreId: "local", fileName: "debian-13-genericcloud-amd64-20260712-2537.img",
 *   url: "https://cloud.debian.org/images/cloud/trixie/20260712-2537/debian-13-genericcloud-amd64-20260712-2537.qcow2",
 *   checksum: "7ae5…", checksumAlgorithm: "sha512",
 * });
 */
export class CloudImage extends Construct {
  public readonly download: DownloadFile;
  /** Volume id on the node, e.g. `local:iso/debian-13-genericcloud-amd64-20260712-2537.img`. */
  public readonly fileId: string;
  public readonly proxmoxNode: string;

  constructor(scope: Construct, id: string, props: CloudImageProps) {
    super(scope, id);
    if (!/^https:\/\/\S+$/.test(props.url)) {
      throw new Error(`CloudImage ${id}: url "${props.url}" is not an https:// URL; use the distribution's https mirror of a dated build`);
    }
    if (!/^[A-Za-z0-9._-]+\.img$/.test(props.fileName)) {
      throw new Error(
        `CloudImage ${id}: fileName "${props.fileName}" must be a plain file name ending in .img ` +
          `(Proxmox accepts only .iso and .img for iso content), e.g. debian-13-genericcloud-amd64.img`,
      );
    }
    const expected = CHECKSUM_HEX_LENGTH[props.checksumAlgorithm];
    if (expected === undefined) {
      throw new Error(`CloudImage ${id}: checksumAlgorithm "${props.checksumAlgorithm}" is not supported; use sha256 or sha512`);
    }
    if (!new RegExp(`^[0-9a-f]{${expected}}$`).test(props.checksum)) {
      throw new Error(
        `CloudImage ${id}: checksum "${props.checksum.slice(0, 16)}…" (${props.checksum.length} characters) is not a ` +
          `${props.checksumAlgorithm} checksum (${expected} lowercase hex characters); copy it from the build's ` +
          `${props.checksumAlgorithm.toUpperCase()}SUMS file, or fix checksumAlgorithm`,
      );
    }
    const timeout = props.downloadTimeoutSeconds ?? 1800;
    if (!Number.isInteger(timeout) || timeout <= 0) {
      throw new Error(`CloudImage ${id}: downloadTimeoutSeconds ${timeout} must be a positive whole number of seconds`);
    }
    this.proxmoxNode = props.proxmoxNode;
    this.download = new DownloadFile(this, "download", {
      nodeName: props.proxmoxNode,
      contentType: "iso",
      datastoreId: props.datastoreId,
      url: props.url,
      fileName: props.fileName,
      checksum: props.checksum,
      checksumAlgorithm: props.checksumAlgorithm,
      overwrite: false,
      uploadTimeout: timeout,
    });
    this.fileId = this.download.id;
  }
}

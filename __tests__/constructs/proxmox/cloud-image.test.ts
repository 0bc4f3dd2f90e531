import { CloudImage } from "../../../constructs/proxmox/cloud-image";
import { synthJson } from "../../helpers";
import { loadProxmoxSchema, validateAgainstSchema } from "../../support/terraform-schema";
import { IMAGE, only, testStack } from "./fixtures";

describe("CloudImage", () => {
  it("downloads the pinned image once, as iso content on the node's image storage", () => {
    const stack = testStack();
    const image = new CloudImage(stack, "image-pve-02", { ...IMAGE, proxmoxNode: "pve-02" });
    const json = synthJson(stack);
    expect(only(json, "proxmox_download_file")).toEqual({
      node_name: "pve-02",
      content_type: "iso",
      datastore_id: "local",
      url: IMAGE.url,
      file_name: IMAGE.fileName,
      checksum: IMAGE.checksum,
      checksum_algorithm: "sha512",
      // A re-run never re-downloads: the build is pinned by URL and checksum.
      overwrite: false,
      upload_timeout: 1800,
    });
    expect(image.proxmoxNode).toBe("pve-02");
    expect(image.fileId).toMatch(/^\$\{TfToken/);
    expect(validateAgainstSchema(json, loadProxmoxSchema())).toEqual([]);
  });

  it("accepts a sha256 checksum and a longer timeout", () => {
    const stack = testStack();
    new CloudImage(stack, "i", { ...IMAGE, proxmoxNode: "pve-01", checksum: "b".repeat(64), checksumAlgorithm: "sha256", downloadTimeoutSeconds: 3600 });
    expect(only(synthJson(stack), "proxmox_download_file")).toMatchObject({ checksum_algorithm: "sha256", upload_timeout: 3600 });
  });

  it("fails when the file name keeps the .qcow2 extension Proxmox refuses for iso content", () => {
    expect(() => new CloudImage(testStack(), "i", { ...IMAGE, proxmoxNode: "pve-01", fileName: "debian-13.qcow2" })).toThrow(
      'CloudImage i: fileName "debian-13.qcow2" must be a plain file name ending in .img',
    );
  });

  it("fails when the checksum length does not match the algorithm", () => {
    expect(
      () => new CloudImage(testStack(), "i", { ...IMAGE, proxmoxNode: "pve-01", checksum: "c".repeat(64), checksumAlgorithm: "sha512" }),
    ).toThrow(/checksum "cccccccccccccccc…" \(64 characters\) is not a sha512 checksum \(128 lowercase hex characters\)/);
  });

  it("fails when the URL is not https", () => {
    expect(() => new CloudImage(testStack(), "i", { ...IMAGE, proxmoxNode: "pve-01", url: "http://example.org/x.qcow2" })).toThrow(
      'CloudImage i: url "http://example.org/x.qcow2" is not an https:// URL',
    );
  });

  it("fails when the checksum algorithm is unknown", () => {
    expect(
      () => new CloudImage(testStack(), "i", { ...IMAGE, proxmoxNode: "pve-01", checksumAlgorithm: "md5" as "sha256" }),
    ).toThrow('CloudImage i: checksumAlgorithm "md5" is not supported; use sha256 or sha512');
  });

  it("fails when the timeout is not positive", () => {
    expect(() => new CloudImage(testStack(), "i", { ...IMAGE, proxmoxNode: "pve-01", downloadTimeoutSeconds: 0 })).toThrow(
      "CloudImage i: downloadTimeoutSeconds 0 must be a positive whole number of seconds",
    );
  });
});

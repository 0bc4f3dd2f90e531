import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";
import { Construct, type IConstruct } from "constructs";
import { TerraformStack } from "cdktf";
import type { ISynthesisSession } from "cdktf";
// Not re-exported by cdktf's index; TerraformAsset registers its copy step the same way.
import { addCustomSynthesis } from "cdktf/lib/synthesize/synthesizer";
import { listTree } from "./tree-hash";

export interface StackBundleProps {
  /** Folder of the repository the entries are read from, at synth (an absolute path). */
  readonly root: string;
  /** Files and folders under `root` copied into the bundle, with the same relative paths. */
  readonly entries: readonly string[];
  /**
   * Files rendered at synth, by path inside the bundle (e.g. `inventory/hosts.yaml`). They must
   * hold no secret: they land in cdktf.out. @default none
   */
  readonly generated?: Readonly<Record<string, string>>;
}

const SAFE_PATH = /^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[A-Za-z0-9._/-]+$/;

/**
 * Files of the repository that a stack's plan or apply reads (the Ansible tree, the GitOps folder,
 * a script), copied at synth into `cdktf.out/stacks/<stack>/assets/<id>/<hash>/` together with
 * files rendered from the config (the inventory). A stack then needs nothing outside its own
 * directory: Terraform Cloud uploads exactly that directory to the agent that runs it.
 *
 * Like a `TerraformAsset` of a folder, but with a chosen set of entries and generated files, and
 * a content hash over both (the same on every machine: relative paths and bytes only), so the
 * folder name changes whenever a byte inside changes and synth stays deterministic.
 */
export class StackBundle extends Construct {
  /** Every bundle under a scope (a stack), in construct order. */
  public static all(scope: IConstruct): StackBundle[] {
    return scope.node.findAll().filter((c): c is StackBundle => c instanceof StackBundle);
  }

  /** Hex SHA-256 over every file of the bundle (path and content). */
  public readonly sha256: string;
  /** The bundle's folder relative to the stack directory, e.g. `assets/ansible/<hash>`. */
  public readonly path: string;
  /** Every file of the bundle, relative to its folder, sorted. */
  public readonly files: readonly string[];
  private readonly copied: ReadonlyMap<string, string>;
  private readonly generated: ReadonlyMap<string, string>;

  constructor(scope: Construct, id: string, props: StackBundleProps) {
    super(scope, id);
    if (props.entries.length === 0 && Object.keys(props.generated ?? {}).length === 0) {
      throw new Error(`StackBundle ${id}: no entries and no generated files; name what the stack reads, e.g. entries: ["playbooks", "roles"]`);
    }
    for (const entry of [...props.entries, ...Object.keys(props.generated ?? {})]) {
      if (!SAFE_PATH.test(entry)) {
        throw new Error(`StackBundle ${id}: "${entry}" must be a relative path inside the bundle (letters, digits, . _ - /, no ..)`);
      }
    }
    for (const entry of props.entries) {
      if (!existsSync(join(props.root, entry))) {
        throw new Error(`StackBundle ${id}: ${entry} does not exist under ${props.root}; the stack would reach for a missing file`);
      }
    }
    const copied = new Map(listTree(props.root, props.entries).map((rel) => [rel, join(props.root, rel)]));
    const generated = new Map(Object.entries(props.generated ?? {}));
    for (const rel of generated.keys()) {
      if (copied.has(rel)) throw new Error(`StackBundle ${id}: ${rel} is both copied from ${props.root} and generated; keep one`);
    }
    this.copied = copied;
    this.generated = generated;
    this.files = [...copied.keys(), ...generated.keys()].sort();
    const hash = createHash("sha256");
    for (const rel of this.files) {
      const bytes = generated.has(rel) ? Buffer.from(generated.get(rel)!, "utf8") : null;
      const digest = createHash("sha256").update(bytes ?? readFileSync(copied.get(rel)!)).digest("hex");
      hash.update(`${rel}\0${digest}\n`);
    }
    this.sha256 = hash.digest("hex");
    const stack = TerraformStack.of(this);
    this.path = posix.join("assets", stack.getLogicalId(this.node), this.sha256);
    addCustomSynthesis(this, { onSynthesize: (session) => this.write(session, stack) });
  }

  /** A file of the bundle as Terraform sees it from the stack directory. */
  public file(rel: string): string {
    if (!this.files.includes(rel) && !this.files.some((f) => f.startsWith(`${rel}/`))) {
      throw new Error(`StackBundle ${this.node.id}: ${rel} is not in the bundle (${this.files.length} files); add its entry`);
    }
    return posix.join(this.path, rel);
  }

  private write(session: ISynthesisSession, stack: TerraformStack): void {
    const stackDir = join(session.manifest.outdir, session.manifest.forStack(stack).synthesizedStackPath, "..");
    // One version only: an earlier synth's folder (another hash) would travel to Terraform Cloud too.
    rmSync(join(stackDir, dirname(this.path)), { recursive: true, force: true });
    const target = join(stackDir, this.path);
    for (const rel of this.files) {
      const dest = join(target, rel);
      mkdirSync(dirname(dest), { recursive: true });
      const source = this.copied.get(rel);
      if (source) {
        copyFileSync(source, dest);
        chmodSync(dest, statSync(source).mode & 0o755);
      } else {
        writeFileSync(dest, this.generated.get(rel)!, { mode: 0o644 });
      }
    }
  }
}


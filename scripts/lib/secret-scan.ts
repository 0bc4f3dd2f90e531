/**
 * Secret material scanner for what this project writes and commits: synthesized Terraform JSON,
 * generated files, snapshots and every tracked file. Secrets belong in Terraform state (generated,
 * marked sensitive) or in the environment; a literal anywhere else is a leak waiting for a push.
 *
 * Two kinds of checks:
 * - shapes that are secret wherever they appear (PEM private keys with a body, cloud and API
 *   tokens with a recognisable format, password hashes);
 * - a secret-ish key (`password`, `token`, `secret`, `apiKey`…) assigned a literal. Terraform
 *   references (`${…}`), Ansible/Jinja expressions (`{{ … }}`), environment references (`$VAR`) and
 *   obvious placeholders (`<your token>`) are not literals. Keys that only name a secret
 *   (`existingSecret`, `passwordKey`, `tokenFile`…) are not secrets either.
 *
 * A line that contains `secret-scan: allow` is skipped: the escape hatch for a reviewed false
 * positive, greppable on purpose.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { extname, join, relative } from "node:path";

export interface SecretFinding {
  /** Path as given (or relative to the scanned directory's parent). */
  readonly file: string;
  /** 1-based line of the match. */
  readonly line: number;
  /** Id of the rule that matched, e.g. `pem-private-key`. */
  readonly rule: string;
  /** The start of the match and its length: enough to find it, not enough to use it. */
  readonly excerpt: string;
}

/** Directories never scanned: dependencies, Git internals, generated provider bindings. */
export const SKIPPED_DIRECTORIES: readonly string[] = ["node_modules", ".git", ".gen"];

const ALLOW_MARKER = "secret-scan: allow";
const MAX_FILE_BYTES = 5 * 1024 * 1024;

/** Formats that are secret wherever they appear. */
const SHAPES: readonly { id: string; pattern: RegExp }[] = [
  // A header alone (e.g. in a test that the config refuses keys) leaks nothing: require a body.
  {
    id: "pem-private-key",
    pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----(?:\\[rn]|\s)+(?:[A-Za-z-]+: [^\n\\]*(?:\\n|\n))*[A-Za-z0-9+/=]{40,}/g,
  },
  { id: "aws-access-key-id", pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b/g },
  { id: "github-token", pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{50,})\b/g },
  { id: "terraform-cloud-token", pattern: /\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{60,}/g },
  {
    id: "proxmox-api-token",
    // user@realm!tokenid=<uuid>; matched from the '@', which is rare, to stay fast on lockfiles.
    pattern: /@[A-Za-z0-9.-]{1,64}![A-Za-z0-9._-]{1,64}=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/g,
  },
  { id: "k3s-token", pattern: /\bK10[0-9a-f]{32,}::[a-z]+:[A-Za-z0-9]{8,}/g },
  { id: "jwt", pattern: /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g },
  {
    // argon2, htpasswd and crypt(3) hashes, yescrypt included (admin tokens, basic-auth users, /etc/shadow,
    // the Proxmox root password of the answer files): crackable offline.
    id: "password-hash",
    pattern:
      /\$(?:argon2(?:id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{16,}\$[A-Za-z0-9+/]{20,}|2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}|apr1\$[./A-Za-z0-9]{1,8}\$[./A-Za-z0-9]{22}|[56]\$(?:rounds=\d+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{43,86}|y\$[./A-Za-z0-9]+\$[./A-Za-z0-9]{1,86}\$[./A-Za-z0-9]{43})/g,
  },
  { id: "kubeconfig-key-data", pattern: /\bclient-key-data:\s*["']?[A-Za-z0-9+/=]{20,}/g },
];

/** Words that make a key secret-ish: any literal assigned to it is reported. */
const SECRET_WORDS = new Set(["password", "passwd", "pwd", "pass", "passphrase", "token", "secret", "credential", "credentials", "htpasswd"]);
/** Two-word secrets whose second word ("key") is otherwise only a name. */
const SECRET_PAIRS = new Set(["api key", "access key", "secret key", "private key", "client secret", "auth key", "encryption key", "signing key"]);
const SECRET_COMPOUNDS = new Set(["apikey", "accesskey", "secretkey", "privatekey", "clientsecret", "authkey", "encryptionkey", "signingkey"]);
/**
 * Words that make a key name, point to or describe a secret rather than hold it:
 * `existingSecret`, `secretName`, `passwordFile`, `tokenTtl`, `publicKey`, `sensitive`…
 */
const NAMING_WORDS = new Set([
  "name", "names", "ref", "refs", "file", "files", "path", "paths", "length", "len", "ttl", "env", "var", "vars",
  "field", "existing", "type", "mode", "policy", "url", "id", "ids", "enabled", "lookup", "selector", "template",
  "count", "duration", "public", "namespace", "description", "help", "prompt", "hint", "min", "max", "rotation",
  "expiry", "expires", "expiration", "version", "source", "kind", "format", "regex", "pattern", "sensitive", "label",
  "labels", "annotation", "annotations", "output", "outputs", "secrets", "provider", "store", "class", "command",
  "user", "username", "reset", "strength", "complexity", "special", "upper", "lower", "numeric", "keepers", "volume",
  "mtime", "time", "timestamp", "date", "created", "updated", "modified", "role", "roles", "realm", "comment",
  "privileges", "privs", "acl", "scope", "scopes", "issuer", "audience", "prefix", "suffix", "dir", "directory",
  "owner", "group", "permissions", "endpoint", "host", "hostname", "port", "header", "required", "separation",
]);
/** After these, "key" is the name of an entry in a Kubernetes Secret (`passwordKey: password`). */
const KEY_NAMING_PREFIXES = new Set(["password", "pass", "token", "user", "username", "secret", "admin"]);

/** Words that make a key credential-like: long high-entropy literals assigned to them are reported. */
const CREDENTIAL_WORDS = new Set(["auth", "authorization", "bearer", "key", "cookie", "salt", "hmac", "signature", "session", "jwt"]);

/** File types whose unquoted values are literals (YAML, env files, shell, docs, config files). */
const PLAIN_VALUE_EXTENSIONS = new Set(["", ".yaml", ".yml", ".md", ".env", ".sh", ".bash", ".cfg", ".ini", ".conf", ".j2", ".txt", ".toml", ".properties", ".tfvars"]);

/** key (quoted or not), `:` `=` or `:=`, then a quoted or plain value. */
const ASSIGNMENT =
  /(?<![A-Za-z0-9_$])(["']?)([A-Za-z_][A-Za-z0-9_.-]*)\1[ \t]*(?::=|=|:)[ \t]*(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)'|`([^`\n$]*)`|([^\s"'`,;{}[\]()#][^\s,;{}[\]()#]*))([^\n]*)/g;

/**
 * A YAML line inside a string (Helm values or cloud-init rendered into JSON, a snapshot, a TS
 * string): after an escaped newline or a string's opening quote, up to the next one.
 */
const EMBEDDED_YAML_LINE =
  /(?:\\n|")[ \t]*(?:- )?([A-Za-z_][A-Za-z0-9_.-]*):[ \t]+(?:\\"((?:[^"\\\n]|\\[^"\n])*)\\"|'([^'\n\\]*)'|([^\s"'\\#,{}[\]]+))[ \t]*(?=\\n|")/g;

/** Splits `adminPassword`, `api_key`, `tls.private-key` into lowercase words. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** Cheap pre-filter: keys without any of these fragments are never secret-ish. */
const KEY_FRAGMENTS = /pass|pwd|token|secret|credential|key|auth|bearer|cookie|salt|hmac|signature|session|jwt/i;
const keyClasses = new Map<string, "secret" | "credential" | undefined>();

/** "secret" when any literal assigned to the key is a leak, "credential" when only high-entropy ones are. */
export function classifyKey(key: string): "secret" | "credential" | undefined {
  if (!KEY_FRAGMENTS.test(key)) return undefined;
  let kind = keyClasses.get(key);
  if (kind === undefined && !keyClasses.has(key)) {
    kind = classifyWords(keyWords(key));
    keyClasses.set(key, kind);
  }
  return kind;
}

function classifyWords(words: string[]): "secret" | "credential" | undefined {
  if (words.length === 0) return undefined;
  const last = words[words.length - 1];
  // `apiTokenSecretKey`, `passwordSecretKey`: where in a Kubernetes Secret the token is, not the token.
  if (words.length > 2 && words.slice(-2).join(" ") === "secret key" && words.slice(0, -2).some((w) => SECRET_WORDS.has(w))) {
    return undefined;
  }
  if (last === "key" && words.length > 1 && KEY_NAMING_PREFIXES.has(words[words.length - 2]) && words[words.length - 2] !== "secret") {
    return undefined;
  }
  if (words.some((w) => NAMING_WORDS.has(w))) return undefined;
  const pairs = words.slice(1).map((w, i) => `${words[i]} ${w}`);
  if (words.some((w) => SECRET_WORDS.has(w) || SECRET_COMPOUNDS.has(w)) || pairs.some((p) => SECRET_PAIRS.has(p))) {
    return "secret";
  }
  if (words.some((w) => CREDENTIAL_WORDS.has(w))) return "credential";
  return undefined;
}

/** True for values that are references or placeholders, not secret material. */
export function isNonSecretValue(value: string): boolean {
  const v = value.trim();
  if (v.length < 4) return true; // too short to be a credential; also `""`, `~`, `no`
  if (/^(true|false|null|none|nil|undefined|yes|no|on|off)$/i.test(v)) return true;
  if (/^-?\d+(\.\d+)?$/.test(v)) return true;
  // JSON-schema type names, as in the chart-key fixtures ("gitea.admin.password": "string").
  if (/^(string|object|boolean|number|integer|array|null|map|subchart)(\|(string|object|boolean|number|integer|array|null|map|subchart))*$/.test(v)) {
    return true;
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v)) return true; // a date or timestamp
  if (v.includes("${") || v.includes("{{") || v.includes("%{")) return true; // Terraform, Jinja, templatefile
  if (/^\$[A-Za-z_({]/.test(v)) return true; // shell/env reference: $VAR, ${VAR}, $(command)
  if (/^!vault\b/.test(v)) return true; // Ansible Vault
  if (/<[A-Za-z][^<>]*>/.test(v) || /^(x{3,}|\*{3,}|\.{3}|…)$/i.test(v)) return true; // placeholders in docs: <secret>
  if (/^\(sensitive( value)?\)$/i.test(v)) return true; // terraform output masking
  return false;
}

/** Shannon entropy in bits per character. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function looksRandom(value: string): boolean {
  return (
    value.length >= 20 &&
    /^[A-Za-z0-9+/=_-]+$/.test(value) &&
    /[A-Za-z]/.test(value) &&
    /[0-9]/.test(value) &&
    entropy(value) >= 3.5
  );
}

/** What a report shows of a secret: its start and length, enough to find it, not to use it. */
function hint(secret: string): string {
  const oneLine = secret.replace(/\s+/g, " ");
  return `${oneLine.slice(0, oneLine.startsWith("-----") ? 16 : 3)}… (${secret.length} chars)`;
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i >= 0 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** Every finding in `text`; `file` names it in the findings and selects how plain values are read. */
export function scanText(text: string, file: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  const lines = text.split("\n");
  const report = (line: number, rule: string, excerpt: string) => {
    if (lines[line - 1]?.includes(ALLOW_MARKER)) return;
    if (findings.some((f) => f.line === line && f.rule === rule)) return;
    findings.push({ file, line, rule, excerpt });
  };
  // Shapes may span lines (PEM bodies).
  for (const { id, pattern } of SHAPES) {
    for (const m of text.matchAll(pattern)) report(lineAt(text, m.index ?? 0), id, hint(m[0]));
  }
  // Assignments do not: scan only the lines whose text could hold a secret-ish key (fast on lockfiles).
  const plainValues = PLAIN_VALUE_EXTENSIONS.has(extname(file).toLowerCase());
  lines.forEach((lineText, i) => {
    if (!KEY_FRAGMENTS.test(lineText)) return;
    for (const m of lineText.matchAll(ASSIGNMENT)) {
      const [, , key, doubleQuoted, singleQuoted, backQuoted, plain, rest] = m;
      const kind = classifyKey(key);
      if (!kind) continue;
      let value: string;
      if (plain !== undefined) {
        // A plain value counts in YAML-like files only, and only when it is the whole scalar:
        // a YAML value, not the start of a sentence in the docs.
        if (!plainValues || !/^\s*(#.*)?$/.test(rest)) continue;
        value = plain;
      } else {
        value = doubleQuoted ?? singleQuoted ?? backQuoted ?? "";
      }
      if (/\s/.test(value.trim())) continue; // a sentence in a string, not a credential
      if (value === key) continue; // a name mapped to itself (cdktf's output metadata)
      if (isNonSecretValue(value)) continue;
      if (kind === "credential" && !looksRandom(value)) continue;
      report(i + 1, kind === "secret" ? "secret-literal" : "high-entropy-credential", `${key}: ${hint(value)}`);
    }
    if (plainValues) return;
    for (const m of lineText.matchAll(EMBEDDED_YAML_LINE)) {
      const [, key, escapedQuoted, singleQuoted, plain] = m;
      const kind = classifyKey(key);
      const value = escapedQuoted ?? singleQuoted ?? plain ?? "";
      if (!kind || isNonSecretValue(value) || (kind === "credential" && !looksRandom(value))) continue;
      report(i + 1, kind === "secret" ? "secret-literal" : "high-entropy-credential", `${key}: ${hint(value)}`);
    }
  });
  return findings.sort((a, b) => a.line - b.line);
}

function isBinary(buffer: Buffer): boolean {
  return buffer.subarray(0, 8000).includes(0);
}

/** Files under `path` (or `path` itself), skipping SKIPPED_DIRECTORIES. */
export function filesUnder(path: string): string[] {
  const stat = statSync(path);
  if (!stat.isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .filter((e) => !SKIPPED_DIRECTORIES.includes(e.name))
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(path, e.name)) : e.isFile() ? [join(path, e.name)] : []));
}

/** Scans files and directories (recursively). Findings name files relative to `base`. */
export function scanPaths(paths: readonly string[], base = process.cwd()): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const file of [...new Set(paths.flatMap(filesUnder))]) {
    const buffer = readFileSync(file);
    if (buffer.length > MAX_FILE_BYTES || isBinary(buffer)) continue;
    findings.push(...scanText(buffer.toString("utf8"), relative(base, file) || file));
  }
  return findings;
}

/**
 * Files of the repository at `root`: tracked ones and new ones Git does not ignore (so a file just
 * generated and not yet committed is scanned too), without SKIPPED_DIRECTORIES. Ignored files
 * (state, the fetched kubeconfig) hold real secrets by design and stay out.
 */
export function repositoryFiles(root: string): string[] {
  const listing = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: root,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  return listing
    .split("\0")
    .filter((f) => f && !f.split("/").some((part) => SKIPPED_DIRECTORIES.includes(part)))
    .map((f) => join(root, f))
    .filter((f) => {
      try {
        return statSync(f).isFile(); // deleted but still tracked files are skipped
      } catch {
        return false;
      }
    });
}

/** Terraform references to generated secrets: any output or value built from them is sensitive. */
const SECRET_REFERENCE =
  /\$\{[^}]*\b(?:random_password\.[A-Za-z0-9_-]+|tls_private_key\.[A-Za-z0-9_-]+\.private_key[A-Za-z0-9_]*|kubernetes_secret(?:_v1)?\.[A-Za-z0-9_-]+\.data|local_sensitive_file\.[A-Za-z0-9_-]+|data\.local_sensitive_file\.[A-Za-z0-9_-]+|tfe_agent_token\.[A-Za-z0-9_-]+\.token)/;

export interface StackSecretProblem {
  readonly path: string;
  readonly message: string;
}

/**
 * Checks one synthesized stack (cdk.tf.json, parsed): outputs built from generated secrets and
 * variables named like secrets must be `sensitive`, or Terraform prints them in plans and logs.
 */
export function checkStackSecrets(stack: Record<string, any>): StackSecretProblem[] {
  const problems: StackSecretProblem[] = [];
  for (const [name, output] of Object.entries<Record<string, any>>(stack.output ?? {})) {
    const value = JSON.stringify(output.value ?? "");
    const ref = SECRET_REFERENCE.exec(value);
    if (ref && output.sensitive !== true) {
      problems.push({
        path: `output.${name}`,
        message: `is built from the generated secret ${ref[0].slice(2)} but is not sensitive: pass sensitive: true to its TerraformOutput`,
      });
    }
  }
  for (const [name, variable] of Object.entries<Record<string, any>>(stack.variable ?? {})) {
    if (classifyKey(name) === "secret" && variable.sensitive !== true) {
      problems.push({
        path: `variable.${name}`,
        message: "is named like a secret but is not sensitive: pass sensitive: true to its TerraformVariable",
      });
    }
  }
  return problems;
}

/** One line per finding, for test failures and scripts. */
export function formatFindings(findings: readonly SecretFinding[]): string {
  return findings.map((f) => `${f.file}:${f.line}: ${f.rule}: ${f.excerpt}`).join("\n");
}

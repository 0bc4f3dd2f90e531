/**
 * scripts/gitops-seed.sh against a stand-in Gitea on localhost: the three API calls it uses and
 * Git's smart HTTP protocol (served by `git http-backend`). Proves the idempotence the platform
 * stack relies on: create once, push only when the folder changed, never force.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { parse } from "yaml";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const ROOT = join(__dirname, "..", "..");
const SCRIPT = join(ROOT, "scripts", "gitops-seed.sh");
const USER = "homelab";
const PASSWORD = "S3cretForTestsOnly"; // secret-scan: allow (the stand-in Gitea's test password)

interface Calls {
  create: number;
}

function authorized(req: IncomingMessage): boolean {
  const header = req.headers.authorization ?? "";
  return header === `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}`;
}

/** A CGI call to `git http-backend`, response piped back. */
function gitBackend(reposRoot: string, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const cgi = spawn("git", ["http-backend"], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: reposRoot,
      GIT_HTTP_EXPORT_ALL: "1",
      REMOTE_USER: USER,
      REQUEST_METHOD: req.method,
      PATH_INFO: url.pathname,
      QUERY_STRING: url.search.replace(/^\?/, ""),
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      HTTP_CONTENT_ENCODING: (req.headers["content-encoding"] as string) ?? "",
      GIT_HTTP_MAX_REQUEST_BUFFER: "100M",
    },
  });
  req.pipe(cgi.stdin);
  const chunks: Buffer[] = [];
  cgi.stdout.on("data", (c: Buffer) => chunks.push(c));
  cgi.on("close", () => {
    const out = Buffer.concat(chunks);
    let split = out.indexOf("\r\n\r\n");
    let sep = 4;
    if (split < 0) {
      split = out.indexOf("\n\n");
      sep = 2;
    }
    const head = out.subarray(0, split).toString();
    let status = 200;
    for (const line of head.split(/\r?\n/)) {
      const [name, ...rest] = line.split(":");
      const value = rest.join(":").trim();
      if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
      else if (name) res.setHeader(name, value);
    }
    res.statusCode = status;
    res.end(out.subarray(split + sep));
  });
}

function fakeGitea(reposRoot: string, calls: Calls): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/api/healthz") return void res.end("ok");
    if (!authorized(req)) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="Gitea"' });
      return void res.end();
    }
    const repoDir = join(reposRoot, USER, "gitops.git");
    if (req.method === "GET" && url.pathname === `/api/v1/repos/${USER}/gitops`) {
      res.statusCode = existsSync(repoDir) ? 200 : 404;
      return void res.end("{}");
    }
    if (req.method === "POST" && url.pathname === "/api/v1/user/repos") {
      calls.create += 1;
      execFileSync("git", ["init", "--quiet", "--bare", "--initial-branch=main", repoDir]);
      res.statusCode = 201;
      return void res.end("{}");
    }
    if (url.pathname.startsWith(`/${USER}/gitops.git/`)) return gitBackend(reposRoot, req, res, url);
    res.statusCode = 404;
    res.end();
  });
}

function runSeed(env: Record<string, string>, cwd = ROOT): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile("bash", [SCRIPT], { cwd, env: { PATH: process.env.PATH, HOME: tmpdir(), ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

describe("scripts/gitops-seed.sh", () => {
  const reposRoot = mkdtempSync(join(tmpdir(), "gitea-repos-"));
  const source = mkdtempSync(join(tmpdir(), "gitops-src-"));
  cpSync(join(ROOT, "gitops"), source, { recursive: true });
  const calls: Calls = { create: 0 };
  const server = fakeGitea(reposRoot, calls);
  let env: Record<string, string>;
  const commits = () =>
    execFileSync("git", ["--git-dir", join(reposRoot, USER, "gitops.git"), "rev-list", "--count", "main"]).toString().trim();

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    env = {
      GITEA_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      GITEA_USER: USER,
      GITEA_PASSWORD: PASSWORD,
      GITOPS_OWNER: USER,
      GITOPS_REPO: "gitops",
      GITOPS_SOURCE_DIR: source,
    };
  });
  afterAll(() => {
    // Keep-alive connections from curl would hold the server (and the jest worker) open.
    server.closeAllConnections();
    return new Promise<void>((r) => server.close(() => r()));
  });

  test("creates the repository when absent and pushes the folder", async () => {
    const run = await runSeed(env);
    expect(run.out).toContain("repository homelab/gitops created");
    expect(run.out).toMatch(/pushed [0-9a-f]+ to homelab\/gitops/);
    expect(run.code).toBe(0);
    expect(calls.create).toBe(1);
    expect(commits()).toBe("1");
    const files = execFileSync("git", ["--git-dir", join(reposRoot, USER, "gitops.git"), "ls-tree", "-r", "--name-only", "main"]).toString();
    expect(files).toContain("apps/templates/whoami.yaml");
  }, 30000);

  test("a second run changes nothing", async () => {
    const run = await runSeed(env);
    expect(run.out).toContain("repository homelab/gitops exists");
    expect(run.out).toContain("nothing to push");
    expect(run.code).toBe(0);
    expect(calls.create).toBe(1);
    expect(commits()).toBe("1");
  }, 30000);

  test("a changed folder becomes one new commit on top of the history (folder given relative, as Terraform does)", async () => {
    writeFileSync(join(source, "README.md"), "changed\n");
    const run = await runSeed({ ...env, GITOPS_SOURCE_DIR: relative(tmpdir(), source) }, tmpdir());
    expect(run.code).toBe(0);
    expect(commits()).toBe("2");
  }, 30000);

  test("does nothing while ArgoCD follows a break-glass remote", async () => {
    writeFileSync(join(source, "README.md"), "changed again\n");
    const run = await runSeed({ ...env, GITOPS_REMOTE_OVERRIDE: "https://github.com/me/homelab-gitops.git", GITEA_URL: "http://127.0.0.1:1" });
    expect(run.code).toBe(0);
    expect(run.out).toContain("Gitea is not seeded");
    expect(commits()).toBe("2");
  }, 30000);

  test("builds its kubeconfig from the credential in the environment (0600, in its own folder, gone after the run)", async () => {
    // Fixture: a stand-in kubectl on PATH that records the kubeconfig it is given; the "port-forward"
    // is the fake Gitea itself, already listening on the port the script connects to.
    const bin = mkdtempSync(join(tmpdir(), "fake-kubectl-"));
    const record = join(bin, "record");
    writeFileSync(
      join(bin, "kubectl"),
      `#!/usr/bin/env bash\nprintf '%s\\n' "$KUBECONFIG" >"${record}"\nstat -c '%a' "$KUBECONFIG" >>"${record}"\ncat "$KUBECONFIG" >>"${record}"\nexec sleep 30\n`,
      { mode: 0o755 },
    );
    writeFileSync(join(source, "README.md"), "changed through the port-forward\n");
    const { GITEA_URL, ...rest } = env;
    const run = await runSeed({
      ...rest,
      PATH: `${bin}:${process.env.PATH}`,
      GITEA_LOCAL_PORT: GITEA_URL.split(":").pop()!,
      KUBE_SERVER: "https://192.168.1.50:6443",
      KUBE_CA_PEM: "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n",
      KUBE_CLIENT_CERT_PEM: "-----BEGIN CERTIFICATE-----\nADMIN\n-----END CERTIFICATE-----\n",
      KUBE_CLIENT_KEY_PEM: `-----BEGIN EC ${"PRIVATE"} KEY-----\nKEY\n-----END EC ${"PRIVATE"} KEY-----\n`,
    });
    expect(run.code).toBe(0);
    const [path, mode, ...config] = readFileSync(record, "utf8").split("\n");
    expect(mode).toBe("600");
    expect(existsSync(path)).toBe(false);
    const kubeconfig = parse(config.join("\n"));
    expect(kubeconfig.clusters[0].cluster.server).toBe("https://192.168.1.50:6443");
    expect(Buffer.from(kubeconfig.users[0].user["client-key-data"], "base64").toString()).toContain("KEY");
    expect(run.out).not.toContain("KEY");
  }, 30000);

  test("fails when the API URL comes without the rest of the credential", async () => {
    const { GITEA_URL: _unused, ...rest } = env;
    const run = await runSeed({ ...rest, KUBE_SERVER: "https://192.168.1.50:6443", KUBE_CA_PEM: "x", KUBE_CLIENT_CERT_PEM: "y" });
    expect(run.code).not.toBe(0);
    expect(run.out).toContain("KUBE_SERVER is set but KUBE_CLIENT_KEY_PEM is empty");
  }, 30000);

  test("fails when Gitea refuses the credentials, without printing them", async () => {
    const run = await runSeed({ ...env, GITEA_PASSWORD: "wrong-password" });
    expect(run.code).not.toBe(0);
    expect(run.out).toContain("unexpected HTTP 401");
    expect(run.out).not.toContain("wrong-password");
  }, 30000);
});

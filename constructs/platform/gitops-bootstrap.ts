import { join } from "node:path";
import { Construct } from "constructs";
import { Fn, Op, TerraformVariable, Token } from "cdktf";
import { Resource as NullResource } from "@cdktf/provider-null/lib/resource";
import { SecretV1 } from "@cdktf/provider-kubernetes/lib/secret-v1";
import type { Release } from "@cdktf/provider-helm/lib/release";
import { HelmApp, type ChartRef } from "./helm-app";
import { treeSha256 } from "../tree-hash";
import { StackBundle } from "../stack-bundle";
import type { ClusterAccess } from "../kubernetes-access";

/** Version of charts/gitops-root/Chart.yaml (a test keeps them equal). */
export const GITOPS_ROOT_CHART_VERSION = "0.1.0";

/** The folder published to Gitea, and the script that publishes it, relative to the project root. */
const GITOPS_SOURCE = "gitops";
const SEED_SCRIPT = "scripts/gitops-seed.sh";

export interface GitopsBootstrapProps {
  /** Gitea's in-cluster base URL, e.g. http://gitea-http.gitea.svc.cluster.local:3000. */
  readonly giteaInClusterUrl: string;
  readonly giteaNamespace: string;
  /** Gitea's HTTP Service and port (the seeding reaches them through `kubectl port-forward`). */
  readonly giteaHttpService: string;
  readonly giteaHttpPort: number;
  /** Owner of the repository: the Gitea admin user. */
  readonly giteaAdminUsername: string;
  /** The admin password, a Terraform reference (random_password): handed over in the environment only. */
  readonly giteaAdminPassword: string;
  /** The Gitea release: seeding waits for it and reruns when Gitea is reinstalled. */
  readonly giteaRelease: Release;
  readonly argocdNamespace: string;
  /** The ArgoCD release (CRDs and controller) the root Application needs. */
  readonly argocdRelease: Release;
  /**
   * The folder holding gitops/ and scripts/gitops-seed.sh at synth (the project root): both are
   * copied into the stack directory (a StackBundle), so the seeding reads nothing outside it.
   */
  readonly projectRoot: string;
  /** The repo's charts/gitops-root (version = its Chart.yaml's, GITOPS_ROOT_CHART_VERSION). */
  readonly rootChart: ChartRef;
  /** The cluster's API and admin credential, for the port-forward (handed over in the environment only). */
  readonly access: ClusterAccess;
  /** @default "gitops" */
  readonly repositoryName?: string;
  /** Branch ArgoCD follows. @default "main" */
  readonly targetRevision?: string;
  /** Folder of the repository with the child Applications. @default "apps" */
  readonly appsPath?: string;
}

/**
 * The GitOps bootstrap, done by the deploy itself and idempotent: seed the Gitea repository, give
 * ArgoCD its credentials, install the root Application. In order:
 * 1. `seed` (null_resource, local-exec scripts/gitops-seed.sh) creates <admin>/gitops in Gitea if
 *    absent and pushes the project's gitops/ folder when it changed. Triggers: the folder's SHA-256
 *    (computed at synth, deterministic) and the Gitea release (id and first-deploy time: a
 *    reinstalled, empty Gitea is seeded again).
 * 2. `repository` (Secret labelled argocd.argoproj.io/secret-type=repository): ArgoCD's credentials
 *    for the in-cluster URL; ingress names do not resolve inside the cluster and need no TLS here.
 * 3. `root` (local chart charts/gitops-root): the app of apps, released after ArgoCD, the seeding
 *    and the credentials. Break-glass: the Terraform variable `gitops_repo_url` points it (and,
 *    through Helm values, every child) at another remote while Gitea is down; the seeding then
 *    skips Gitea, and runs again when the variable is cleared.
 */
export class GitopsBootstrap extends Construct {
  public readonly seed: NullResource;
  public readonly repositorySecret: SecretV1;
  public readonly root: HelmApp;
  /** In-cluster clone URL of the GitOps repository. */
  public readonly repositoryUrl: string;
  /** Digest of the gitops/ folder at synth. */
  public readonly sourceSha256: string;
  /** gitops/ and the seed script, inside the stack directory. */
  public readonly files: StackBundle;
  public readonly breakGlassRepoUrl: TerraformVariable;

  constructor(scope: Construct, id: string, props: GitopsBootstrapProps) {
    super(scope, id);
    const repo = props.repositoryName ?? "gitops";
    if (!/^[A-Za-z0-9._-]+$/.test(repo)) {
      throw new Error(`GitopsBootstrap ${id}: repository name "${repo}" is invalid; use letters, digits, '.', '_' or '-'`);
    }
    if (!/^https?:\/\/[^/]+$/.test(props.giteaInClusterUrl)) {
      throw new Error(
        `GitopsBootstrap ${id}: giteaInClusterUrl "${props.giteaInClusterUrl}" must be a base URL without path, e.g. http://gitea-http.gitea.svc.cluster.local:3000`,
      );
    }
    if (!props.giteaAdminPassword.includes("${")) {
      throw new Error(`GitopsBootstrap ${id}: giteaAdminPassword is a literal; pass the random_password reference`);
    }
    this.repositoryUrl = `${props.giteaInClusterUrl}/${props.giteaAdminUsername}/${repo}.git`;
    this.sourceSha256 = treeSha256(join(props.projectRoot, GITOPS_SOURCE));
    this.files = new StackBundle(this, "files", { root: props.projectRoot, entries: [GITOPS_SOURCE, SEED_SCRIPT] });

    this.breakGlassRepoUrl = new TerraformVariable(this, "gitops_repo_url", {
      type: "string",
      default: "",
      description:
        "Break-glass: another Git remote holding the same content as the lab's GitOps repository (e.g. a GitHub mirror or a bare repository on the Pi). Empty: the in-cluster Gitea.",
    });
    // Construct-scoped variables get a suffixed name; a stable, documented name is part of the break-glass.
    this.breakGlassRepoUrl.overrideLogicalId("gitops_repo_url");

    this.seed = new NullResource(this, "seed", {
      triggers: {
        gitops_tree_sha256: this.sourceSha256,
        repository: this.repositoryUrl,
        gitea_release: props.giteaRelease.id,
        gitea_first_deployed: Token.asString(props.giteaRelease.metadata.firstDeployed),
        // Leaving the break-glass remote reruns the seeding, so Gitea catches up with the folder.
        gitops_repo_url: this.breakGlassRepoUrl.stringValue,
      },
      provisioners: [
        {
          type: "local-exec",
          command: `bash "${this.files.file(SEED_SCRIPT)}"`,
          environment: {
            GITEA_USER: props.giteaAdminUsername,
            GITEA_PASSWORD: props.giteaAdminPassword,
            GITEA_NAMESPACE: props.giteaNamespace,
            GITEA_SERVICE: props.giteaHttpService,
            GITEA_PORT: String(props.giteaHttpPort),
            GITOPS_OWNER: props.giteaAdminUsername,
            GITOPS_REPO: repo,
            GITOPS_SOURCE_DIR: this.files.file(GITOPS_SOURCE),
            // The script builds a kubeconfig from these in its own temporary folder (0700) and
            // deletes it on exit: no credential file is left on the machine that runs Terraform.
            KUBE_SERVER: props.access.host,
            KUBE_CA_PEM: props.access.clusterCaCertificate,
            KUBE_CLIENT_CERT_PEM: props.access.clientCertificate,
            KUBE_CLIENT_KEY_PEM: props.access.clientKey,
            // Non-empty while the break-glass remote is in use: Gitea may be down, the script skips.
            GITOPS_REMOTE_OVERRIDE: this.breakGlassRepoUrl.stringValue,
          },
        },
      ],
      dependsOn: [props.giteaRelease],
    });

    this.repositorySecret = new SecretV1(this, "repository", {
      metadata: {
        name: "gitops-repository",
        namespace: props.argocdNamespace,
        labels: { "argocd.argoproj.io/secret-type": "repository", "app.kubernetes.io/managed-by": "homelab" },
      },
      data: {
        type: "git",
        name: "homelab-gitops",
        url: this.repositoryUrl,
        username: props.giteaAdminUsername,
        password: props.giteaAdminPassword,
      },
      dependsOn: [props.argocdRelease],
    });

    // length() >= 1 rather than != "": cdktf 0.21 renders falsy literals in expressions as `undefined`.
    const repoURL = Fn.conditional(
      Op.gte(Fn.lengthOf(this.breakGlassRepoUrl.stringValue), 1),
      this.breakGlassRepoUrl.stringValue,
      this.repositoryUrl,
    );

    if (props.rootChart.version !== GITOPS_ROOT_CHART_VERSION) {
      throw new Error(
        `GitopsBootstrap ${id}: root chart version ${props.rootChart.version} differs from charts/gitops-root (${GITOPS_ROOT_CHART_VERSION}); pass that version`,
      );
    }
    this.root = new HelmApp(this, "root", {
      chart: props.rootChart,
      releaseName: "gitops-root",
      namespace: props.argocdNamespace,
      values: {
        name: "root",
        project: "default",
        repoURL: Token.asString(repoURL),
        targetRevision: props.targetRevision ?? "main",
        path: props.appsPath ?? "apps",
      },
      dependsOn: [props.argocdRelease, this.seed, this.repositorySecret],
    });
  }
}


/**
 * Where every backup of the lab goes, written once (issue 16): the restic repository named by
 * raspberryPi.offsiteBackup, the environment variables that carry its credentials at deploy
 * time, and the path of each copy (server → Pi → off-site). The inventory, the doctor, the
 * diagram and the deploy wrapper read it; the Ansible role offsite_backup reads the same names.
 */
import { cronToOnCalendar } from "./cron";
import { localStateFile } from "./paths";
import type { LabConfig, OffsiteBackupConfig, OffsiteRepositoryConfig } from "./schema";

/**
 * The variables rpi.yml reads when it sets up the off-site backup. They are written to
 * /etc/homelab-backup/*.env on the Pi (root, 0600) and nowhere else; a later run without them
 * keeps the Pi's files as they are.
 */
export const OFFSITE_ENV = {
  /** The restic password of the off-site repository and of the Pi's state repository. Keep a copy outside the house. */
  passwordVar: "HOMELAB_RESTIC_PASSWORD",
  /** s3: the access key (B2: keyID; Wasabi, MinIO: access key). */
  accessKeyIdVar: "HOMELAB_OFFSITE_ACCESS_KEY_ID",
  /** s3: its secret (B2: applicationKey). */
  secretAccessKeyVar: "HOMELAB_OFFSITE_SECRET_ACCESS_KEY",
  /** rest: HTTP basic auth of the REST server (optional). */
  restUsernameVar: "HOMELAB_OFFSITE_REST_USERNAME",
  restPasswordVar: "HOMELAB_OFFSITE_REST_PASSWORD",
} as const;

/** The stacks `npm run deploy` deploys and whose state it copies to the Pi, in deploy order. */
export const STATE_STACKS = ["infra", "k3s", "platform"] as const;
/** With Terraform Cloud, the stack that sets up its workspaces, whose state stays on the laptop. */
export const TFC_STACK = "tfc";
/** Every stack whose state the Pi stores and the drill restores. */
export const PI_STATE_STACKS = [...STATE_STACKS, TFC_STACK] as const;

/** The restic tag of every Terraform state snapshot, and the tag of one stack's. */
export const STATE_TAG = "terraform-state";
export const stackTag = (stack: string) => `stack-${stack}`;
/** The tag of the Pi's own snapshot (its export and its services' state). */
export const PI_TAG = "homelab-pi";

/** The host name the state snapshots carry, whichever machine deployed. */
export const STATE_HOST = "homelab-deploy";

/** On the Pi: the local restic repository of the Terraform state (not exported over NFS). */
export const PI_STATE_REPOSITORY = "/var/lib/homelab-backup/terraform-state";

/** The systemd units on the Pi, for the doctor's day-two checks and the runbooks. */
export const BACKUP_UNITS = {
  offsite: "homelab-offsite-backup",
  drill: "homelab-restore-drill",
  notify: "homelab-backup-notify@",
} as const;

/**
 * The restic repository string (`restic -r …`), without credentials: s3:<endpoint>/<bucket>[/<prefix>],
 * sftp:homelab-offsite:<path> (the Pi's SSH config names the host, port and user),
 * rest:<url>.
 */
export function resticRepository(repo: OffsiteRepositoryConfig): string {
  switch (repo.type) {
    case "s3":
      return `s3:${String(repo.endpoint).replace(/\/+$/, "")}/${repo.bucket}${repo.prefix ? `/${repo.prefix}` : ""}`;
    case "sftp":
      return `sftp:homelab-offsite:${repo.path}`;
    case "rest":
      return `rest:${String(repo.url).replace(/\/*$/, "/")}`;
  }
}

/** The repository as a person reads it (no alias): where the copies live. */
export function repositoryLabel(repo: OffsiteRepositoryConfig): string {
  switch (repo.type) {
    case "s3":
      return `s3 ${new URL(String(repo.endpoint)).host}/${repo.bucket}${repo.prefix ? `/${repo.prefix}` : ""}`;
    case "sftp":
      return `sftp ${repo.user}@${repo.host}${repo.port && repo.port !== 22 ? `:${repo.port}` : ""}:${repo.path}`;
    case "rest":
      return `rest ${String(repo.url)}`;
  }
}

/** The host the repository lives on, where in the config it is set, and whether traffic is encrypted. */
export function repositoryHost(repo: OffsiteRepositoryConfig): { field: string; host: string; encrypted: boolean } {
  if (repo.type === "sftp") return { field: "host", host: String(repo.host), encrypted: true };
  const field = repo.type === "s3" ? "endpoint" : "url";
  const url = new URL(String(repo.type === "s3" ? repo.endpoint : repo.url));
  return { field, host: url.hostname, encrypted: url.protocol === "https:" };
}

/** What the Pi's timers get: OnCalendar expressions in the lab's time zone. */
export function offsiteTimers(lab: LabConfig, offsite: OffsiteBackupConfig): { backup: string[]; drill: string[] } {
  return {
    backup: cronToOnCalendar(offsite.schedule, lab.vm.timezone),
    drill: cronToOnCalendar(offsite.drill.schedule, lab.vm.timezone),
  };
}

/** One kind of backup and every place a copy of it lives. */
export interface BackupRoute {
  readonly what: string;
  /** Where it is made, and when. */
  readonly source: string;
  /** The copy in the house (on the Pi). */
  readonly local: string;
  /** The copy outside the house, or why there is none. */
  readonly offsite: string;
}

export interface BackupPlan {
  readonly routes: readonly BackupRoute[];
  /** The off-site repository with its schedule and retention, or why there is none. */
  readonly offsite: string;
  /** The restore drill, or why there is none. */
  readonly drill: string;
  /** Commands that show whether the backups work (day two). */
  readonly checks: readonly string[];
}

/** Where each backup of the lab goes: the doctor prints it, the diagram draws it. */
export function backupPlan(lab: LabConfig): BackupPlan {
  const pi = lab.raspberryPi;
  const offsite = pi?.offsiteBackup;
  const longhorn = lab.platform.longhorn;
  const away = offsite ? repositoryLabel(offsite.repository) : "none: set raspberryPi.offsiteBackup";
  const summary = offsite
    ? `${repositoryLabel(offsite.repository)}: restic (encrypted) from ${pi!.name}, cron "${offsite.schedule}", forget --prune keeps ` +
      `${offsite.retention.daily} daily, ${offsite.retention.weekly} weekly, ${offsite.retention.monthly} monthly`
    : "none: every copy stays in the house (set raspberryPi.offsiteBackup: docs/backups.md)";
  const onPi = (path: string) => (pi ? `${pi.name}:${pi.backupExportPath}/${path}` : "none: no raspberryPi");
  const routes: BackupRoute[] = [
    {
      what: "etcd snapshots",
      source: `each K3s server, cron "${lab.k3s.etcdSnapshotCron}", ${lab.k3s.etcdSnapshotRetention} kept`,
      local: pi ? `${onPi("etcd/<server>/")} (copied hourly, 30 days)` : onPi(""),
      offsite: pi ? away : "none",
    },
    {
      what: "Longhorn volumes",
      source: `Longhorn, cron "${longhorn.backupSchedule}", ${longhorn.backupRetain} kept per volume`,
      local: pi ? onPi("longhorn/") : "none: no raspberryPi (no backup target)",
      offsite: pi ? away : "none",
    },
  ];
  const tfc = lab.terraformCloud;
  routes.push({
    what: "Terraform state",
    source: tfc
      ? `Terraform Cloud, workspaces ${tfc.workspacePrefix}-<stack> (every version kept)`
      : `${localStateFile("<stack>")} on the deploy machine`,
    local: offsite && pi ? `${pi.name}:${PI_STATE_REPOSITORY} (restic, each npm run deploy)` : "none: set raspberryPi.offsiteBackup",
    offsite: offsite ? away : tfc ? "Terraform Cloud only" : "none",
  });
  if (pi) {
    routes.push({
      what: "the Pi's services",
      source: pi.secondaryDns ? "AdGuard Home on the Pi (/var/lib/adguardhome)" : "none (secondaryDns off)",
      local: "on the Pi only",
      offsite: pi.secondaryDns ? away : "nothing to copy",
    });
  }
  const drill = offsite
    ? `cron "${offsite.drill.schedule}" on ${pi!.name}: restic check --read-data-subset=${offsite.drill.readDataPercent}%, the newest etcd snapshot ` +
      "restored and read (etcdctl snapshot status, snapshot restore), the newest state of each stack restored and parsed; result for the node exporter"
    : "none: no off-site repository to restore from";
  const checks = offsite
    ? [
        `ssh ${pi!.user}@${pi!.address} systemctl list-timers '${BACKUP_UNITS.offsite}*' '${BACKUP_UNITS.drill}*'`,
        `ssh ${pi!.user}@${pi!.address} systemctl --failed`,
        `ssh ${pi!.user}@${pi!.address} journalctl -u ${BACKUP_UNITS.drill} -n 50`,
      ]
    : [];
  return { routes, offsite: summary, drill, checks };
}

/**
 * What the scale benchmark concludes from its measurements: the cost of each added VM between two
 * lab sizes, whether that cost climbs (worse than linear growth), and the targets for the
 * largest lab against the smallest (time under 3×, peak memory under 300 MiB). Pure functions, so
 * that the verdicts are tested with numbers (__tests__/bench).
 */

/** One measured lab. */
export interface SizeMeasurement {
  readonly vms: number;
  /** Median wall time of synth, s. */
  readonly seconds: number;
  /** Median CPU time (user + system, children included), s. */
  readonly cpuSeconds: number;
  /** Highest peak RSS of the runs, MiB. */
  readonly peakMiB: number;
}

export interface GrowthStep {
  readonly from: number;
  readonly to: number;
  readonly vmRatio: number;
  readonly cpuRatio: number;
  /** CPU ms each VM added between the two sizes cost. */
  readonly marginalCpuMs: number;
  readonly marginalWallMs: number;
}

export function growthSteps(rows: readonly SizeMeasurement[]): GrowthStep[] {
  return rows.slice(1).map((r, i) => {
    const prev = rows[i];
    return {
      from: prev.vms,
      to: r.vms,
      vmRatio: r.vms / prev.vms,
      cpuRatio: r.cpuSeconds / prev.cpuSeconds,
      marginalCpuMs: ((r.cpuSeconds - prev.cpuSeconds) * 1000) / (r.vms - prev.vms),
      marginalWallMs: ((r.seconds - prev.seconds) * 1000) / (r.vms - prev.vms),
    };
  });
}

/** A step whose CPU grew by less than this measures mostly noise (start-up, a busy neighbour). */
export const NOISE_CPU_SECONDS = 0.2;
/** Worse than linear: the last step's VMs cost more than this many times the first step's. */
export const SUPER_LINEAR_FACTOR = 2;

/**
 * The growth verdict: linear keeps the cost of an added VM flat from step to step; worse than
 * linear makes it climb (an O(n²) rule). A cost that is linear but large (one `terraform version`
 * process per VM cost 112 ms a VM before synth ran it once) shows in the CPU ms per added VM and
 * fails the time target below. CPU time, not wall time: on a shared machine the wall clock also
 * measures the neighbours.
 */
export function growthVerdict(rows: readonly SizeMeasurement[]): string {
  const steps = growthSteps(rows);
  if (steps.length < 2) return "growth: needs three sizes to compare the cost of added VMs";
  const [first, last] = [steps[0], steps[steps.length - 1]];
  const reliable = rows[1].cpuSeconds - rows[0].cpuSeconds > NOISE_CPU_SECONDS;
  const superLinear = reliable && last.marginalCpuMs > SUPER_LINEAR_FACTOR * first.marginalCpuMs;
  const [small, large] = [rows[0], rows[rows.length - 1]];
  return superLinear
    ? `growth: WORSE than linear (each added VM costs ${last.marginalCpuMs.toFixed(1)} CPU ms at ${last.to} VMs vs ${first.marginalCpuMs.toFixed(1)} at ${first.to})`
    : `growth: linear or better (CPU × ${(large.cpuSeconds / small.cpuSeconds).toFixed(2)} for VMs × ${(large.vms / small.vms).toFixed(0)}; ` +
        `${last.marginalCpuMs.toFixed(1)} CPU ms per added VM at ${last.to} VMs vs ${first.marginalCpuMs.toFixed(1)} at ${first.to})`;
}

/** Issue 17's targets for the largest lab against the smallest. */
export const TARGETS = { timeRatio: 3, peakMiB: 300 } as const;

export interface TargetCheck {
  readonly what: string;
  readonly value: string;
  readonly target: string;
  readonly met: boolean;
}

export function targetChecks(rows: readonly SizeMeasurement[]): TargetCheck[] {
  const [small, large] = [rows[0], rows[rows.length - 1]];
  const wall = large.seconds / small.seconds;
  const cpu = large.cpuSeconds / small.cpuSeconds;
  return [
    { what: `synth time, ${large.vms} VMs / ${small.vms} VMs (wall)`, value: `${wall.toFixed(2)}×`, target: `< ${TARGETS.timeRatio}×`, met: wall < TARGETS.timeRatio },
    { what: `synth time, ${large.vms} VMs / ${small.vms} VMs (CPU)`, value: `${cpu.toFixed(2)}×`, target: `< ${TARGETS.timeRatio}×`, met: cpu < TARGETS.timeRatio },
    { what: `peak memory, ${large.vms} VMs`, value: `${large.peakMiB.toFixed(0)} MiB`, target: `< ${TARGETS.peakMiB} MiB`, met: large.peakMiB < TARGETS.peakMiB },
  ];
}

/**
 * The doctor's command line, as a function of its inputs so that tests run it in-process;
 * scripts/doctor.ts only wires it to the process (argv, environment, stdout, exit code).
 */
import { installEnvironmentProblems } from "../pve/answers";
import { diagnoseFile, type Diagnosis } from "./diagnose";
import { buildPlan } from "./plan";
import { renderPlan } from "./render";

export interface DoctorInvocation {
  readonly args: readonly string[];
  /** HOMELAB_CONFIG, or homelab.yaml when unset. */
  readonly configFile: string;
  /** Colors only for a terminal that did not ask for none (NO_COLOR). */
  readonly color: boolean;
  /** The environment, for the advice that depends on it (the root password hash of the answers); none: no such advice. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface DoctorOutcome {
  readonly exitCode: 0 | 1 | 2;
  readonly stdout: string;
  readonly stderr: string;
}

export const USAGE = "usage: npm run doctor [-- --json]";

export function runDoctor(invocation: DoctorInvocation): DoctorOutcome {
  const unknown = invocation.args.filter((a) => a !== "--json");
  if (unknown.length > 0) {
    return { exitCode: 2, stdout: "", stderr: `homelab doctor: unknown argument ${unknown.join(" ")}; ${USAGE}\n` };
  }
  const diagnosis: Diagnosis = diagnoseFile(invocation.configFile);
  const environment = diagnosis.lab && invocation.env ? installEnvironmentProblems(diagnosis.lab, invocation.env) : [];
  const plan = buildPlan(invocation.configFile, { ...diagnosis, problems: [...diagnosis.problems, ...environment] });
  const stdout = invocation.args.includes("--json")
    ? JSON.stringify(plan, null, 2) + "\n"
    : renderPlan(plan, { color: invocation.color });
  return { exitCode: plan.ok ? 0 : 1, stdout, stderr: "" };
}

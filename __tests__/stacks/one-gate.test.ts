/**
 * One gate (one-gate.ts): every schema-valid mutation of the default lab (and of the agents lab's
 * agents) is refused by synth and the doctor alike, or accepted by both, and every accepted one
 * builds. Here a sample (CHECK_STRIDE, BUILD_STRIDE below) that keeps every structural change, so
 * each section of the config is checked and built changed; one-gate.slow.ts (npm run test:slow,
 * .ci/run) checks and builds all of them.
 */
import { labWith, loadLab, validLab } from "../helpers";
import { hasAgents, mutations, runGate, stackInputs, terraformOf } from "./one-gate";

const MUTATIONS = mutations();
/**
 * npm test's budget: the structural changes and every third of the others go through both
 * gates (synth's and the doctor's checks cost ~20 ms a lab), and of those the structural ones and
 * every fifth are built (~0.2 s a lab). one-gate.slow.ts (npm run test:slow, .ci/run) does all.
 */
const CHECK_STRIDE = 3;
const BUILD_STRIDE = 5;
const SAMPLE = MUTATIONS.filter((mutation, index) => mutation.structural || index % CHECK_STRIDE === 0);

test("several hundred schema-valid mutations of the default lab are tried", () => {
  expect(MUTATIONS.length).toBeGreaterThanOrEqual(300);
});

test("synth and the doctor refuse exactly the same mutations (a sample here); the structural ones and a sample of the rest build", () => {
  const outcome = runGate(SAMPLE, (mutation, index) => mutation.structural || index % BUILD_STRIDE === 0);
  expect(outcome.failures).toEqual([]);
  // Both outcomes are exercised, so neither half of the gate is vacuous, with agents too.
  // Measured: 232 checked, 40 built, 73 refused; with agents 11 built, 10 refused.
  expect(outcome.built).toBeGreaterThan(30);
  expect(outcome.refused).toBeGreaterThan(50);
  expect(outcome.builtWithAgents).toBeGreaterThan(5);
  expect(outcome.refusedWithAgents).toBeGreaterThan(5);
}, 120_000);

test("labs with agents are among the mutations: whole-lab changes and single changes of the agents lab", () => {
  const withAgents = MUTATIONS.filter(hasAgents);
  expect(withAgents.filter((m) => m.structural).length).toBeGreaterThanOrEqual(10);
  expect(withAgents.filter((m) => m.name.startsWith("agents lab: ")).length).toBeGreaterThan(40);
});

test("the fields the gate does not rebuild for are read by no stack: changing them all changes no Terraform", () => {
  const changed = validLab(
    labWith({
      "proxmox.install": { keyboard: "de", country: "de", mailto: "ops@example.org", rebootMode: "reboot", answerPort: 9443 },
      "proxmox.hostReserveMiB": 2048,
      "proxmox.cpuOvercommit": 3,
      "proxmox.nodes[0].install": { mac: "02:00:00:00:00:01", disk: { serial: "REAL-1" }, filesystem: "xfs" },
      "proxmox.nodes[0].model": "Other box",
      "proxmox.nodes[0].cpu": "Other CPU",
      "proxmox.nodes[0].threads": 16,
      "proxmox.nodes[0].memoryGiB": 32,
      "k3s.allowServersPerNode": 2,
      "k3s.systemReserveMiB": 1024,
      "k3s.systemReserveMilliCpu": 400,
      "k3s.agentSystemReserveMiB": 512,
      "k3s.agentSystemReserveMilliCpu": 100,
    }),
  );
  const base = loadLab();
  // The two labs differ, only in the fields the gate leaves out of the stacks' inputs…
  expect(JSON.stringify(changed)).not.toBe(JSON.stringify(base));
  expect(stackInputs(changed)).toBe(stackInputs(base));
  // …and their stacks are the same, byte for byte.
  expect(terraformOf(changed)).toBe(terraformOf(base));
});

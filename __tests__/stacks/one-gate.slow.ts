/**
 * One gate (one-gate.ts), in full: every accepted mutation of the default lab and of the agents
 * lab's agents is built into the three stacks, once per distinct stack input (about 260 builds, a
 * minute or more). npm run test:slow, run by .ci/run.
 */
import { mutations, runGate } from "./one-gate";

test("every mutation synth and the doctor accept builds; both refuse the same ones", () => {
  const outcome = runGate(mutations(), () => true);
  expect(outcome.failures).toEqual([]);
  // Labs with the same stack inputs as one built before are not built again (one-gate.ts).
  expect(outcome.built).toBeGreaterThan(200);
  expect(outcome.refused).toBeGreaterThan(100);
  expect(outcome.builtWithAgents).toBeGreaterThan(30);
}, 600_000);

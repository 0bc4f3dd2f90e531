/**
 * One gate (one-gate.ts), in full: every accepted mutation of the default lab is built into the
 * three stacks (about 350 builds, a minute or more). npm run test:slow, run by .ci/run.
 */
import { mutations, runGate } from "./one-gate";

test("every mutation synth and the doctor accept builds; both refuse the same ones", () => {
  const outcome = runGate(mutations(), () => true);
  expect(outcome.failures).toEqual([]);
  expect(outcome.built).toBeGreaterThan(300);
  expect(outcome.refused).toBeGreaterThan(100);
}, 600_000);

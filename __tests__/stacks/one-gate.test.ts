/**
 * One gate (one-gate.ts): every schema-valid mutation of the default lab is refused by synth and
 * the doctor alike, or accepted by both. Building is what costs (about 0.15 s a lab): here the
 * structural changes and every tenth mutation (when accepted) are built, so each section of the config
 * is built changed; one-gate.slow.ts (npm run test:slow, .ci/run) builds every accepted one.
 */
import { mutations, runGate } from "./one-gate";

const MUTATIONS = mutations();
const BUILD_STRIDE = 10;

test("several hundred schema-valid mutations of the default lab are tried", () => {
  expect(MUTATIONS.length).toBeGreaterThanOrEqual(300);
});

test("synth and the doctor refuse exactly the same mutations; the structural ones and a sample of the rest build", () => {
  const outcome = runGate(MUTATIONS, (mutation, index) => mutation.structural || index % BUILD_STRIDE === 0);
  expect(outcome.failures).toEqual([]);
  // Both outcomes are exercised, so neither half of the gate is vacuous.
  expect(outcome.built).toBeGreaterThan(50);
  expect(outcome.refused).toBeGreaterThan(50);
}, 120_000);

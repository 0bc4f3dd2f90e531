/**
 * Jest setup for `npm run test:unasserted -- --mutate` (jest.config.js loads it only when
 * HOMELAB_SNAPSHOTS_OFF is set): snapshot matchers pass without comparing, so a changed value is
 * caught by a targeted assertion or not at all. (Not every snapshot test says "snapshot" in its name.)
 */
const pass = () => ({ pass: true, message: () => "snapshots are off (HOMELAB_SNAPSHOTS_OFF)" });
expect.extend({ toMatchSnapshot: pass, toMatchInlineSnapshot: pass });

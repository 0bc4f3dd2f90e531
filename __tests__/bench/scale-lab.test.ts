/** The synth benchmark's generated labs are valid labs: the config rules accept them as they are. */
import { validateLab, formatProblems } from "../../config/load";
import { scaleLab } from "../../bench/lib/scale-lab";
import { rawLab } from "../helpers";

test.each([3, 31, 301])("a %i-server lab passes every config rule, one server per Proxmox node", (servers) => {
  const result = validateLab(scaleLab(rawLab(), servers));
  if (!result.ok) throw new Error(formatProblems(result.problems));
  expect(result.lab.k3s.servers).toHaveLength(servers);
  expect(new Set(result.lab.k3s.servers.map((s) => s.proxmoxNode)).size).toBe(servers);
  expect(result.lab.proxmox.nodes).toHaveLength(servers);
});

test("keeps the default lab's platform, images and Pi", () => {
  const base = rawLab();
  const lab = scaleLab(base, 31);
  expect(lab.platform).toEqual(base.platform);
  expect(lab.vm).toEqual(base.vm);
  expect(lab.raspberryPi.name).toBe(base.raspberryPi.name);
});

test("fails when the server count is even (etcd quorum)", () => {
  expect(() => scaleLab(rawLab(), 30)).toThrow("scaleLab: 30 servers; etcd needs an odd number of members (e.g. 3, 31, 301)");
});

process.setSourceMapsEnabled(false);
import { App } from "cdktf";
import { loadLabFile } from "./config/load";
import { buildLab } from "./stacks/lab";
const r = loadLabFile("__tests__/fixtures/labs/default.yaml"); if (!r.ok) throw 1;
for (let i = 0; i < 30; i++) {
  const t0 = performance.now();
  const app = new App({ outdir: "/tmp/xx", skipValidation: false });
  const lab = buildLab(app, r.lab);
  const t1 = performance.now();
  for (const s of [lab.infra, lab.k3s, lab.platform]) JSON.stringify(s.toTerraform());
  const t2 = performance.now();
  if (i % 5 == 0) console.log(`build ${(t1 - t0).toFixed(0)} ms toTerraform ${(t2 - t1).toFixed(0)} ms`);
}

const mapped = Error.prepareStackTrace;
Error.prepareStackTrace = (error: any, frames: any) => (error instanceof Error && mapped ? mapped(error, frames) : "");
import { App } from "cdktf";
import { buildLab } from "./stacks/lab";
import { loadLab } from "./__tests__/helpers";
const lab = loadLab();
for (let i = 0; i < 3; i++) { const s = buildLab(new App({ outdir: "unused" }), lab); for (const st of [s.infra, s.k3s, s.platform]) st.toTerraform(); }
const t0 = Date.now();
for (let i = 0; i < 20; i++) { const s = buildLab(new App({ outdir: "unused" }), lab); for (const st of [s.infra, s.k3s, s.platform]) st.toTerraform(); }
console.log("ms per build", (Date.now() - t0) / 20);

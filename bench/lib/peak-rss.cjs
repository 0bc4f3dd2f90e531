// Preloaded into every Node process of a measured command (NODE_OPTIONS=--require …) when
// /usr/bin/time is missing: each process appends its pid, peak RSS (KiB) and CPU time (user and
// system seconds) to BENCH_RSS_FILE on exit.
"use strict";
const { appendFileSync } = require("node:fs");
const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on("exit", () => {
    const usage = process.resourceUsage();
    appendFileSync(target, `${process.pid} ${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}\n`);
  });
}

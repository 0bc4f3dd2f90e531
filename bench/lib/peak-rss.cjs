// Preloaded into every Node process of a measured command (NODE_OPTIONS=--require …) when
// /usr/bin/time is missing: each process appends its own peak RSS (KiB) to BENCH_RSS_FILE on exit.
"use strict";
const { appendFileSync } = require("node:fs");
const target = process.env.BENCH_RSS_FILE;
if (target) {
  process.on("exit", () => {
    appendFileSync(target, `${process.pid} ${process.resourceUsage().maxRSS}\n`);
  });
}

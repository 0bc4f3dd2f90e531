/**
 * Entry point (`npm run synth`, and the app cdktf.json runs): reads the lab config
 * (HOMELAB_CONFIG or ./homelab.yaml), refuses it with one `path: message` line per problem before
 * anything is written, then synthesizes the stacks and says what it wrote.
 */
import { parseAllowDestroy } from "./constructs/data-guard";
import { runSynth } from "./stacks/synth";

const debug = process.env.HOMELAB_DEBUG === "1";
// Every cdktf token captures a stack trace; mapping each through source maps costs a third of synth.
// Stack traces are only printed with HOMELAB_DEBUG=1, where they are mapped again.
if (!debug) process.setSourceMapsEnabled(false);

const outcome = runSynth({
  configFile: process.env.HOMELAB_CONFIG ?? "homelab.yaml",
  outdir: process.env.CDKTF_OUTDIR ?? "cdktf.out",
  // The cdktf CLI (cdktf synth/deploy) runs this app with this variable set and prints its own progress.
  underCdktfCli: process.env.CDKTF_CONTINUE_SYNTH_ON_ERROR_ANNOTATIONS !== undefined,
  debug,
  allowDestroy: parseAllowDestroy(process.env.HOMELAB_ALLOW_DESTROY),
});
// Warnings first: the summary refers to them as printed above.
process.stderr.write(outcome.stderr);
process.stdout.write(outcome.stdout);
process.exitCode = outcome.exitCode;

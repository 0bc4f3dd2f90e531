/**
 * The recorder behind `npm run test:unasserted`: which reads count as asserting a value, and how
 * synthesized paths are written (so that a construct test's stack and the lab's compare).
 */
import { leafPaths, segmentFor, structuredContent } from "./read-paths";

type Recorder = typeof import("./read-recorder");

/** A fresh recorder module, recording or not (HOMELAB_RECORD_READS is read when it loads). */
function recording(on = true): Recorder {
  const before = process.env.HOMELAB_RECORD_READS;
  if (on) process.env.HOMELAB_RECORD_READS = "unused-by-this-test";
  else delete process.env.HOMELAB_RECORD_READS;
  try {
    let recorder: Recorder | undefined;
    jest.isolateModules(() => {
      recorder = require("./read-recorder");
    });
    return recorder!;
  } finally {
    if (before === undefined) delete process.env.HOMELAB_RECORD_READS;
    else process.env.HOMELAB_RECORD_READS = before;
  }
}

const TF = {
  resource: {
    helm_release: { vaultwarden_chart_release_1A2B: { name: "vaultwarden", values: ["invitationsAllowed: true\nsignupsAllowed: false\n"], timeout: 600 } },
    kubernetes_secret_v1: { vaultwarden_admin_ABCD: { metadata: { name: "vaultwarden-admin-token" } } },
  },
};

describe("read paths", () => {
  test("a helm_release is named by its release name, other logical ids collapse, YAML strings continue after |", () => {
    expect(leafPaths(TF, "tf").sort()).toEqual([
      "tf.resource.helm_release.[vaultwarden].name",
      "tf.resource.helm_release.[vaultwarden].timeout",
      "tf.resource.helm_release.[vaultwarden].values.0|invitationsAllowed",
      "tf.resource.helm_release.[vaultwarden].values.0|signupsAllowed",
      "tf.resource.kubernetes_secret_v1.*.metadata.name",
    ]);
    expect(segmentFor("tf", ["resource", "null_resource"], "seed_1234", {})).toBe("*");
  });

  test("other multi-line text is read line by line, blank and bracket-only lines left out", () => {
    expect(leafPaths({ config: 'a {\n  max_age = "12h"\n}\n' }, "x")).toEqual(['x.config#a {', 'x.config#max_age = "12h"']);
  });

  test("YAML with Terraform interpolations still parses", () => {
    expect(structuredContent('repoURL: ${a ? b : "c"}\npath: apps\n')).toEqual({ repoURL: "TERRAFORM_EXPRESSION", path: "apps" });
  });
});

describe("the recorder", () => {
  test("is the identity unless HOMELAB_RECORD_READS is set", () => {
    const plain = recording(false);
    const doc = { a: 1 };
    expect(plain.RECORDING).toBe(false);
    expect(plain.recorded(doc, "tf")).toBe(doc);
  });

  test("logs what a test reads and what a matcher compares, not a copy or a stringified document", () => {
    const recorder = recording();
    const json = recorder.recorded(structuredClone(TF), "tf");
    const release = json.resource.helm_release.vaultwarden_chart_release_1A2B;
    expect(release.timeout).toBe(600);
    const copy = { ...json.resource.kubernetes_secret_v1.vaultwarden_admin_ABCD.metadata };
    JSON.stringify(json);
    expect(copy.name).toBe("vaultwarden-admin-token");
    expect(recorder.recordedReads()).toEqual(["tf.resource.helm_release.[vaultwarden].timeout"]);
  });

  test("a string a proxy handed out stays recorded once parsed", () => {
    const recorder = recording();
    const json = recorder.recorded(structuredClone(TF), "tf");
    const text = json.resource.helm_release.vaultwarden_chart_release_1A2B.values[0];
    const values = recorder.recordParsed(text, { invitationsAllowed: true, signupsAllowed: false });
    expect(values).toEqual(expect.objectContaining({ invitationsAllowed: true }));
    expect(recorder.recordedReads()).toEqual([
      "tf.resource.helm_release.[vaultwarden].values.0",
      "tf.resource.helm_release.[vaultwarden].values.0|invitationsAllowed",
    ]);
  });

  test("a string matcher on a recorded text logs the lines it covers", () => {
    const recorder = recording();
    const pipeline = recorder.recordedText('journal {\n  path    = "/var/log/journal"\n  max_age = "12h"\n}\n', "alloy");
    recorder.noteStringMatcher(pipeline, "toContain", 'max_age = "12h"');
    recorder.noteStringMatcher(pipeline, "toBe", pipeline);
    expect(recorder.recordedReads()).toEqual(['alloy#max_age = "12h"']);
  });
});

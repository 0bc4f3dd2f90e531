import { z } from "zod";
import { labSchema } from "./schema";

/** JSON Schema of the lab config as a user writes it (fields with defaults are optional). */
export function renderConfigJsonSchema(): string {
  const schema = z.toJSONSchema(labSchema, { io: "input", target: "draft-7" });
  return JSON.stringify({ ...schema, title: "homelab lab config (homelab.yaml)" }, null, 2) + "\n";
}

/**
 * The shell commands written in the project's Markdown, as a reader would type them: fenced
 * `sh`/`bash`/`shell`/`console` blocks, one command per line after joining `\` continuations,
 * full-line comments skipped, a `$ ` prompt stripped (in `console` blocks only prompted lines are
 * commands; the rest is output). Used by commands.test.ts, which runs or lists every one.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";

/** Info strings of fenced blocks that hold commands. */
export const SHELL_LANGUAGES = ["sh", "bash", "shell", "console"] as const;

export interface DocCommand {
  /** Markdown file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the command's first line in the file. */
  readonly line: number;
  /** The command as written (continuation lines kept, joined by `\` + newline). */
  readonly text: string;
  /** Fenced block number in the file (commands of one block share exports and `cd`). */
  readonly block: number;
}

/** An unlabelled fenced block (no info string): it may hold commands that would then go unseen. */
export interface UnlabelledBlock {
  readonly file: string;
  readonly line: number;
  readonly firstLine: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;

/** Every Markdown file the commands test reads: README.md and docs/**\/*.md, sorted. */
export function markdownFiles(root: string): string[] {
  const out = ["README.md"];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".md")) out.push(relative(root, path));
    }
  };
  walk(join(root, "docs"));
  return out;
}

/** The commands and unlabelled blocks of one Markdown text. */
export function extractCommands(file: string, markdown: string): { commands: DocCommand[]; unlabelled: UnlabelledBlock[] } {
  const lines = markdown.split("\n");
  const commands: DocCommand[] = [];
  const unlabelled: UnlabelledBlock[] = [];
  let block = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, language] = open;
    const body: { line: number; text: string }[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      // Blocks inside list items are indented: drop the fence's indentation.
      const text = lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart();
      body.push({ line: j + 1, text });
    }
    block++;
    if (language === "") {
      const first = body.find((b) => b.text.trim() !== "");
      if (first) unlabelled.push({ file, line: first.line, firstLine: first.text.trim() });
    } else if ((SHELL_LANGUAGES as readonly string[]).includes(language)) {
      commands.push(...blockCommands(file, block, body, language === "console"));
    }
    i = j;
  }
  return { commands, unlabelled };
}

function blockCommands(file: string, block: number, body: { line: number; text: string }[], console: boolean): DocCommand[] {
  const out: DocCommand[] = [];
  let current: { line: number; parts: string[] } | undefined;
  for (const { line, text: raw } of body) {
    let text = raw.replace(/\s+$/, "");
    if (!current) {
      const prompted = /^\$ /.test(text);
      if (console && !prompted) continue; // output
      if (prompted) text = text.slice(2);
      if (text.trim() === "" || text.trimStart().startsWith("#")) continue;
      current = { line, parts: [] };
    }
    current.parts.push(text);
    if (!text.endsWith("\\")) {
      out.push({ file, line: current.line, text: current.parts.join("\n"), block });
      current = undefined;
    }
  }
  if (current) out.push({ file, line: current.line, text: current.parts.join("\n"), block });
  return out;
}

/** Every command of README.md and docs/, in reading order. */
export function documentedCommands(root: string): { commands: DocCommand[]; unlabelled: UnlabelledBlock[] } {
  const commands: DocCommand[] = [];
  const unlabelled: UnlabelledBlock[] = [];
  for (const file of markdownFiles(root)) {
    const found = extractCommands(file, readFileSync(join(root, file), "utf8"));
    commands.push(...found.commands);
    unlabelled.push(...found.unlabelled);
  }
  return { commands, unlabelled };
}

/**
 * Splits a command line into its `&&` / `||` / `;` segments, outside quotes and `$( )`, after
 * removing a trailing comment, continuations and one pair of subshell parentheses. Each segment
 * is a pipeline; its leading `NAME=value` assignments are dropped (an env prefix).
 */
export function segments(command: string): string[] {
  let text = command.replace(/\s*\\\n\s*/g, " ");
  text = stripComment(text).trim();
  const subshell = /^\((.*)\)$/.exec(text);
  if (subshell) text = subshell[1].trim();
  const out: string[] = [];
  let quote: string | null = null;
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"') i++;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "\\") i++;
    else if (c === "$" && text[i + 1] === "(") {
      depth++;
      i++;
    } else if (c === ")" && depth > 0) depth--;
    else if (depth === 0 && (text.startsWith("&&", i) || text.startsWith("||", i) || c === ";")) {
      out.push(text.slice(start, i));
      i += c === ";" ? 0 : 1;
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out.map(dropEnvPrefix).filter((s) => s !== "");
}

function dropEnvPrefix(segment: string): string {
  let rest = segment.trim();
  for (;;) {
    const m = /^[A-Za-z_][A-Za-z0-9_]*=('[^']*'|"[^"]*"|\S*)\s+/.exec(rest);
    if (!m) return rest;
    rest = rest.slice(m[0].length);
  }
}

/** The line without a trailing `# comment` (a `#` outside quotes, after a blank). */
export function stripComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]))) return line.slice(0, i).trimEnd();
  }
  return line;
}

import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { displayPath, loadManifest, loadSuite } from "../../config/load.ts";
import { BenchError, isBenchError } from "../../errors/index.ts";
import { escapeHidden } from "../../pure/text.ts";
import { parseCommandLine } from "../args.ts";
import { commandHelp } from "../help.ts";
import { validateSpec as spec } from "../options.ts";
import { capLines } from "../report.ts";

/**
 * The YAML files at or below `path`, in sorted order. Links are followed, but each real folder is
 * read once, so a link back up the tree (a loop) is passed over with a warning instead of being
 * walked until the path is too long.
 */
function collect(
  path: string,
  out: string[],
  warn: (message: string) => void,
  visited = new Set<string>(),
): void {
  if (!existsSync(path))
    throw new BenchError(
      "E_NOT_FOUND",
      `${escapeHidden(displayPath(path))}: no such file or folder`,
    );
  if (!statSync(path).isDirectory()) {
    out.push(path);
    return;
  }
  const real = realpathSync(path);
  if (visited.has(real)) {
    warn(`skipped ${escapeHidden(displayPath(path))}: a link to a folder already checked`);
    return;
  }
  visited.add(real);
  for (const entry of readdirSync(path).sort()) {
    if (entry.startsWith(".") || entry === "node_modules") continue;
    const full = join(path, entry);
    const stats = statSync(full, { throwIfNoEntry: false });
    if (stats === undefined) warn(`skipped ${escapeHidden(displayPath(full))}: a broken link`);
    else if (stats.isDirectory() || /\.ya?ml$/.test(entry)) collect(full, out, warn, visited);
  }
}

export async function validateCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream; stderr?: NodeJS.WritableStream },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const warn = (message: string) => (io.stderr ?? process.stderr).write(`warning: ${message}\n`);
  const line = parseCommandLine(spec, argv, env);
  if (line.help) {
    io.stdout.write(commandHelp(spec));
    return 0;
  }
  const { values, positionals } = line;
  const roots =
    positionals.length > 0 ? positionals : ["models", "suites"].filter((p) => existsSync(p));
  const files: string[] = [];
  for (const root of roots) collect(resolve(root), files, warn);
  const reports = files.map((file) => {
    const kind = basename(file) === "suite.yaml" ? "suite" : "model";
    try {
      if (kind === "suite") loadSuite(file);
      else loadManifest(file);
      return { file: escapeHidden(displayPath(file)), kind, ok: true, problems: [] as string[] };
    } catch (error) {
      if (!isBenchError(error)) throw error;
      return {
        file: escapeHidden(displayPath(file)),
        kind,
        ok: false,
        problems: capLines(error.message.split("\n")),
      };
    }
  });
  if (values.json) io.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  else {
    for (const report of reports) {
      if (report.ok) io.stdout.write(`ok       ${report.file} (${report.kind})\n`);
      else for (const problem of report.problems) io.stdout.write(`invalid  ${problem}\n`);
    }
    const bad = reports.filter((r) => !r.ok).length;
    io.stdout.write(`${reports.length - bad} valid, ${bad} invalid\n`);
  }
  return reports.every((r) => r.ok) ? 0 : 1;
}

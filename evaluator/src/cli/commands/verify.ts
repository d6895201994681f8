import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { displayPath } from "../../config/load.ts";
import { BenchError } from "../../errors/index.ts";
import { escapeHidden, printable } from "../../pure/text.ts";
import { loadTrustListFile } from "../../result/trust-list.ts";
import {
  resultsRootFor,
  type SkippedEntry,
  scanResultFiles,
  verifyResultFile,
} from "../../result/verify.ts";
import { parseCommandLine } from "../args.ts";
import { commandHelp } from "../help.ts";
import { verifySpec as spec } from "../options.ts";
import { capLines } from "../report.ts";

export async function verifyCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const line = parseCommandLine(spec, argv, env);
  if (line.help) {
    io.stdout.write(commandHelp(spec));
    return 0;
  }
  const { values, positionals } = line;
  const roots = positionals.length > 0 ? positionals.map((p) => resolve(p)) : [resolve("results")];
  // Each document is checked against the results folder it sits in: its ids must match its path.
  const targets: { file: string; root: string }[] = [];
  const skipped: SkippedEntry[] = [];
  for (const path of roots) {
    if (!existsSync(path)) throw new BenchError("E_NOT_FOUND", `${path}: no such file or folder`);
    const root = resultsRootFor(path);
    if (statSync(path).isDirectory()) {
      const scan = scanResultFiles(path);
      targets.push(...scan.files.map((file) => ({ file, root })));
      skipped.push(...scan.skipped);
    } else targets.push({ file: path, root });
  }
  const trustFile = values.trust
    ? resolve(values.trust as string)
    : resolve("results", "trusted-keys.json");
  if (values.trust && !existsSync(trustFile))
    throw new BenchError("E_NOT_FOUND", `--trust: ${values.trust} does not exist`);
  const trust = loadTrustListFile(displayPath(trustFile));
  const reports = targets.map(({ file, root }) => verifyResultFile(file, trust, { root }));
  const allowUntrusted = values["allow-untrusted"] === true;
  const failed = reports.filter(
    (r) => r.status === "invalid" || (r.status === "untrusted" && !allowUntrusted),
  );
  if (values.json) {
    const checked = reports.map(({ document: _d, ...r }) => ({ ...r, file: displayPath(r.file) }));
    const passedOver = skipped.map((s) => ({
      file: displayPath(s.path),
      status: "skipped",
      problems: [`${displayPath(s.path)}: ${s.reason}`],
    }));
    io.stdout.write(`${JSON.stringify([...checked, ...passedOver], null, 2)}\n`);
  } else {
    // Owners, key ids and paths come from files strangers can edit: shown escaped.
    const show = (text: string | undefined) => printable(String(text), 120);
    for (const r of reports) {
      const label = escapeHidden(displayPath(r.file));
      if (r.status === "trusted")
        io.stdout.write(
          `trusted    ${label} (key ${show(r.signer?.keyId)}, ${show(r.signer?.owner)})\n`,
        );
      else if (r.status === "untrusted")
        io.stdout.write(
          `untrusted  ${label}: signed by ${show(r.signer?.kind)} key ${show(r.signer?.keyId)}, which is not in ${escapeHidden(displayPath(trustFile))}\n`,
        );
      else for (const p of capLines(r.problems)) io.stdout.write(`TAMPERED   ${p}\n`);
    }
    for (const s of skipped)
      io.stdout.write(`skipped    ${escapeHidden(displayPath(s.path))}: ${s.reason}\n`);
    io.stdout.write(
      `${reports.length} checked: ${reports.filter((r) => r.status === "trusted").length} trusted, ${reports.filter((r) => r.status === "untrusted").length} untrusted, ${reports.filter((r) => r.status === "invalid").length} invalid\n`,
    );
    if (reports.length === 0) io.stdout.write("no result documents found\n");
  }
  return failed.length === 0 ? 0 : 1;
}

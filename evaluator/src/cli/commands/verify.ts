import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { displayPath } from "../../config/load.ts";
import { BenchError } from "../../errors/index.ts";
import { listResultFiles, loadTrustListFile, verifyResultFile } from "../../result/verify.ts";
import { parse } from "../args.ts";

export const verifyHelp = `bench verify [paths…]

Verifies signed result documents: schema, Ed25519 signature over the RFC 8785 canonical
form, samples digest, and the signer against the trust list. Exits non-zero, naming the
file, on any tampering or on a signer missing from the trust list.
Paths may be files or folders; the default is results/.

Options:
  --trust <file>      trust list (default: <results>/trusted-keys.json)
  --allow-untrusted   accept valid signatures by keys outside the trust list (e.g. local runs)
  --json              print {file, status, problems[], signer} per file as JSON
  -h, --help          show this help`;

export async function verifyCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream },
): Promise<number> {
  const { values, positionals } = parse("verify", argv, {
    trust: { type: "string" },
    "allow-untrusted": { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(`${verifyHelp}\n`);
    return 0;
  }
  const roots = positionals.length > 0 ? positionals.map((p) => resolve(p)) : [resolve("results")];
  const files: string[] = [];
  for (const root of roots) {
    if (!existsSync(root)) throw new BenchError("E_NOT_FOUND", `${root}: no such file or folder`);
    if (statSync(root).isDirectory()) files.push(...listResultFiles(root));
    else files.push(root);
  }
  const trustFile = values.trust
    ? resolve(values.trust as string)
    : resolve("results", "trusted-keys.json");
  if (values.trust && !existsSync(trustFile))
    throw new BenchError("E_NOT_FOUND", `--trust: ${values.trust} does not exist`);
  const trust = loadTrustListFile(trustFile);
  const reports = files.map((file) => verifyResultFile(file, trust));
  const allowUntrusted = values["allow-untrusted"] === true;
  const failed = reports.filter(
    (r) => r.status === "invalid" || (r.status === "untrusted" && !allowUntrusted),
  );
  if (values.json) {
    io.stdout.write(
      `${JSON.stringify(
        reports.map(({ document: _d, ...r }) => ({ ...r, file: displayPath(r.file) })),
        null,
        2,
      )}\n`,
    );
  } else {
    for (const r of reports) {
      const label = displayPath(r.file);
      if (r.status === "trusted")
        io.stdout.write(`trusted    ${label} (key ${r.signer?.keyId}, ${r.signer?.owner})\n`);
      else if (r.status === "untrusted")
        io.stdout.write(
          `untrusted  ${label}: signed by ${r.signer?.kind} key ${r.signer?.keyId}, which is not in ${displayPath(trustFile)}\n`,
        );
      else for (const p of r.problems) io.stdout.write(`TAMPERED   ${p}\n`);
    }
    io.stdout.write(
      `${reports.length} checked: ${reports.filter((r) => r.status === "trusted").length} trusted, ${reports.filter((r) => r.status === "untrusted").length} untrusted, ${reports.filter((r) => r.status === "invalid").length} invalid\n`,
    );
    if (reports.length === 0) io.stdout.write("no result documents found\n");
  }
  return failed.length === 0 ? 0 : 1;
}

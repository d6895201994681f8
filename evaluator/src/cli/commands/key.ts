import { loadSigningKey } from "../../result/keys.ts";
import { parseCommandLine } from "../args.ts";
import { checkFolder } from "../define.ts";
import { commandHelp } from "../help.ts";
import { keySpec as spec } from "../options.ts";

export async function keyCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const line = parseCommandLine(spec, argv, env);
  if (line.help) {
    io.stdout.write(commandHelp(spec));
    return 0;
  }
  const { values } = line;
  // Without a key file or BENCH_SIGNING_KEY, the local key is created below BENCH_HOME.
  if (values.key === undefined && !env.BENCH_SIGNING_KEY && env.BENCH_HOME)
    checkFolder({ kind: "env", name: "BENCH_HOME" }, env.BENCH_HOME);
  const key = loadSigningKey({ ...(values.key === undefined ? {} : { keyFile: values.key }), env });
  const entry = {
    keyId: key.keyId,
    publicKey: key.publicKey,
    owner: values.owner ?? `${key.signer.kind} key (${key.source})`,
    addedAt: new Date().toISOString().slice(0, 10),
  };
  io.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
  return 0;
}

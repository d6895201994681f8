import { loadSigningKey } from "../../result/keys.ts";
import { parse } from "../args.ts";

export const keyHelp = `bench key [--owner <name>] [--key <file>]

Prints the public half of the signing key that bench eval would use, as an entry for
results/trusted-keys.json. Creates the local key ($BENCH_HOME/keys) if there is none yet.
The private key is never printed.

Options:
  --owner <name>   who the key belongs to (default: the signer kind)
  --key <file>     describe this Ed25519 PEM private key instead
  -h, --help       show this help`;

export async function keyCommand(
  argv: string[],
  io: { stdout: NodeJS.WritableStream },
): Promise<number> {
  const { values } = parse("key", argv, {
    owner: { type: "string" },
    key: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    io.stdout.write(`${keyHelp}\n`);
    return 0;
  }
  const key = loadSigningKey(values.key ? { keyFile: values.key as string } : {});
  const entry = {
    keyId: key.keyId,
    publicKey: key.publicKey,
    owner: (values.owner as string | undefined) ?? `${key.signer.kind} key (${key.source})`,
    addedAt: new Date().toISOString().slice(0, 10),
  };
  io.stdout.write(`${JSON.stringify(entry, null, 2)}\n`);
  return 0;
}

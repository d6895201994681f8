import { type ParseArgsConfig, parseArgs } from "node:util";
import { BenchError } from "../errors/index.ts";
import { unknownIdMessage } from "../pure/did-you-mean.ts";

export type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs, with unknown flags turned into "did you mean" errors. */
export function parse(command: string, argv: string[], options: Options) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (cause) {
    const message = (cause as Error).message;
    const flag = /'(-{1,2}[^' ]+)'/.exec(message)?.[1];
    if (flag && (cause as { code?: string }).code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      const valid = Object.keys(options).map((o) => `--${o}`);
      throw new BenchError(
        "E_USAGE",
        `bench ${command}: ${unknownIdMessage("flag", flag, valid)}`,
        {
          hint: `run bench ${command} --help`,
        },
      );
    }
    throw new BenchError("E_USAGE", `bench ${command}: ${message}`, {
      hint: `run bench ${command} --help`,
    });
  }
}

export function positiveInt(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new BenchError("E_USAGE", `${flag}: ${JSON.stringify(value)} is not a positive integer`, {
      hint: `pass e.g. ${flag} 4`,
    });
  }
  return Number(value);
}

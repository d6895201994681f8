import { acc } from "./acc.ts";
import { accBytes } from "./acc-bytes.ts";
import { accNorm } from "./acc-norm.ts";
import { balancedAcc } from "./balanced-acc.ts";
import { mc1, mc2 } from "./mc.ts";
import type { Json, Metric, MultipleChoiceOutcome } from "./types.ts";

/** The metrics that read a multiple-choice outcome, by id: the `multiple_choice` task type offers these. */
export const multipleChoiceMetrics = {
  acc,
  acc_norm: accNorm,
  acc_bytes: accBytes,
  mc1,
  mc2,
  balanced_acc: balancedAcc,
} as const satisfies Record<string, Metric<MultipleChoiceOutcome, Json>>;

import type { Task } from "../generated/suite.ts";
import { code } from "./code.ts";
import { generate } from "./generate.ts";
import { judge } from "./judge.ts";
import { multipleChoice } from "./multiple-choice.ts";
import { toxicity } from "./toxicity.ts";
import type { TaskType } from "./types.ts";

/** The config of the task type `K`: its branch of the suite schema's union. */
export type TaskConfigOf<K extends Task["type"]> = Extract<Task, { type: K }>;

/** Every task type, by the `type` a suite task names. */
export const tasks: { readonly [K in Task["type"]]: TaskType<TaskConfigOf<K>, unknown, unknown> } =
  {
    multiple_choice: multipleChoice,
    generate,
    code,
    judge,
    toxicity,
  };

export type TaskTypeId = keyof typeof tasks;
export const taskTypes = Object.keys(tasks) as TaskTypeId[];

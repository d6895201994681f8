import { multipleChoice } from "./multiple-choice.ts";
import type { TaskType } from "./types.ts";

export const tasks = {
  multiple_choice: multipleChoice,
} as const satisfies Record<string, TaskType>;

export type TaskTypeId = keyof typeof tasks;
export const taskTypes = Object.keys(tasks) as TaskTypeId[];

export function isTaskType(id: string): id is TaskTypeId {
  return Object.hasOwn(tasks, id);
}

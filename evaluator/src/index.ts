export { backendIds, backends } from "./backends/registry.ts";
export type {
  Backend,
  Capability,
  GpuChoice,
  LoadedModel,
  LoadRequest,
  StreamPart,
} from "./backends/types.ts";
export { commandSpecs, evalSpec, globalOptions } from "./cli/options.ts";
export { type Loaded, loadManifest, loadSuite, type ResolvedSuite } from "./config/load.ts";
export { validateAgainst } from "./config/schema.ts";
export {
  BenchError,
  type ErrorCode,
  errorCatalogue,
  errorCodes,
  formatBenchError,
  isBenchError,
} from "./errors/index.ts";
export type { ModelManifest } from "./generated/model.ts";
export type { ResultDocument } from "./generated/result.ts";
export type { SuiteDefinition, Task } from "./generated/suite.ts";
export type { TrustList } from "./generated/trust.ts";
export { buildResult } from "./runner/build-result.ts";
export { type Plan, plan, type Shard } from "./runner/plan.ts";
export { type EvalOptions, type EvalOutcome, runEvaluation } from "./runner/run-eval.ts";
export type { SampleRecord } from "./runner/sample.ts";
export { tasks, taskTypes } from "./tasks/registry.ts";
export type { ResolvedTask, RunnableItem } from "./tasks/resolve.ts";
export type { CompiledTask, TaskType } from "./tasks/types.ts";

import { resolveArtifact } from "../artifacts/resolve.ts";
import { type Loaded, loadManifest, loadSuite, type ResolvedSuite } from "../config/load.ts";
import { displayPath } from "../config/yaml.ts";
import { readJoined } from "../datasets/join.ts";
import { BenchError } from "../errors/index.ts";
import type { ModelManifest } from "../generated/model.ts";
import { loadSigningKey } from "../result/keys.ts";
import type { DatasetRecord } from "../tasks/types.ts";
import { resolveModelArtifacts } from "./open-model.ts";
import type { PlanInput } from "./plan.ts";

/** What the load stage needs of the run's options. */
export interface LoadOptions {
  manifest: string;
  suite: string;
  keyFile?: string;
}

/** The load stage: manifest, suite, the model's files and every task's dataset, resolved and verified. */
export async function load(options: LoadOptions, env: NodeJS.ProcessEnv) {
  const manifest: Loaded<ModelManifest> = loadManifest(options.manifest);
  const suite: Loaded<ResolvedSuite> = loadSuite(options.suite);
  const key = loadSigningKey({ ...(options.keyFile ? { keyFile: options.keyFile } : {}), env });
  const artifacts = await resolveModelArtifacts(manifest, env);
  const tasks: PlanInput["tasks"][number][] = [];
  for (const task of suite.data.tasks) {
    const field = `${task.source.path}.dataset`;
    // A task included from another suite resolves its paths against that suite's folder.
    const origin = task.origin ?? { file: suite.file, root: suite.root };
    const dataset = await resolveArtifact(
      task.config.dataset,
      { declaredIn: origin.file, field, root: origin.root },
      { env },
    );
    const records = await readJoined(
      dataset.path,
      task.config.dataset,
      { declaredIn: origin.file, field, root: origin.root },
      { env },
      `${task.source.file}: ${field}`,
    );
    if (records.length === 0) {
      // A task without items would report no score at all, as if every item had failed.
      throw new BenchError(
        "E_DATASET",
        `${task.source.file}: ${field}: ${displayPath(dataset.path)} holds no records (expected at least one)`,
        { hint: "check that the dataset pin names the right file" },
      );
    }
    let examples: readonly DatasetRecord[] | undefined;
    if (task.exampleDataset) {
      const { ref, field: exampleField } = task.exampleDataset;
      const file = await resolveArtifact(
        ref,
        { declaredIn: origin.file, field: exampleField, root: origin.root },
        { env },
      );
      examples = await readJoined(
        file.path,
        ref,
        { declaredIn: origin.file, field: exampleField, root: origin.root },
        { env },
        `${task.source.file}: ${exampleField}`,
      );
    }
    tasks.push({ task, datasetSha256: dataset.sha256, items: task.prepare(records, examples) });
  }
  return { manifest, suite, key, artifacts, tasks };
}

/**
 * `MlflowRegistry`: the `ModelRegistry` port over an MLflow 3 tracking
 * server's REST API. Versions and aliases live in MLflow's model registry;
 * package files are read and written through the server's artifact proxy.
 *
 * A version's files are found from `get-download-uri`. `manifest.json` is
 * looked up in the model directory first, then at the root of the version's
 * run, so a model a data scientist logged with `mlflow.onnx.log_model` plus
 * a manifest artifact loads as well as one the platform logged.
 *
 * @module
 */
import type { ModelManifest } from "../schemas/manifest.ts";
import { RegistryError } from "./errors.ts";
import type { ModelPackage, ModelRegistry, ModelVersionInfo } from "./port.ts";
import {
  isNotFound,
  MlflowApiError,
  MlflowClient,
  type MlflowClientOptions,
  translate,
} from "./_mlflow_client.ts";
import { FORMAT_TAG, SHA256_TAG, uploadModelDir } from "./_mlflow_model.ts";
import {
  checkAliasName,
  checkIncomingPackage,
  checkLoadedPackage,
  checkModelName,
  isVersionNumber,
} from "./_package.ts";

/** Options of {@linkcode MlflowRegistry}. */
export interface MlflowRegistryOptions extends MlflowClientOptions {
  /** Experiment that receives the runs `register()` creates (default `platform-models`). */
  experimentName?: string;
}

interface MlflowTag {
  key: string;
  value: string;
}
/** A model version as MLflow returns it. */
export interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number;
  source?: string;
  run_id?: string;
  tags?: MlflowTag[];
  aliases?: string[];
  status?: string;
}
interface MlflowRegisteredModel {
  name: string;
  aliases?: { alias: string; version: string }[];
}
/** A run as MLflow returns it from `runs/create`. */
export interface MlflowRun {
  info: { run_id: string; artifact_uri: string; experiment_id: string };
}

/** The ModelRegistry port over MLflow. */
export class MlflowRegistry implements ModelRegistry {
  readonly client: MlflowClient;
  readonly experimentName: string;
  #experimentId: string | undefined;

  constructor(options: MlflowRegistryOptions) {
    this.client = new MlflowClient(options);
    this.experimentName = options.experimentName ?? "platform-models";
  }

  /** Names of the registered models, sorted. */
  async listModels(): Promise<string[]> {
    const names: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.client.get<
        { registered_models?: MlflowRegisteredModel[]; next_page_token?: string }
      >("registered-models/search", { max_results: 1000, page_token: pageToken });
      for (const model of page.registered_models ?? []) names.push(model.name);
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    return names.sort();
  }

  /** Versions of one model, oldest first. */
  async listVersions(name: string): Promise<ModelVersionInfo[]> {
    const aliases = await this.getAliases(name);
    const versions = await this.#searchVersions(name);
    return versions.map((v) => ({
      name,
      version: v.version,
      created_at: v.creation_timestamp ? new Date(Number(v.creation_timestamp)).toISOString() : "",
      sha256: tagOf(v, SHA256_TAG) ?? "",
      aliases: Object.entries(aliases).filter(([, ver]) => ver === v.version).map(([a]) => a)
        .sort(),
    }));
  }

  /** Alias → version of one model. */
  async getAliases(name: string): Promise<Record<string, string>> {
    const model = await this.#getModel(name);
    return Object.fromEntries((model.aliases ?? []).map((a) => [a.alias, String(a.version)]));
  }

  /** Loads a package by version, alias or `latest`, verifying its sha256. */
  async getPackage(name: string, selector: string): Promise<ModelPackage> {
    const version = await this.resolveVersion(name, selector);
    return await this.#download(version);
  }

  /** Resolves a selector (version, alias, `latest`) to MLflow's model version. */
  async resolveVersion(name: string, selector: string): Promise<MlflowModelVersion> {
    checkModelName(name);
    if (selector === "latest") {
      const latest = (await this.#searchVersions(name)).at(-1);
      if (latest) return latest;
      await this.#getModel(name);
      throw new RegistryError(
        "version_not_found",
        `Cannot load model '${name}': it has no versions`,
      );
    }
    const byVersion = isVersionNumber(selector);
    try {
      const answer = byVersion
        ? await this.client.get<{ model_version: MlflowModelVersion }>("model-versions/get", {
          name,
          version: selector,
        })
        : await this.client.get<{ model_version: MlflowModelVersion }>(
          "registered-models/alias",
          { name, alias: selector },
        );
      return answer.model_version;
    } catch (error) {
      if (!isNotFound(error) && !isInvalidParameter(error)) throw error;
      await this.#getModel(name);
      throw new RegistryError(
        "version_not_found",
        byVersion
          ? `Cannot load model '${name}': version not found '${selector}'`
          : `Cannot load model '${name}': alias not set '${selector}'`,
        { cause: error },
      );
    }
  }

  /** Stores a new package: a run with the model directory, then a model version. */
  async register(pkg: ModelPackage): Promise<ModelManifest> {
    const manifest = await checkIncomingPackage(pkg);
    const run = await this.createRun(`register-${manifest.name}`, { "platform.kind": "register" });
    try {
      const version = await this.registerFromRun({ manifest, onnx: pkg.onnx }, run);
      await this.finishRun(run.info.run_id, "FINISHED");
      return version;
    } catch (error) {
      await this.finishRun(run.info.run_id, "FAILED").catch(() => {});
      throw error;
    }
  }

  /**
   * Uploads the model directory of `pkg` into `run` under `artifactPath` and
   * creates a model version from it. Returns the stored manifest.
   */
  async registerFromRun(
    pkg: ModelPackage,
    run: MlflowRun,
    artifactPath = "model",
  ): Promise<ModelManifest> {
    const manifest = await checkIncomingPackage(pkg);
    checkModelName(manifest.name);
    await this.#ensureModel(manifest.name);
    const dir = `${run.info.artifact_uri.replace(/\/+$/, "")}/${artifactPath}`;
    await uploadModelDir(
      this.client,
      dir,
      { manifest, onnx: pkg.onnx },
      run.info.run_id,
      artifactPath,
    );
    const created = await this.client.post<{ model_version: MlflowModelVersion }>(
      "model-versions/create",
      {
        name: manifest.name,
        source: dir,
        run_id: run.info.run_id,
        tags: [{ key: SHA256_TAG, value: manifest.sha256 }, { key: FORMAT_TAG, value: "1" }],
        description: `${manifest.framework} model, ${manifest.inputs.length} inputs`,
      },
    );
    return { ...manifest, version: String(created.model_version.version) };
  }

  /** Points `alias` at `version`. */
  async setAlias(name: string, alias: string, version: string): Promise<void> {
    checkAliasName(name, alias);
    checkModelName(name);
    try {
      await this.client.post("registered-models/alias", { name, alias, version });
    } catch (error) {
      if (!isNotFound(error) && !isInvalidParameter(error)) throw error;
      await this.#getModel(name);
      throw new RegistryError(
        "version_not_found",
        `Cannot set alias '${alias}' of model '${name}': version not found '${version}'`,
        { cause: error },
      );
    }
  }

  /** Removes an alias (no error when it was not set). */
  async deleteAlias(name: string, alias: string): Promise<void> {
    checkModelName(name);
    try {
      await this.client.delete("registered-models/alias", { name, alias });
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.#getModel(name);
    }
  }

  /** Sets a tag on a model version (e.g. why it was rolled back). */
  async setVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    await this.client.post("model-versions/set-tag", {
      name,
      version,
      key,
      value: value.slice(0, 5000),
    });
  }

  /** Creates a run in the configured experiment (created on first use). */
  async createRun(runName: string, tags: Record<string, string> = {}): Promise<MlflowRun> {
    const experimentId = await this.#experiment();
    const answer = await this.client.post<{ run: MlflowRun }>("runs/create", {
      experiment_id: experimentId,
      run_name: runName,
      start_time: Date.now(),
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    });
    return answer.run;
  }

  /** Marks a run finished or failed. */
  async finishRun(runId: string, status: "FINISHED" | "FAILED"): Promise<void> {
    await this.client.post("runs/update", { run_id: runId, status, end_time: Date.now() });
  }

  /** The artifact directory URI of a model version. */
  async downloadUri(version: MlflowModelVersion): Promise<string> {
    const answer = await this.client.get<{ artifact_uri: string }>(
      "model-versions/get-download-uri",
      { name: version.name, version: version.version },
    );
    return answer.artifact_uri.replace(/\/+$/, "");
  }

  async #download(version: MlflowModelVersion): Promise<ModelPackage> {
    const { name } = version;
    const what = `model '${name}' version ${version.version}`;
    const dir = await this.downloadUri(version);
    const [onnx, inDir] = await Promise.all([
      this.client.getArtifact(`${dir}/model.onnx`),
      this.client.getArtifact(`${dir}/manifest.json`),
    ]);
    if (onnx === null) {
      throw new RegistryError("artifact_corrupt", `Cannot load ${what}: model.onnx is missing`);
    }
    const manifest = inDir ?? await this.#runManifest(version);
    if (manifest === null) {
      throw new RegistryError("artifact_invalid", `Cannot load ${what}: manifest.json is missing`);
    }
    return await checkLoadedPackage(name, String(version.version), manifest, onnx);
  }

  /** A manifest logged at the root of the version's run, when there is one. */
  async #runManifest(version: MlflowModelVersion): Promise<Uint8Array | null> {
    if (!version.run_id) return null;
    const answer = await this.client.get<{ run: MlflowRun }>("runs/get", { run_id: version.run_id })
      .catch((error) => {
        if (isNotFound(error)) return null;
        throw error;
      });
    if (!answer) return null;
    const root = answer.run.info.artifact_uri.replace(/\/+$/, "");
    if (!root.startsWith("mlflow-artifacts:")) return null;
    return await this.client.getArtifact(`${root}/manifest.json`);
  }

  async #searchVersions(name: string): Promise<MlflowModelVersion[]> {
    checkModelName(name);
    const out: MlflowModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.client.get<
        { model_versions?: MlflowModelVersion[]; next_page_token?: string }
      >("model-versions/search", {
        filter: `name='${name.replaceAll("'", "\\'")}'`,
        max_results: 10000,
        page_token: pageToken,
      });
      out.push(...(page.model_versions ?? []));
      pageToken = page.next_page_token || undefined;
    } while (pageToken);
    if (out.length === 0) await this.#getModel(name);
    return out.sort((a, b) => Number(a.version) - Number(b.version));
  }

  async #getModel(name: string): Promise<MlflowRegisteredModel> {
    checkModelName(name);
    try {
      const answer = await this.client.get<{ registered_model: MlflowRegisteredModel }>(
        "registered-models/get",
        { name },
      );
      return answer.registered_model;
    } catch (error) {
      if (isNotFound(error)) throw translate(error, "model_not_found", `Model not found '${name}'`);
      throw error;
    }
  }

  async #ensureModel(name: string): Promise<void> {
    try {
      await this.client.post("registered-models/create", { name });
    } catch (error) {
      if (error instanceof MlflowApiError && error.errorCode === "RESOURCE_ALREADY_EXISTS") return;
      throw error;
    }
  }

  async #experiment(): Promise<string> {
    if (this.#experimentId) return this.#experimentId;
    try {
      const answer = await this.client.get<{ experiment: { experiment_id: string } }>(
        "experiments/get-by-name",
        { experiment_name: this.experimentName },
      );
      this.#experimentId = answer.experiment.experiment_id;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      try {
        const created = await this.client.post<{ experiment_id: string }>("experiments/create", {
          name: this.experimentName,
        });
        this.#experimentId = created.experiment_id;
      } catch (createError) {
        // Another process created it in between.
        if (!(createError instanceof MlflowApiError)) throw createError;
        return await this.#experiment();
      }
    }
    return this.#experimentId!;
  }
}

function tagOf(version: MlflowModelVersion, key: string): string | undefined {
  return version.tags?.find((t) => t.key === key)?.value;
}

function isInvalidParameter(error: unknown): boolean {
  return error instanceof MlflowApiError && error.errorCode === "INVALID_PARAMETER_VALUE";
}

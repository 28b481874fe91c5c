/**
 * `LocalRegistry`: the embedded adapter of the `ModelRegistry` port, a folder
 * `<root>/<name>/<version>/{model.onnx,manifest.json}` with aliases in
 * `<root>/<name>/aliases.json`.
 *
 * A version folder is written under a temporary name and renamed into place,
 * so readers never see half a package; the aliases file is replaced the same
 * way. Every load verifies the sha256 of `model.onnx` against the manifest.
 *
 * @module
 */
import type { ModelManifest } from "../schemas/manifest.ts";
import { RegistryError } from "./errors.ts";
import type { ModelPackage, ModelRegistry, ModelVersionInfo } from "./port.ts";
import {
  checkAliasName,
  checkIncomingPackage,
  checkLoadedPackage,
  checkModelName,
  isVersionNumber,
  parseManifest,
} from "./_package.ts";

/** Options of {@linkcode LocalRegistry}. */
export interface LocalRegistryOptions {
  /** The folder holding one sub-folder per model. Created on first write. */
  root: string;
}

const ALIASES_FILE = "aliases.json";

/** A model registry in a local folder. */
export class LocalRegistry implements ModelRegistry {
  readonly root: string;
  /** Serialises alias rewrites within this process (read-modify-write). */
  #aliasLocks = new Map<string, Promise<unknown>>();

  constructor(options: LocalRegistryOptions) {
    this.root = options.root.replace(/\/+$/, "") || "/";
  }

  /** Names of the registered models, sorted. */
  async listModels(): Promise<string[]> {
    const names: string[] = [];
    try {
      for await (const entry of Deno.readDir(this.root)) {
        if (entry.isDirectory && !entry.name.startsWith(".")) names.push(entry.name);
      }
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw this.#unavailable("list models", error);
    }
    return names.sort();
  }

  /** Versions of one model, oldest first. */
  async listVersions(name: string): Promise<ModelVersionInfo[]> {
    const versions = await this.#versionNumbers(name);
    const aliases = await this.getAliases(name);
    const out: ModelVersionInfo[] = [];
    for (const version of versions) {
      let manifest: ModelManifest;
      try {
        manifest = parseManifest(
          await Deno.readTextFile(this.#path(name, version, "manifest.json")),
          `model '${name}' version ${version}`,
        );
      } catch {
        // A damaged version is still listed so people can see and remove it;
        // getPackage() refuses it with the precise reason.
        out.push({
          name,
          version,
          created_at: "",
          sha256: "",
          aliases: aliasesOf(aliases, version),
        });
        continue;
      }
      out.push({
        name,
        version,
        created_at: manifest.created_at,
        sha256: manifest.sha256,
        aliases: aliasesOf(aliases, version),
      });
    }
    return out;
  }

  /** Alias → version of one model. */
  async getAliases(name: string): Promise<Record<string, string>> {
    await this.#requireModel(name);
    let text: string;
    try {
      text = await Deno.readTextFile(this.#path(name, ALIASES_FILE));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return {};
      throw this.#unavailable(`read aliases of model '${name}'`, error);
    }
    try {
      const value = JSON.parse(text);
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw new Error();
      return Object.fromEntries(
        Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"),
      );
    } catch (cause) {
      throw new RegistryError(
        "artifact_invalid",
        `Cannot read aliases of model '${name}': ${ALIASES_FILE} is not a JSON object`,
        { cause },
      );
    }
  }

  /** Loads a package by version, alias or `latest`, verifying its sha256. */
  async getPackage(name: string, selector: string): Promise<ModelPackage> {
    const version = await this.#resolve(name, selector);
    const dir = this.#path(name, version);
    let manifestText: string;
    let onnx: Uint8Array;
    try {
      [manifestText, onnx] = await Promise.all([
        Deno.readTextFile(`${dir}/manifest.json`),
        Deno.readFile(`${dir}/model.onnx`),
      ]);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new RegistryError(
          "artifact_corrupt",
          `Cannot load model '${name}' version ${version}: package files are missing`,
          { cause: error },
        );
      }
      throw this.#unavailable(`load model '${name}' version ${version}`, error);
    }
    return await checkLoadedPackage(name, version, manifestText, onnx);
  }

  /** Stores a new package under the next version number. */
  async register(pkg: ModelPackage): Promise<ModelManifest> {
    const incoming = await checkIncomingPackage(pkg);
    const name = incoming.name;
    checkModelName(name);
    const modelDir = this.#path(name);
    await Deno.mkdir(modelDir, { recursive: true });
    for (let attempt = 0; attempt < 100; attempt++) {
      const existing = await this.#versionNumbers(name);
      const version = String((existing.at(-1) ? Number(existing.at(-1)) : 0) + 1);
      const manifest: ModelManifest = { ...incoming, version };
      const tmp = `${modelDir}/.tmp-${crypto.randomUUID()}`;
      await Deno.mkdir(tmp);
      try {
        await Deno.writeFile(`${tmp}/model.onnx`, pkg.onnx);
        await Deno.writeTextFile(`${tmp}/manifest.json`, JSON.stringify(manifest, null, 2) + "\n");
        await Deno.rename(tmp, `${modelDir}/${version}`);
        return manifest;
      } catch (error) {
        await Deno.remove(tmp, { recursive: true }).catch(() => {});
        // Another writer took this version number first: try the next one.
        if (error instanceof Deno.errors.AlreadyExists || isNotEmpty(error)) continue;
        throw this.#unavailable(`register model '${name}'`, error);
      }
    }
    throw new RegistryError(
      "registry_conflict",
      `Cannot register model '${name}': too many concurrent registrations`,
    );
  }

  /** Points `alias` at `version`, replacing the aliases file atomically. */
  async setAlias(name: string, alias: string, version: string): Promise<void> {
    checkAliasName(name, alias);
    const versions = await this.#versionNumbers(name);
    if (!versions.includes(version)) {
      throw new RegistryError(
        "version_not_found",
        `Cannot set alias '${alias}' of model '${name}': version not found '${version}'`,
      );
    }
    await this.#updateAliases(name, (aliases) => ({ ...aliases, [alias]: version }));
  }

  /** Removes an alias (no error when it was not set). */
  async deleteAlias(name: string, alias: string): Promise<void> {
    await this.#requireModel(name);
    await this.#updateAliases(name, (aliases) => {
      const { [alias]: _removed, ...rest } = aliases;
      return rest;
    });
  }

  async #updateAliases(
    name: string,
    change: (aliases: Record<string, string>) => Record<string, string>,
  ): Promise<void> {
    const previous = this.#aliasLocks.get(name) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(async () => {
      const updated = change(await this.getAliases(name));
      const sorted = Object.fromEntries(Object.entries(updated).sort(([a], [b]) => a < b ? -1 : 1));
      const target = this.#path(name, ALIASES_FILE);
      const tmp = `${this.#path(name)}/.${ALIASES_FILE}.${crypto.randomUUID()}`;
      try {
        await Deno.writeTextFile(tmp, JSON.stringify(sorted, null, 2) + "\n");
        await Deno.rename(tmp, target);
      } catch (error) {
        await Deno.remove(tmp).catch(() => {});
        throw this.#unavailable(`write aliases of model '${name}'`, error);
      }
    });
    this.#aliasLocks.set(name, next);
    try {
      await next;
    } finally {
      if (this.#aliasLocks.get(name) === next) this.#aliasLocks.delete(name);
    }
  }

  async #resolve(name: string, selector: string): Promise<string> {
    const versions = await this.#versionNumbers(name);
    if (selector === "latest") {
      const latest = versions.at(-1);
      if (latest) return latest;
      throw new RegistryError(
        "version_not_found",
        `Cannot load model '${name}': it has no versions`,
      );
    }
    if (isVersionNumber(selector)) {
      if (versions.includes(selector)) return selector;
      throw new RegistryError(
        "version_not_found",
        `Cannot load model '${name}': version not found '${selector}'`,
      );
    }
    const version = (await this.getAliases(name))[selector];
    if (version === undefined) {
      throw new RegistryError(
        "version_not_found",
        `Cannot load model '${name}': alias not set '${selector}'`,
      );
    }
    return version;
  }

  /** Version folder names of a model, ascending numerically. */
  async #versionNumbers(name: string): Promise<string[]> {
    await this.#requireModel(name);
    const versions: string[] = [];
    for await (const entry of Deno.readDir(this.#path(name))) {
      if (entry.isDirectory && isVersionNumber(entry.name)) versions.push(entry.name);
    }
    return versions.sort((a, b) => Number(a) - Number(b));
  }

  async #requireModel(name: string): Promise<void> {
    checkModelName(name);
    try {
      const info = await Deno.stat(this.#path(name));
      if (info.isDirectory) return;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        throw this.#unavailable(`read model '${name}'`, error);
      }
    }
    throw new RegistryError("model_not_found", `Model not found '${name}'`);
  }

  #path(...parts: string[]): string {
    return [this.root, ...parts].join("/");
  }

  #unavailable(what: string, cause: unknown): RegistryError {
    if (cause instanceof RegistryError) return cause;
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new RegistryError(
      "registry_unavailable",
      `Cannot ${what} in local registry '${this.root}': ${reason}`,
      { cause },
    );
  }
}

function aliasesOf(aliases: Record<string, string>, version: string): string[] {
  return Object.entries(aliases).filter(([, v]) => v === version).map(([a]) => a).sort();
}

function isNotEmpty(error: unknown): boolean {
  return error instanceof Error && /not empty|ENOTEMPTY|os error 39/i.test(error.message);
}

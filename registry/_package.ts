/**
 * Helpers shared by registry adapters: hashing, manifest parsing and the
 * checks every adapter runs before storing or after loading a package.
 *
 * @module
 */
import { type ModelManifest, ModelManifestSchema } from "../schemas/manifest.ts";
import { toFieldIssues } from "../schemas/config.ts";
import { RegistryError } from "./errors.ts";
import type { ModelPackage } from "./port.ts";
import { sha256Hex } from "../pipeline/sha256.ts";

/** Aliases that could be confused with a version selector are refused. */
const ALIAS_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,254}$/;

/** Throws `invalid_request` unless `alias` is a usable alias name. */
export function checkAliasName(name: string, alias: string): void {
  if (!ALIAS_PATTERN.test(alias) || alias === "latest" || /^v\d+$/.test(alias)) {
    throw new RegistryError(
      "invalid_request",
      `Cannot set alias of model '${name}': alias name is not allowed '${alias}'`,
    );
  }
}

/** Throws `invalid_request` unless `name` is a valid model name. */
export function checkModelName(name: string): void {
  if (!/^[A-Za-z0-9_.-]{1,100}$/.test(name) || name.startsWith(".")) {
    throw new RegistryError("invalid_request", `Invalid model name '${name}'`);
  }
}

/**
 * Parses manifest JSON (text or value) with `ModelManifestSchema`, or throws
 * `artifact_invalid` naming the model, version and every bad field.
 */
export function parseManifest(raw: unknown, what: string): ModelManifest {
  let value = raw;
  if (typeof raw === "string" || raw instanceof Uint8Array) {
    const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw);
    try {
      value = JSON.parse(text);
    } catch (cause) {
      throw new RegistryError("artifact_invalid", `Cannot load ${what}: manifest is not JSON`, {
        cause,
      });
    }
  }
  const result = ModelManifestSchema.safeParse(value);
  if (!result.success) {
    const issues = toFieldIssues(result.error, "manifest");
    throw new RegistryError(
      "artifact_invalid",
      `Cannot load ${what}: manifest is invalid (${
        issues.map((i) => `${i.path}: ${i.message}`).join("; ")
      })`,
      { details: issues },
    );
  }
  return result.data;
}

/**
 * Checks a package before it is stored: valid manifest, name as expected,
 * sha256 of the bytes equal to `manifest.sha256`. Returns the parsed manifest.
 */
export async function checkIncomingPackage(pkg: ModelPackage): Promise<ModelManifest> {
  const manifest = parseManifest(pkg.manifest, `model '${pkg.manifest?.name}' for registration`);
  if (!(pkg.onnx instanceof Uint8Array) || pkg.onnx.byteLength === 0) {
    throw new RegistryError(
      "artifact_invalid",
      `Cannot register model '${manifest.name}': model.onnx is empty`,
    );
  }
  if (await sha256Hex(pkg.onnx) !== manifest.sha256) {
    throw new RegistryError(
      "artifact_corrupt",
      `Cannot register model '${manifest.name}': artifact sha256 does not match`,
    );
  }
  return manifest;
}

/**
 * Checks a package after it is loaded: the manifest parses, names the
 * expected model and version, and the bytes hash to `manifest.sha256`.
 */
export async function checkLoadedPackage(
  name: string,
  version: string,
  manifestRaw: unknown,
  onnx: Uint8Array,
): Promise<ModelPackage> {
  const what = `model '${name}' version ${version}`;
  const manifest = parseManifest(manifestRaw, what);
  if (manifest.name !== name) {
    throw new RegistryError(
      "artifact_invalid",
      `Cannot load ${what}: manifest names another model '${manifest.name}'`,
    );
  }
  if (await sha256Hex(onnx) !== manifest.sha256) {
    throw new RegistryError(
      "artifact_corrupt",
      `Cannot load ${what}: artifact sha256 does not match`,
    );
  }
  return { manifest: { ...manifest, version }, onnx };
}

/** True for a registry version number ("1", "2", ...). */
export function isVersionNumber(selector: string): boolean {
  return /^[1-9]\d*$/.test(selector);
}

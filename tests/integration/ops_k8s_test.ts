/**
 * Parses every Kubernetes manifest under deploy/k8s and checks what a
 * cluster would only tell at apply or run time: kinds, probes, resources,
 * that every ConfigMap/Secret key a pod reads exists, that selectors,
 * autoscalers and budgets point at real Deployments, that overlays patch
 * real objects and that containers run real deno tasks.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { Registry } from "prom-client";
import { createIngestMetrics } from "../../ingest-workers/ingest_metrics.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const K8S = `${ROOT}deploy/k8s/`;

// deno-lint-ignore no-explicit-any
type Obj = Record<string, any>;
interface Doc {
  file: string;
  obj: Obj;
}

const KINDS = new Set([
  "Deployment",
  "Service",
  "ConfigMap",
  "HorizontalPodAutoscaler",
  "PodDisruptionBudget",
  "Namespace",
  "Kustomization",
]);
const WORKERS = ["kafka", "kinesis", "pubsub", "http"].map((s) => `ingest-${s}`);
const DEPLOYMENTS = [...WORKERS, "registry-sync", "feature-api"];
const SECRET_LIKE = /TOKEN|PASSWORD|SECRET|API_KEYS|ACCESS_KEY|DATABASE_URL|REDIS_URL/;

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}${e.name}`;
    if (e.isDirectory) out.push(...await yamlFiles(`${path}/`));
    else if (/\.ya?ml$/.test(e.name)) out.push(path);
  }
  return out.sort();
}

async function load(dir: string): Promise<Doc[]> {
  const docs: Doc[] = [];
  for (const file of await yamlFiles(dir)) {
    for (const d of parseAllDocuments(await Deno.readTextFile(file))) {
      assert.equal(d.errors.length, 0, `${file}: ${d.errors.map((e) => e.message).join("; ")}`);
      const obj = d.toJS();
      if (obj !== null) docs.push({ file: file.slice(K8S.length), obj });
    }
  }
  return docs;
}

const all = await load(K8S);
const isBase = (d: Doc) => d.file.startsWith("base/");
const manifests = all.filter((d) => !d.file.endsWith("secret-keys.yaml"));
const base = manifests.filter(isBase);
const byKind = (docs: Doc[], kind: string) => docs.filter((d) => d.obj.kind === kind);
const deployments = byKind(base, "Deployment");
const deployment = (name: string) => deployments.find((d) => d.obj.metadata.name === name)?.obj;
const secretKeys: Record<string, Record<string, string>> =
  all.find((d) => d.file === "base/secret-keys.yaml")!.obj.secrets;
const configMaps = new Map<string, Set<string>>(
  byKind(base, "ConfigMap").map((d) => [d.obj.metadata.name, new Set(Object.keys(d.obj.data))]),
);
const tasks = new Set(Object.keys(JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks));

function containers(dep: Obj): Obj[] {
  return dep.spec.template.spec.containers;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

Deno.test("k8s manifests parse and use only the expected kinds", () => {
  assert.ok(manifests.length > 20, `only ${manifests.length} documents`);
  for (const { file, obj } of manifests) {
    assert.ok(KINDS.has(obj.kind), `${file}: unexpected kind ${obj.kind}`);
    if (obj.kind !== "Kustomization") assert.ok(obj.metadata?.name, `${file}: no metadata.name`);
  }
  assert.deepEqual(deployments.map((d) => d.obj.metadata.name).sort(), [...DEPLOYMENTS].sort());
});

Deno.test("k8s secrets are referenced, never declared or inlined", () => {
  for (const { file, obj } of all) {
    assert.notEqual(obj.kind, "Secret", `${file} declares a Secret`);
    if (obj.kind !== "Deployment") continue;
    for (const c of obj.spec?.template?.spec?.containers ?? []) {
      for (const e of c.env ?? []) {
        if (SECRET_LIKE.test(e.name)) {
          assert.equal(e.value, undefined, `${file}: ${e.name} is inlined, use secretKeyRef`);
        }
      }
    }
  }
  for (const [name, keys] of configMaps) {
    for (const key of keys) assert.ok(!SECRET_LIKE.test(key), `ConfigMap ${name} holds ${key}`);
  }
});

Deno.test("k8s deployments have probes on /health and /ready, resources and real tasks", () => {
  for (const name of DEPLOYMENTS) {
    const dep = deployment(name)!;
    assert.ok(matches(dep.spec.selector.matchLabels, dep.spec.template.metadata.labels), name);
    for (const c of containers(dep)) {
      const ports = new Set((c.ports ?? []).map((p: Obj) => p.name));
      assert.equal(c.livenessProbe?.httpGet?.path, "/health", `${name} liveness`);
      assert.equal(c.readinessProbe?.httpGet?.path, "/ready", `${name} readiness`);
      for (const probe of [c.livenessProbe, c.readinessProbe]) {
        assert.ok(ports.has(probe.httpGet.port), `${name}: probe port ${probe.httpGet.port}`);
      }
      for (const kind of ["requests", "limits"]) {
        assert.ok(c.resources?.[kind]?.cpu, `${name}: no cpu ${kind}`);
        assert.ok(c.resources?.[kind]?.memory, `${name}: no memory ${kind}`);
      }
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, name);
      if (c.name === "proxy") continue; // the slow-client sidecar, checked below
      assert.deepEqual(c.command.slice(0, 2), ["deno", "task"], `${name}: command`);
      assert.ok(tasks.has(c.command[2]), `${name}: deno task ${c.command[2]} is not in deno.json`);
    }
  }
  for (const name of WORKERS) {
    const env = containers(deployment(name)!)[0].env as Obj[];
    const source = env.find((e) => e.name === "INGEST_SOURCE")?.value;
    assert.equal(`ingest-${source}`, name, `${name} runs INGEST_SOURCE=${source}`);
  }
});

Deno.test("k8s every referenced ConfigMap and Secret key exists", () => {
  let checked = 0;
  for (const { file, obj } of byKind(all, "Deployment")) {
    const spec = obj.spec?.template?.spec;
    for (const c of spec?.containers ?? []) {
      for (const e of c.env ?? []) {
        const cm = e.valueFrom?.configMapKeyRef;
        const sec = e.valueFrom?.secretKeyRef;
        if (cm) {
          assert.ok(
            configMaps.get(cm.name)?.has(cm.key),
            `${file}: ConfigMap ${cm.name}/${cm.key}`,
          );
          checked++;
        }
        if (sec) {
          assert.ok(secretKeys[sec.name]?.[sec.key], `${file}: Secret ${sec.name}/${sec.key}`);
          checked++;
        }
      }
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef) {
          assert.ok(configMaps.has(from.configMapRef.name), `${file}: ${from.configMapRef.name}`);
        }
        if (from.secretRef) assert.ok(secretKeys[from.secretRef.name], `${file}: secretRef`);
        checked++;
      }
    }
    for (const v of spec?.volumes ?? []) {
      if (v.secret) {
        for (const item of v.secret.items ?? []) {
          assert.ok(secretKeys[v.secret.secretName]?.[item.key], `${file}: ${item.key}`);
          checked++;
        }
      }
    }
  }
  assert.ok(checked >= 20, `only ${checked} references checked`);
  // Overlays may change values, never invent ConfigMaps or keys the base lacks.
  for (const { file, obj } of byKind(manifests.filter((d) => !isBase(d)), "ConfigMap")) {
    for (const key of Object.keys(obj.data)) {
      assert.ok(
        configMaps.get(obj.metadata.name)?.has(key),
        `${file}: ${obj.metadata.name}/${key}`,
      );
    }
  }
});

Deno.test("k8s services, budgets and autoscalers select real deployments", async () => {
  for (const name of DEPLOYMENTS) {
    const dep = deployment(name)!;
    const podLabels = dep.spec.template.metadata.labels;
    const svc = byKind(base, "Service").find((d) => d.obj.metadata.name === name)?.obj;
    assert.ok(svc && matches(svc.spec.selector, podLabels), `${name}: no Service selecting it`);
    const ports = new Set(containers(dep).flatMap((c) => c.ports.map((p: Obj) => p.name)));
    for (const p of svc.spec.ports) assert.ok(ports.has(p.targetPort), `${name}: ${p.targetPort}`);
    const pdb = byKind(base, "PodDisruptionBudget").find((d) =>
      matches(d.obj.spec.selector.matchLabels, podLabels)
    );
    assert.ok(pdb, `${name}: no PodDisruptionBudget`);
  }
  const registry = new Registry();
  createIngestMetrics(registry);
  const ingestNames = new Set(registry.getMetricsAsArray().map((m) => m.name));
  const hpas = byKind(base, "HorizontalPodAutoscaler");
  for (const name of WORKERS) {
    const hpa = hpas.find((d) => d.obj.spec.scaleTargetRef.name === name)?.obj;
    assert.ok(hpa, `${name}: no HorizontalPodAutoscaler`);
    assert.ok(deployment(hpa.spec.scaleTargetRef.name), name);
    assert.ok(hpa.spec.minReplicas <= hpa.spec.maxReplicas, name);
    if (name === "ingest-http") continue;
    const external = hpa.spec.metrics.find((m: Obj) => m.type === "External");
    assert.ok(external, `${name}: does not scale on consumer lag`);
    const metric = external.external.metric.name as string;
    if (metric.startsWith("ingest_")) {
      assert.ok(ingestNames.has(metric), `${name}: ${metric} is not an ingest metric`);
    }
  }
  // Prometheus in the cluster finds pods through these Services' SRV records.
  const prom = await Deno.readTextFile(
    `${ROOT}deploy/monitoring/prometheus/prometheus.kubernetes.yml`,
  );
  const names = [...prom.matchAll(/_http\._tcp\.([a-z-]+)\.ml-platform\.svc/g)].map((m) => m[1]);
  assert.deepEqual(names.sort(), [...DEPLOYMENTS].sort());
});

Deno.test("k8s kustomizations list existing files and overlays patch existing objects", async () => {
  const exists = async (path: string) => {
    try {
      await Deno.stat(path);
      return true;
    } catch {
      return false;
    }
  };
  const key = (o: Obj) => `${o.kind}/${o.metadata.name}`;
  const baseObjects = new Map(
    base.filter((d) => d.obj.metadata).map((d) => [key(d.obj), d.obj]),
  );
  for (const { file, obj } of byKind(all, "Kustomization")) {
    const dir = `${K8S}${file.slice(0, file.lastIndexOf("/") + 1)}`;
    for (const r of obj.resources ?? []) assert.ok(await exists(`${dir}${r}`), `${file}: ${r}`);
    for (const p of obj.patches ?? []) {
      assert.ok(await exists(`${dir}${p.path}`), `${file}: ${p.path}`);
      const patchFile = `${file.slice(0, file.lastIndexOf("/") + 1)}${p.path}`;
      for (const d of all.filter((x) => x.file === patchFile)) {
        const target = baseObjects.get(key(d.obj));
        assert.ok(target, `${patchFile}: patches ${key(d.obj)}, which the base lacks`);
        for (const c of d.obj.spec?.template?.spec?.containers ?? []) {
          assert.ok(
            containers(target).some((t) => t.name === c.name),
            `${patchFile}: container ${c.name} of ${key(d.obj)}`,
          );
        }
      }
    }
    if (file.startsWith("overlays/")) {
      assert.ok(obj.namespace, `${file}: no namespace`);
      assert.ok(obj.images?.[0]?.newTag, `${file}: no image tag`);
    }
  }
  assert.deepEqual(
    byKind(all, "Kustomization").map((d) => d.file).sort(),
    [
      "base/kustomization.yaml",
      "overlays/production/kustomization.yaml",
      "overlays/staging/kustomization.yaml",
    ],
  );
});

Deno.test("k8s pods that take traffic sit behind the slow-client proxy of deploy/proxy", async () => {
  const proxy = byKind(base, "ConfigMap").find((d) => d.obj.metadata.name === "proxy-config")!.obj;
  const shipped = await Deno.readTextFile(`${ROOT}deploy/proxy/timeouts.conf`);
  assert.equal(
    proxy.data["timeouts.conf"],
    shipped,
    "the sidecar's timeouts differ from compose's",
  );
  const services = byKind(base, "Service");
  for (const name of ["ingest-http", "feature-api", "registry-sync"]) {
    const dep = deployment(name)!;
    const sidecar = containers(dep).find((c) => c.name === "proxy");
    assert.ok(sidecar, `${name} has no proxy sidecar`);
    const conf = `${name}.conf`;
    assert.ok(proxy.data[conf], `proxy-config has no ${conf}`);
    assert.ok(sidecar.command.includes(`/etc/nginx/rtml/${conf}`), `${name}: ${sidecar.command}`);
    const app = containers(dep).find((c) => c.name !== "proxy")!;
    const appPort = app.ports.find((p: Obj) => p.name === "http").containerPort;
    assert.match(proxy.data[conf], new RegExp(`proxy_pass http://127\\.0\\.0\\.1:${appPort};`));
    assert.match(proxy.data[conf], /include \/etc\/nginx\/rtml\/timeouts\.conf;/);
    const svc = services.find((d) => d.obj.metadata.name === name)!.obj;
    assert.deepEqual(svc.spec.ports.map((p: Obj) => p.targetPort), ["public"], `${name} Service`);
  }
});

import assert from "node:assert/strict";
import { ONLINE_CAS_SCRIPT } from "../../pipeline/online/mod.ts";
import { POINTER_CAS_SCRIPT } from "../../registry/store/mod.ts";
import { checkCommand, CommandRefusedError, type GatewayRole } from "./roles.ts";

const refused = (role: GatewayRole, ...args: string[]) =>
  assert.throws(() => checkCommand(role, args), CommandRefusedError, `${role}: ${args.join(" ")}`);
const allowed = (role: GatewayRole, ...args: string[]) => checkCommand(role, args);

/** What no role may run: the commands the review found open. */
const DANGEROUS = [
  ["CONFIG", "GET", "requirepass"],
  ["config", "set", "requirepass", "x"],
  ["FLUSHALL"],
  ["flushdb"],
  ["ACL", "LIST"],
  ["REPLICAOF", "evil", "6379"],
  ["SLAVEOF", "evil", "6379"],
  ["EVAL", "return redis.call('FLUSHALL')", "0"],
  ["EVALSHA", "abc", "0"],
  ["SCRIPT", "FLUSH"],
  ["FUNCTION", "FLUSH"],
  ["KEYS", "*"],
  ["DEBUG", "SLEEP", "10"],
  ["MODULE", "LOAD", "/tmp/x.so"],
  ["SHUTDOWN"],
  ["INFO"],
  ["MIGRATE", "h", "1", "k", "0", "1"],
];

Deno.test("checkCommand() refuses server, ACL, scripting and keyspace commands to every role", () => {
  for (const role of ["edge", "worker", "admin", "data"] as const) {
    for (const cmd of DANGEROUS) refused(role, ...cmd);
  }
});

Deno.test("checkCommand() lets the edge read features and pointers and count rollouts, nothing more", () => {
  allowed("edge", "mget", "fv:transactions:v1:u1", "fv:transactions:v1:u2");
  allowed("edge", "get", "model:pointer:fraud_detector");
  allowed("edge", "GET", "model:blob:" + "a".repeat(64));
  allowed("edge", "hincrby", "rollout:fraud_detector:champion:1", "requests", "3");
  allowed("edge", "expire", "rollout:fraud_detector:champion:1", "3600");
  refused("edge", "set", "model:pointer:fraud_detector", "{}");
  refused("edge", "eval", POINTER_CAS_SCRIPT, "1", "model:pointer:fraud_detector", "", "{}");
  refused("edge", "set", "fv:transactions:v1:u1", "{}");
  refused("edge", "del", "fv:transactions:v1:u1");
  refused("edge", "get", "session:secret");
  refused("edge", "mget", "fv:transactions:v1:u1", "other:key");
  refused("edge", "hincrby", "fv:transactions:v1:u1", "x", "1");
  refused("edge", "expire", "model:pointer:fraud_detector", "1");
});

Deno.test("checkCommand() lets workers write features only, with the pipeline's script only", () => {
  allowed("worker", "mget", "fv:transactions:v1:u1");
  allowed("worker", "set", "fv:transactions:v1:u1", "{}", "ex", "60");
  allowed("worker", "del", "fv:transactions:v1:u1");
  allowed("worker", "eval", ONLINE_CAS_SCRIPT, "1", "fv:transactions:v1:u1", "60", "", "{}");
  refused("worker", "eval", ONLINE_CAS_SCRIPT, "1", "model:pointer:m", "60", "", "{}");
  refused("worker", "eval", POINTER_CAS_SCRIPT, "1", "fv:transactions:v1:u1", "", "{}");
  refused("worker", "eval", ONLINE_CAS_SCRIPT, "5", "fv:a");
  refused("worker", "get", "model:pointer:m");
  refused("worker", "set", "model:pointer:m", "{}");
  refused("worker", "hincrby", "rollout:m:champion:1", "requests", "1");
});

Deno.test("checkCommand() lets the admin role write pointers and blobs and read counters only", () => {
  allowed("admin", "get", "model:pointer:m");
  allowed("admin", "set", "model:blob:abc", "AAAA", "NX");
  allowed("admin", "eval", POINTER_CAS_SCRIPT, "1", "model:pointer:m", "", "{}");
  allowed("admin", "expire", "model:blob:abc", "600");
  allowed("admin", "persist", "model:blob:abc");
  allowed("admin", "exists", "model:blob:abc");
  allowed("admin", "hgetall", "rollout:m:champion:1");
  refused("admin", "mget", "fv:transactions:v1:u1");
  refused("admin", "set", "fv:transactions:v1:u1", "{}");
  refused("admin", "del", "model:pointer:m");
  refused("admin", "eval", ONLINE_CAS_SCRIPT, "1", "model:pointer:m", "60", "", "{}");
  refused("admin", "hincrby", "rollout:m:champion:1", "requests", "1");
});

Deno.test("checkCommand() gives the data role the data commands on any key", () => {
  allowed("data", "set", "any:key", "v");
  allowed("data", "hgetall", "h");
  allowed("data", "lpush", "l", "x");
  allowed("data", "eval", POINTER_CAS_SCRIPT, "1", "any", "", "v");
  refused("data", "eval", "return 1", "0");
  refused("data", "definitely_not_a_command");
});

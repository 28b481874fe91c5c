/**
 * Least privilege at the gateway: each token has a role, and each role an
 * allow-list of commands, each command limited to the key prefixes of
 * `schemas/pointer.ts` it needs. Anything not listed is refused with a 403
 * before it reaches Redis, so a leaked edge token cannot read the Redis
 * password (`CONFIG GET`), flush, run Lua, list keys or move a model
 * pointer.
 *
 * | role     | held by                          | may                                                                                   |
 * | -------- | -------------------------------- | ------------------------------------------------------------------------------------- |
 * | `edge`   | every edge isolate               | read online features, model pointers and blobs; increment and expire rollout counters |
 * | `worker` | ingest workers, features API, backfill | read, write and delete online features (the compare-and-set script included)      |
 * | `admin`  | registry sync worker, model CLI  | read and write pointers and blobs (the pointer script included), read rollout counters |
 * | `data`   | tests and generic Upstash use    | the data commands on any key and the platform's two scripts; no server, ACL or scripting commands, no `KEYS` |
 *
 * @module
 */
import { ONLINE_CAS_SCRIPT } from "../../pipeline/online/mod.ts";
import { POINTER_CAS_SCRIPT } from "../../registry/store/mod.ts";
import { PlatformError } from "../../schemas/errors.ts";
import { redisKeyPrefixes as P } from "../../schemas/pointer.ts";

/** The roles a gateway token can have. */
export const GATEWAY_ROLES = ["edge", "worker", "admin", "data"] as const;
/** One of {@linkcode GATEWAY_ROLES}. */
export type GatewayRole = typeof GATEWAY_ROLES[number];

/** Where a command's keys are among its arguments. */
type KeyArgs =
  | "none" // no key (PING)
  | "first" // the first argument (GET k, SET k v, HINCRBY k f n)
  | "all" // every argument (MGET k1 k2, DEL k1 k2)
  | "eval"; // EVAL script numkeys k1 .. kn args...

/** What a role may do with one command. */
interface Rule {
  keys: KeyArgs;
  /** Allowed key prefixes; absent: any key. */
  prefixes?: readonly string[];
  /** For EVAL: the exact scripts allowed. */
  scripts?: readonly string[];
}

/** A command refused for a role (the gateway answers 403). */
export class CommandRefusedError extends PlatformError {
  constructor(message: string) {
    super("command_refused", message);
  }
}

const SCRIPTS = [ONLINE_CAS_SCRIPT, POINTER_CAS_SCRIPT];

const PING: Rule = { keys: "none" };

/** The data commands of the `data` role (any key; no server, ACL, scripting or KEYS). */
const DATA_COMMANDS: Record<KeyArgs, string[]> = {
  none: ["ping", "echo"],
  first: [
    ...["get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "append"],
    ...["strlen", "incr", "incrby", "incrbyfloat", "decr", "decrby", "getrange", "setrange"],
    ...["expire", "expireat", "pexpire", "pexpireat", "ttl", "pttl", "persist", "type"],
    ...["hget", "hset", "hsetnx", "hmget", "hmset", "hgetall", "hdel", "hexists", "hincrby"],
    ...["hincrbyfloat", "hkeys", "hvals", "hlen", "hstrlen", "hscan"],
    ...["lpush", "rpush", "lpushx", "rpushx", "lpop", "rpop", "lrange", "llen", "lindex"],
    ...["lset", "lrem", "ltrim", "linsert", "lpos"],
    ...["sadd", "srem", "smembers", "sismember", "smismember", "scard", "spop", "srandmember"],
    ...["sscan", "zadd", "zrem", "zrange", "zrangebyscore", "zrevrange", "zrevrangebyscore"],
    ...["zscore", "zincrby", "zcard", "zcount", "zrank", "zrevrank", "zpopmin", "zpopmax"],
    ...["zremrangebyrank", "zremrangebyscore", "zmscore", "zscan"],
    ...["xadd", "xrange", "xrevrange", "xlen", "xdel", "xtrim", "pfadd", "pfcount"],
    ...["setbit", "getbit", "bitcount", "bitpos"],
  ],
  all: ["mget", "del", "unlink", "exists", "touch", "blpop", "brpop"],
  eval: ["eval"],
};

function dataRules(): Record<string, Rule> {
  const rules: Record<string, Rule> = {};
  for (const [keys, names] of Object.entries(DATA_COMMANDS) as [KeyArgs, string[]][]) {
    for (const name of names) rules[name] = { keys };
  }
  rules.eval = { keys: "eval", scripts: SCRIPTS };
  return rules;
}

/** The allow-list of each role: command (lower case) → rule. */
export const ROLE_RULES: Readonly<Record<GatewayRole, Readonly<Record<string, Rule>>>> = {
  edge: {
    ping: PING,
    get: { keys: "first", prefixes: [P.pointer, P.blob, P.online] },
    mget: { keys: "all", prefixes: [P.online, P.pointer, P.blob] },
    strlen: { keys: "first", prefixes: [P.blob] },
    hincrby: { keys: "first", prefixes: [P.rollout] },
    expire: { keys: "first", prefixes: [P.rollout] },
  },
  worker: {
    ping: PING,
    get: { keys: "first", prefixes: [P.online] },
    mget: { keys: "all", prefixes: [P.online] },
    set: { keys: "first", prefixes: [P.online] },
    del: { keys: "all", prefixes: [P.online] },
    eval: { keys: "eval", prefixes: [P.online], scripts: [ONLINE_CAS_SCRIPT] },
  },
  admin: {
    ping: PING,
    get: { keys: "first", prefixes: [P.pointer, P.blob] },
    mget: { keys: "all", prefixes: [P.pointer, P.blob] },
    set: { keys: "first", prefixes: [P.pointer, P.blob] },
    eval: { keys: "eval", prefixes: [P.pointer], scripts: [POINTER_CAS_SCRIPT] },
    expire: { keys: "first", prefixes: [P.pointer, P.blob] },
    persist: { keys: "first", prefixes: [P.pointer, P.blob] },
    exists: { keys: "all", prefixes: [P.pointer, P.blob] },
    hgetall: { keys: "first", prefixes: [P.rollout] },
  },
  data: dataRules(),
};

function keysOf(rule: Rule, args: readonly string[], name: string): readonly string[] {
  switch (rule.keys) {
    case "none":
      return [];
    case "first":
      if (args.length < 2) throw new CommandRefusedError(`ERR command '${name}' needs a key`);
      return [args[1]];
    case "all":
      return args.slice(1);
    case "eval": {
      const n = Number(args[2]);
      if (!Number.isInteger(n) || n < 0 || 3 + n > args.length) {
        throw new CommandRefusedError("ERR EVAL needs a valid number of keys");
      }
      return args.slice(3, 3 + n);
    }
  }
}

/**
 * Throws {@linkcode CommandRefusedError} unless `role` may run `args`
 * (command name first, already stringified).
 */
export function checkCommand(role: GatewayRole, args: readonly string[]): void {
  const name = args[0].toLowerCase();
  const rule = ROLE_RULES[role][name];
  if (rule === undefined) {
    throw new CommandRefusedError(
      `ERR command '${args[0].slice(0, 40)}' is not allowed for the ${role} token`,
    );
  }
  if (rule.scripts && !rule.scripts.includes(args[1] ?? "")) {
    throw new CommandRefusedError(`ERR this script is not allowed for the ${role} token`);
  }
  const prefixes = rule.prefixes;
  if (!prefixes) return;
  for (const key of keysOf(rule, args, name)) {
    if (!prefixes.some((p) => key.startsWith(p))) {
      throw new CommandRefusedError(
        `ERR key '${key.slice(0, 100)}' is not allowed for '${name}' with the ${role} token`,
      );
    }
  }
}

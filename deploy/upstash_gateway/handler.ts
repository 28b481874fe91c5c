/**
 * The HTTP side of the gateway: Upstash REST requests (`POST /`,
 * `/pipeline`, `/multi-exec`, and path-style `/<command>/<arg>...`) turned
 * into Redis commands, with Bearer auth (one token per role, see
 * `roles.ts`), every command checked against the role's allow-list before
 * any is sent, bodies read within the size limit and a deadline (chunked
 * and path-style included), and JSON errors for every status.
 *
 * @module
 */
import { BodyReader, constantTimeEqual } from "../../pipeline/http_guard.ts";
import { PlatformError } from "../../schemas/errors.ts";
import { type Reply, ReplyError } from "./_codec.ts";
import { toUpstashEntry, toUpstashResult } from "./encoding.ts";
import { BadRequestError, RedisUnavailableError } from "./errors.ts";
import type { RedisConnection } from "./redis.ts";
import { checkCommand, CommandRefusedError, type GatewayRole } from "./roles.ts";

/** What the handler needs. */
export interface GatewayDeps {
  /** The shared pipelined connection. */
  redis: RedisConnection;
  /** Opens a dedicated connection, used for blocking commands and then closed. */
  dedicated: () => RedisConnection;
  /** The Bearer token of each enabled role (roles without one cannot be used). */
  tokens: Partial<Record<GatewayRole, string>>;
  /** Largest body accepted, in bytes. */
  maxBodyBytes: number;
  /** Longest time to receive a body, ms (default 10 000). */
  bodyTimeoutMs?: number;
  /** Accept the token as `?_token=` (it then lands in access logs; default false). */
  allowQueryToken?: boolean;
}

/** The routes of the gateway, for the authorisation matrix; path style is `/<command>/...`. */
export const GATEWAY_ROUTES = [
  { method: "POST", path: "/" },
  { method: "POST", path: "/pipeline" },
  { method: "POST", path: "/multi-exec" },
  { method: "GET", path: "/:command/*" },
  { method: "POST", path: "/:command/*" },
] as const;

/** Commands that would change or block the shared connection's state. */
const REFUSED = new Set([
  "auth",
  "client",
  "discard",
  "exec",
  "hello",
  "monitor",
  "multi",
  "psubscribe",
  "psync",
  "punsubscribe",
  "quit",
  "reset",
  "select",
  "shutdown",
  "ssubscribe",
  "subscribe",
  "sunsubscribe",
  "sync",
  "unsubscribe",
  "unwatch",
  "watch",
]);

const BLOCKING = new Set([
  "blmove",
  "blmpop",
  "blpop",
  "brpop",
  "brpoplpush",
  "bzmpop",
  "bzpopmax",
  "bzpopmin",
  "wait",
  "waitaof",
]);

const JSON_HEADERS = { "content-type": "application/json" };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

function errorResponse(message: string, status: number): Response {
  return json({ error: message }, status);
}

/** Validates one command array and stringifies its arguments. */
export function parseCommand(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequestError("ERR command must be a non-empty JSON array");
  }
  const args = new Array<string>(value.length);
  for (let i = 0; i < value.length; i++) {
    const v = value[i];
    if (typeof v === "string") args[i] = v;
    else if (typeof v === "number" || typeof v === "boolean") args[i] = String(v);
    else throw new BadRequestError(`ERR argument ${i} of the command must be a string or number`);
  }
  const name = args[0].toLowerCase();
  if (REFUSED.has(name)) throw new BadRequestError(`ERR command '${args[0]}' is not supported`);
  return args;
}

function isBlocking(cmd: string[]): boolean {
  const name = cmd[0].toLowerCase();
  if (BLOCKING.has(name)) return true;
  return (name === "xread" || name === "xreadgroup") &&
    cmd.some((a) => a.toLowerCase() === "block");
}

function parseCommands(value: unknown): string[][] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadRequestError("ERR body must be a non-empty JSON array of commands");
  }
  return value.map(parseCommand);
}

async function readJson(req: Request, bodies: BodyReader): Promise<unknown> {
  const text = await bodies.text(req);
  try {
    return JSON.parse(text);
  } catch {
    throw new BadRequestError("ERR failed to parse the request body as JSON");
  }
}

/** Statuses of the body guard's errors. */
const GUARD_STATUS: Record<string, number> = {
  payload_too_large: 413,
  request_timeout: 408,
  bad_request: 400,
};

/** The path of an absolute URL without building a URL object (hot path). */
function pathOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return "/";
  const q = url.indexOf("?", start);
  return q < 0 ? url.slice(start) : url.slice(start, q);
}

/** Builds the request handler for `Deno.serve`. */
export function createGatewayHandler(deps: GatewayDeps): (req: Request) => Promise<Response> {
  const tokens = Object.entries(deps.tokens).filter(([, t]) => t) as [GatewayRole, string][];
  const bodies = new BodyReader({ maxBytes: deps.maxBodyBytes, timeoutMs: deps.bodyTimeoutMs });

  /** The role of the request's token, or null. Every token is compared (constant time). */
  const roleOf = (req: Request): GatewayRole | null => {
    const header = req.headers.get("authorization");
    let given: string | null = null;
    if (header !== null && header.startsWith("Bearer ")) given = header.slice(7);
    else if (deps.allowQueryToken && req.url.includes("_token=")) {
      given = new URL(req.url).searchParams.get("_token");
    }
    if (!given) return null;
    let role: GatewayRole | null = null;
    for (const [r, token] of tokens) if (constantTimeEqual(given, token)) role = r;
    return role;
  };

  /** Parses then checks every command against the role before any is sent. */
  const allowed = (role: GatewayRole, commands: string[][]): string[][] => {
    for (const cmd of commands) checkCommand(role, cmd);
    return commands;
  };

  const exec = async (commands: string[][]): Promise<Reply[]> => {
    if (!commands.some(isBlocking)) return await deps.redis.send(commands);
    const conn = deps.dedicated();
    try {
      return await conn.send(commands);
    } finally {
      conn.close();
    }
  };

  const route = async (req: Request, path: string, role: GatewayRole): Promise<Response> => {
    const base64 = req.headers.get("upstash-encoding") === "base64";
    if (path === "/") {
      if (req.method !== "POST") return errorResponse("ERR method not allowed", 405);
      const [reply] = await exec(allowed(role, [parseCommand(await readJson(req, bodies))]));
      return reply instanceof ReplyError
        ? errorResponse(reply.message, 400)
        : json({ result: toUpstashResult(reply, base64) });
    }
    if (path === "/pipeline") {
      if (req.method !== "POST") return errorResponse("ERR method not allowed", 405);
      const replies = await exec(allowed(role, parseCommands(await readJson(req, bodies))));
      return json(replies.map((r) => toUpstashEntry(r, base64)));
    }
    if (path === "/multi-exec") {
      if (req.method !== "POST") return errorResponse("ERR method not allowed", 405);
      const commands = allowed(role, parseCommands(await readJson(req, bodies)));
      const replies = await exec([["MULTI"], ...commands, ["EXEC"]]);
      const queued = replies.slice(1, -1).find((r) => r instanceof ReplyError);
      const result = replies[replies.length - 1];
      if (queued instanceof ReplyError) return errorResponse(queued.message, 400);
      if (result instanceof ReplyError) return errorResponse(result.message, 400);
      if (!Array.isArray(result)) return errorResponse("ERR transaction aborted", 400);
      return json(result.map((r) => toUpstashEntry(r, base64)));
    }
    // Path style: /set/key/value, with a POST body as the last argument.
    if (req.method !== "GET" && req.method !== "POST") {
      return errorResponse("ERR method not allowed", 405);
    }
    const args = path.slice(1).split("/").map(decodeURIComponent);
    const command = parseCommand(args);
    // Checked before the body is read: a refused command costs no upload.
    checkCommand(role, command);
    if (req.method === "POST") {
      const body = await bodies.text(req);
      if (body !== "") command.push(body);
    }
    const [reply] = await exec([command]);
    return reply instanceof ReplyError
      ? errorResponse(reply.message, 400)
      : json({ result: toUpstashResult(reply, base64) });
  };

  return async (req: Request): Promise<Response> => {
    const role = roleOf(req);
    if (role === null) return errorResponse("Unauthorized", 401);
    try {
      return await route(req, pathOf(req.url), role);
    } catch (e) {
      if (e instanceof BadRequestError) return errorResponse(e.message, 400);
      if (e instanceof CommandRefusedError) return errorResponse(e.message, 403);
      if (e instanceof RedisUnavailableError) return errorResponse(e.message, 503);
      if (e instanceof PlatformError && e.code in GUARD_STATUS) {
        return errorResponse(`ERR ${e.message}`, GUARD_STATUS[e.code]);
      }
      return errorResponse(`ERR internal error: ${e instanceof Error ? e.message : e}`, 500);
    }
  };
}

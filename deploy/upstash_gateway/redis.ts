/**
 * A small pipelining RESP2 client over one TCP connection.
 *
 * Commands from concurrent HTTP requests are coalesced into one socket write
 * per microtask turn; each `send()` batch is written contiguously, so a
 * `MULTI ... EXEC` batch is never interleaved with another request's
 * commands. Replies are matched to batches in order.
 */
import { encodeCommand, type Reply, ReplyError, ReplyParser } from "./_codec.ts";
import { RedisUnavailableError } from "./errors.ts";

/** Where and how to connect. */
export interface RedisOptions {
  hostname: string;
  port: number;
  username?: string;
  password?: string;
  db?: number;
}

/** Parses `redis://[user:password@]host[:port][/db]`. */
export function parseRedisUrl(url: string): RedisOptions {
  const u = new URL(url);
  if (u.protocol !== "redis:") throw new Error(`Unsupported Redis URL scheme '${u.protocol}'`);
  const db = u.pathname.replace(/^\//, "");
  return {
    hostname: u.hostname.replace(/^\[|\]$/g, "") || "127.0.0.1",
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: db ? Number(db) : undefined,
  };
}

interface Pending {
  count: number;
  replies: Reply[];
  resolve: (replies: Reply[]) => void;
  reject: (error: Error) => void;
}

const encoder = new TextEncoder();

/** One pipelined connection to Redis, (re)connected lazily. */
export class RedisConnection {
  readonly #opts: RedisOptions;
  #conn: Deno.TcpConn | null = null;
  /** Set once the handshake is done: commands may be written. */
  #ready = false;
  #connecting = false;
  #out: string[] = [];
  #flushQueued = false;
  #writing = false;
  #pending: Pending[] = [];
  #head = 0;
  #closed = false;

  constructor(opts: RedisOptions) {
    this.#opts = opts;
  }

  /** Sends a batch of commands and resolves with one reply per command. */
  send(commands: readonly (readonly string[])[]): Promise<Reply[]> {
    if (this.#closed) return Promise.reject(new RedisUnavailableError("connection closed"));
    return new Promise<Reply[]>((resolve, reject) => {
      this.#pending.push({ count: commands.length, replies: [], resolve, reject });
      for (const cmd of commands) encodeCommand(cmd, this.#out);
      if (this.#ready) this.#scheduleFlush();
      else this.#connect();
    });
  }

  /** Closes the socket; pending batches fail. */
  close(): void {
    this.#closed = true;
    this.#drop(new RedisUnavailableError("connection closed"));
  }

  #scheduleFlush(): void {
    if (this.#flushQueued || this.#writing) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  /**
   * Writes everything queued. While a write is in flight, new commands
   * accumulate and go out together in the next write.
   */
  async #flush(): Promise<void> {
    this.#flushQueued = false;
    const conn = this.#conn;
    if (!conn || !this.#ready || this.#writing) return;
    this.#writing = true;
    try {
      while (this.#out.length > 0 && this.#conn === conn) {
        const bytes = encoder.encode(this.#out.join(""));
        this.#out = [];
        await writeAll(conn, bytes);
      }
    } catch (e) {
      this.#drop(new RedisUnavailableError(e instanceof Error ? e.message : String(e), e), conn);
    } finally {
      this.#writing = false;
    }
  }

  #connect(): void {
    if (this.#connecting) return;
    this.#connecting = true;
    (async () => {
      let conn: Deno.TcpConn | undefined;
      try {
        conn = await Deno.connect({ hostname: this.#opts.hostname, port: this.#opts.port });
        conn.setNoDelay(true);
        this.#conn = conn;
        this.#read(conn);
        await this.#handshake(conn);
        this.#ready = true;
        this.#scheduleFlush();
      } catch (e) {
        this.#drop(
          e instanceof RedisUnavailableError ? e : new RedisUnavailableError(
            `cannot connect to ${this.#opts.hostname}:${this.#opts.port}: ${
              e instanceof Error ? e.message : e
            }`,
            e,
          ),
        );
      } finally {
        this.#connecting = false;
      }
    })();
  }

  /** AUTH and SELECT go first, ahead of the commands already queued. */
  async #handshake(conn: Deno.TcpConn): Promise<void> {
    const setup: string[][] = [];
    const { username, password, db } = this.#opts;
    if (password) setup.push(username ? ["AUTH", username, password] : ["AUTH", password]);
    if (db) setup.push(["SELECT", String(db)]);
    if (setup.length === 0) return;
    const out: string[] = [];
    for (const cmd of setup) encodeCommand(cmd, out);
    const done = new Promise<Reply[]>((resolve, reject) => {
      this.#pending.splice(this.#head, 0, { count: setup.length, replies: [], resolve, reject });
    });
    await writeAll(conn, encoder.encode(out.join("")));
    const replies = await done;
    const failed = replies.find((r) => r instanceof ReplyError) as ReplyError | undefined;
    if (failed) throw new RedisUnavailableError(`handshake failed: ${failed.message}`);
  }

  async #read(conn: Deno.TcpConn): Promise<void> {
    const parser = new ReplyParser();
    const buf = new Uint8Array(64 * 1024);
    try {
      while (true) {
        const n = await conn.read(buf);
        if (n === null) break;
        parser.push(buf.subarray(0, n));
        for (let r = parser.next(); r !== undefined; r = parser.next()) this.#deliver(r.value);
      }
      this.#drop(new RedisUnavailableError("connection closed by Redis"), conn);
    } catch (e) {
      this.#drop(new RedisUnavailableError(e instanceof Error ? e.message : String(e), e), conn);
    }
  }

  #deliver(reply: Reply): void {
    const p = this.#pending[this.#head];
    if (!p) return;
    p.replies.push(reply);
    if (p.replies.length < p.count) return;
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#pending.length) {
      this.#pending = this.#pending.slice(this.#head);
      this.#head = 0;
    }
    p.resolve(p.replies);
  }

  /** Fails every pending batch; `from` limits this to the socket that failed. */
  #drop(error: Error, from?: Deno.TcpConn): void {
    if (from !== undefined && from !== this.#conn) return;
    const pending = this.#pending.slice(this.#head);
    this.#pending = [];
    this.#head = 0;
    this.#out = [];
    this.#ready = false;
    const conn = this.#conn;
    this.#conn = null;
    try {
      conn?.close();
    } catch {
      // Already closed.
    }
    for (const p of pending) p.reject(error);
  }
}

async function writeAll(conn: Deno.TcpConn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}

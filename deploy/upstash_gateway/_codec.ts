/**
 * RESP2 encoding of commands and incremental parsing of replies.
 *
 * Bulk replies stay bytes (`Buffer`) so the HTTP layer can emit base64 or
 * UTF-8 without a second copy; error replies become {@linkcode ReplyError}.
 */
import { Buffer } from "node:buffer";

/** An error reply from Redis (`-ERR ...`); a value, not thrown by the parser. */
export class ReplyError {
  constructor(readonly message: string) {}
}

/** A parsed reply: simple string, bulk bytes, integer, null, error or array of replies. */
export type Reply = string | Buffer | number | null | ReplyError | Reply[];

const encoder = new TextEncoder();

function byteLength(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return encoder.encode(s).length;
  }
  return s.length;
}

/** Appends the RESP encoding of one command (already stringified args) to `out`. */
export function encodeCommand(args: readonly string[], out: string[]): void {
  out.push(`*${args.length}\r\n`);
  for (const a of args) out.push(`$${byteLength(a)}\r\n${a}\r\n`);
}

/** Incomplete input: wait for more bytes. */
const MORE = Symbol("more");

/**
 * Incremental reply parser: `push(chunk)` then `next()` until it returns
 * `undefined` (needs more bytes).
 */
export class ReplyParser {
  #buf: Buffer = Buffer.alloc(0);
  #pos = 0;

  /** Adds bytes read from the socket. */
  push(chunk: Uint8Array): void {
    const rest = this.#buf.length - this.#pos;
    if (rest === 0) {
      // Copy: the caller reuses its read buffer.
      this.#buf = Buffer.from(chunk);
    } else {
      const merged = Buffer.allocUnsafe(rest + chunk.byteLength);
      this.#buf.copy(merged, 0, this.#pos);
      merged.set(chunk, rest);
      this.#buf = merged;
    }
    this.#pos = 0;
  }

  /** The next complete reply, or `undefined` when more bytes are needed. */
  next(): { value: Reply } | undefined {
    const start = this.#pos;
    const value = this.#parse();
    if (value === MORE) {
      this.#pos = start;
      return undefined;
    }
    return { value };
  }

  #line(): string | typeof MORE {
    const end = this.#buf.indexOf(13, this.#pos);
    if (end < 0 || end + 1 >= this.#buf.length) return MORE;
    const s = this.#buf.toString("latin1", this.#pos, end);
    this.#pos = end + 2;
    return s;
  }

  #int(): number | typeof MORE {
    // Hot path for lengths and integers, avoids a string per header.
    const buf = this.#buf;
    let i = this.#pos;
    let neg = false;
    if (buf[i] === 45) {
      neg = true;
      i++;
    }
    let n = 0;
    for (; i < buf.length; i++) {
      const c = buf[i];
      if (c === 13) {
        if (i + 1 >= buf.length) return MORE;
        this.#pos = i + 2;
        return neg ? -n : n;
      }
      n = n * 10 + (c - 48);
    }
    return MORE;
  }

  #parse(): Reply | typeof MORE {
    if (this.#pos >= this.#buf.length) return MORE;
    const type = this.#buf[this.#pos++];
    switch (type) {
      case 43: // +
        return this.#line();
      case 45: { // -
        const line = this.#line();
        return line === MORE ? MORE : new ReplyError(line);
      }
      case 58: { // :
        const line = this.#line();
        return line === MORE ? MORE : Number(line);
      }
      case 36: { // $
        const len = this.#int();
        if (len === MORE) return MORE;
        if (len < 0) return null;
        if (this.#pos + len + 2 > this.#buf.length) return MORE;
        const value = Buffer.from(this.#buf.subarray(this.#pos, this.#pos + len));
        this.#pos += len + 2;
        return value;
      }
      case 42: { // *
        const len = this.#int();
        if (len === MORE) return MORE;
        if (len < 0) return null;
        const items: Reply[] = new Array(len);
        for (let i = 0; i < len; i++) {
          const item = this.#parse();
          if (item === MORE) return MORE;
          items[i] = item;
        }
        return items;
      }
      default:
        throw new Error(`Cannot parse Redis reply: unexpected type byte ${type}`);
    }
  }
}

/**
 * The compare-and-set script shared by the Redis and Upstash adapters.
 * KEYS: the keys; ARGV[1]: TTL seconds, then per key the expected revision
 * ("" for an absent key) and the new value. Returns the 1-based indexes of
 * keys whose revision changed (not written).
 *
 * @module
 */

/** Lua source of the per-key compare-and-set. */
export const CAS_SCRIPT = `
local conflicts = {}
for i = 1, #KEYS do
  local expected = ARGV[i * 2]
  local current = redis.call('GET', KEYS[i])
  local rev = ''
  if current then rev = string.match(current, '^{"v":%d+,"rev":(%d+)') or '0' end
  if rev == expected then
    redis.call('SET', KEYS[i], ARGV[i * 2 + 1], 'EX', ARGV[1])
  else
    conflicts[#conflicts + 1] = i
  end
end
return conflicts
`;

/** The script's arguments after KEYS. */
export function casArgs(
  entries: readonly { value: string; expectedRev: number | null }[],
  ttlSeconds: number,
): string[] {
  const args = [String(ttlSeconds)];
  for (const e of entries) args.push(e.expectedRev === null ? "" : String(e.expectedRev), e.value);
  return args;
}

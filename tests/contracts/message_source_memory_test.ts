import { MemorySource } from "../../ingest-workers/memory.ts";
import { messageSourceContract } from "./message_source_contract.ts";

// One MemorySource is the stream: "new consumers" share it, and durability
// across processes does not apply (durable: false skips those two cases).
messageSourceContract("MemorySource", () => {
  const shared = new MemorySource({ maxBatch: 10 });
  return Promise.resolve({
    durable: false,
    source: () => shared,
    publish: (p) => {
      shared.publish(p);
      return Promise.resolve();
    },
    cleanup: () => shared.close(),
  });
});

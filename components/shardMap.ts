/**
 * The shard map the app reads at stage 7: which cluster holds which key. Pure, so the rule is
 * unit-tested and documented once: shard = crc32(UTF-8 key) mod shards of the key's domain.
 */
import { crc32 } from "node:zlib";

export const SHARDING_RULE =
  "shard = crc32(utf8(key)) mod shards; crc32 is the IEEE 802.3 polynomial (zlib, Java CRC32, Python zlib.crc32)";

export interface ShardEndpoint {
  shard: number;
  writer: string;
  reader: string;
}

/**
 * How a secondary region's writes reach the primary: Aurora global write forwarding through the
 * region's own reader endpoint (a secondary cluster has no writer). The app sets `apg_write_forward.consistency_mode` per session (AWS's
 * default, SESSION: a session reads its own forwarded writes).
 */
export interface WriteForwarding {
  consistencyMode: "SESSION" | "EVENTUAL" | "GLOBAL";
}
export const WRITE_FORWARDING: WriteForwarding = { consistencyMode: "SESSION" };

export interface ShardMap {
  rule: string;
  /** Present at the multi-region stage: each `writer` forwards writes when its region is a secondary. */
  writeForwarding?: WriteForwarding;
  /** Region whose endpoints this copy lists (every region has its own copy). */
  region: string;
  domains: Record<string, ShardEndpoint[]>;
}

/** The shard that holds `key` in a domain of `shards` shards. */
export function shardFor(key: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`shards must be a positive whole number, got ${shards}`);
  return crc32(Buffer.from(key, "utf8")) % shards;
}

/**
 * The map one region publishes: for each domain's shards, the endpoint this region writes to and the
 * one it reads from (both this region's own cluster; see WriteForwarding).
 */
export function buildShardMap(
  region: string,
  clusters: { domain: string; shard: number; writer: string; reader: string }[],
  writeForwarding?: WriteForwarding,
): ShardMap {
  const domains: Record<string, ShardEndpoint[]> = {};
  for (const c of clusters) (domains[c.domain] ??= []).push({ shard: c.shard, writer: c.writer, reader: c.reader });
  for (const list of Object.values(domains)) {
    list.sort((a, b) => a.shard - b.shard);
    list.forEach((entry, i) => {
      if (entry.shard !== i) throw new Error(`shard map of ${region}: shards must be numbered 0..n-1, found ${entry.shard} at ${i}`);
    });
  }
  return { rule: SHARDING_RULE, region, ...(writeForwarding ? { writeForwarding } : {}), domains };
}

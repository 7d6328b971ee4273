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

export interface ShardMap {
  rule: string;
  /** Region whose endpoints this copy lists (every region has its own copy). */
  region: string;
  domains: Record<string, ShardEndpoint[]>;
}

/** The shard that holds `key` in a domain of `shards` shards. */
export function shardFor(key: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`shards must be a positive whole number, got ${shards}`);
  return crc32(Buffer.from(key, "utf8")) % shards;
}

export function buildShardMap(region: string, clusters: { domain: string; shard: number; writer: string; reader: string }[]): ShardMap {
  const domains: Record<string, ShardEndpoint[]> = {};
  for (const c of clusters) (domains[c.domain] ??= []).push({ shard: c.shard, writer: c.writer, reader: c.reader });
  for (const list of Object.values(domains)) {
    list.sort((a, b) => a.shard - b.shard);
    list.forEach((entry, i) => {
      if (entry.shard !== i) throw new Error(`shard map of ${region}: shards must be numbered 0..n-1, found ${entry.shard} at ${i}`);
    });
  }
  return { rule: SHARDING_RULE, region, domains };
}

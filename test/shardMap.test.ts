import { strict as assert } from "node:assert";
import { buildShardMap, shardFor, SHARDING_RULE } from "../components/shardMap";

describe("shard map", () => {
  it("maps a key to crc32(key) mod shards, the rule it publishes", () => {
    for (const shards of [1, 2, 3, 4]) {
      for (const key of ["user-1", "user-42", "ünïcode", ""]) {
        const shard = shardFor(key, shards);
        assert.ok(Number.isInteger(shard) && shard >= 0 && shard < shards, `${key} → ${shard} of ${shards}`);
        assert.equal(shardFor(key, shards), shard, "stable for the same key");
      }
    }
    assert.equal(shardFor("anything", 1), 0);
    assert.match(SHARDING_RULE, /crc32/);
  });

  it("spreads keys over every shard", () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardFor(`user-${i}`, 4)]++;
    for (const c of counts) assert.ok(c > 800 && c < 1200, `uneven spread ${counts}`);
  });

  it("agrees with the IEEE CRC-32 check value", () => {
    // The standard check: CRC-32 of "123456789" is 0xCBF43926.
    assert.equal(shardFor("123456789", 0x100000000 - 1), 0xcbf43926 % (0x100000000 - 1));
  });

  it("groups clusters by domain, in shard order, and refuses gaps", () => {
    const map = buildShardMap("eu-west-1", [
      { domain: "users", shard: 1, writer: "w1", reader: "r1" },
      { domain: "users", shard: 0, writer: "w0", reader: "r0" },
      { domain: "orders", shard: 0, writer: "o0", reader: "ro0" },
    ]);
    assert.deepEqual(
      map.domains.users.map((e) => e.writer),
      ["w0", "w1"],
    );
    assert.equal(map.region, "eu-west-1");
    assert.throws(() => buildShardMap("x", [{ domain: "users", shard: 1, writer: "w", reader: "r" }]), /0\.\.n-1/);
    assert.throws(() => shardFor("k", 0));
  });
});

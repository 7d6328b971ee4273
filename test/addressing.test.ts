import { strict as assert } from "node:assert";
import { ipv6SubnetCidr, MIN_DATA_AZS, parseCidr, subnetCidr, SUBNET_TIERS, tierAzCounts } from "../components/addressing";
import { ADDRESS_PLAN_AZ_SLOTS } from "../components/stages";

const inside = (inner: string, outer: string) => {
  const a = parseCidr(inner);
  const b = parseCidr(outer);
  return a.prefix >= b.prefix && a.base >= b.base && a.base + 2 ** (32 - a.prefix) <= b.base + 2 ** (32 - b.prefix);
};
const overlaps = (x: string, y: string) => inside(x, y) || inside(y, x);

describe("VPC address plan", () => {
  for (const vpc of ["10.0.0.0/16", "172.16.0.0/18", "192.168.0.0/20"]) {
    it(`gives every tier and AZ slot of ${vpc} its own block inside the VPC`, () => {
      const all = SUBNET_TIERS.flatMap((tier) => Array.from({ length: ADDRESS_PLAN_AZ_SLOTS }, (_, i) => subnetCidr(vpc, tier, i)));
      assert.equal(new Set(all).size, all.length);
      for (const cidr of all) assert.ok(inside(cidr, vpc), `${cidr} outside ${vpc}`);
      for (let i = 0; i < all.length; i++)
        for (let j = i + 1; j < all.length; j++) assert.ok(!overlaps(all[i], all[j]), `${all[i]} overlaps ${all[j]}`);
    });
  }

  it("does not depend on the AZ count: a subnet's CIDR is a function of tier and slot only", () => {
    // Same inputs, same answer, whatever else is in use: raising the AZ count only adds subnets.
    assert.equal(subnetCidr("10.0.0.0/16", "app", 1), "10.0.80.0/20");
    assert.equal(subnetCidr("10.0.0.0/16", "public", 0), "10.0.0.0/20");
    assert.equal(subnetCidr("10.0.0.0/16", "data", 2), "10.0.160.0/20");
  });

  it("rejects slots outside the plan and misaligned VPC blocks", () => {
    assert.throws(() => subnetCidr("10.0.0.0/16", "app", ADDRESS_PLAN_AZ_SLOTS));
    assert.throws(() => parseCidr("10.0.1.0/16"));
  });

  it("spans data subnets over at least MIN_DATA_AZS AZs, and more when the web tier uses more", () => {
    assert.deepEqual(tierAzCounts(1), { public: 1, app: 1, data: MIN_DATA_AZS });
    assert.deepEqual(tierAzCounts(4), { public: 4, app: 4, data: 4 });
  });

  it("carves public /64s out of the VPC's /56 by slot", () => {
    assert.equal(ipv6SubnetCidr("2600:1f18:abc:7a00::/56", 0), "2600:1f18:abc:7a00::/64");
    assert.equal(ipv6SubnetCidr("2600:1f18:abc:7a00::/56", 2), "2600:1f18:abc:7a02::/64");
  });
});

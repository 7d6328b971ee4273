import * as pulumi from "@pulumi/pulumi";
import { NoSqlTablePlan } from "./plan";
import { globalTable } from "./tables";

export interface NoSqlTablesArgs {
  tables: NoSqlTablePlan[];
  /** Every region the stack runs in except the home region, which owns the tables. */
  replicaRegions: string[];
  protectData: boolean;
}

/**
 * Join-free data moved out of the SQL shards (stage 7): one global DynamoDB table per entry of
 * `nosqlTables`, owned by the home region and replicated to every other region.
 */
export class NoSqlTables extends pulumi.ComponentResource {
  /** Table name in config → table ARN in the home region. */
  readonly tableArns: Record<string, pulumi.Output<string>> = {};
  /** Table name in config → physical table name (the same in every region). */
  readonly tableNames: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: NoSqlTablesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:nosql:NoSqlTables", name, {}, opts);
    const seen = new Set<string>();
    for (const table of args.tables) {
      if (seen.has(table.name)) throw new Error(`NoSqlTables ${name}: table ${table.name} is listed twice`);
      seen.add(table.name);
    }
    for (const table of args.tables) {
      const created = globalTable(
        `nosql-${table.name}`,
        {
          hashKey: table.hashKey,
          rangeKey: table.rangeKey,
          replicaRegions: args.replicaRegions,
          protectData: args.protectData,
          tags: { "scaling:table": table.name },
        },
        { parent: this },
      );
      this.tableArns[table.name] = created.arn;
      this.tableNames[table.name] = created.name;
    }
    this.registerOutputs({ tableArns: this.tableArns });
  }
}

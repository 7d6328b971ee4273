/**
 * What tools/policyRunner.ts shows a policy of a resource, as @pulumi/policy's server.js builds it
 * from the engine's request (`makeAnalyzeRpcFun`, `makeAnalyzeStackRpcFun`,
 * `getProviderResource`, `getResourceOptions`), with its fields made when a policy first reads them.
 */
import type { PolicyResource, PolicyResourceOptions } from "@pulumi/policy";
import type { ResourceRecord } from "./capture";

// The SDK's own proxy: reading an unknown preview value throws UnknownValueError, as in the engine.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownCheckingProxy } = require("@pulumi/policy/proxy");

/** The Pulumi type token of a resource class (what `isType`/`asType` compare). */
function pulumiTypeOf(resourceClass: unknown): string | undefined {
  const cls = resourceClass as { __pulumiType?: string; isInstance?: unknown };
  return cls?.__pulumiType;
}

/**
 * Resource options as @pulumi/policy's server.js `getResourceOptions` builds them from the engine's
 * request, fresh per call as server.js builds them per policy (a policy can't change another's
 * view). `aliases` are the resource's alias URNs, resolved once per run.
 */
function optionsOf(r: ResourceRecord, aliases: readonly string[]): PolicyResourceOptions {
  const options: PolicyResourceOptions = {
    protect: r.protect,
    ignoreChanges: [...r.ignoreChanges],
    deleteBeforeReplace: r.deleteBeforeReplace,
    aliases: [...aliases],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  };
  if (r.parent) options.parent = r.parent;
  return options;
}

/**
 * Properties as the SDK deserializes them (undefined values dropped) behind its
 * `unknownCheckingProxy`: a new copy each call, as the SDK deserializes anew for every policy.
 * `json` is the properties' JSON text, serialised once per run.
 */
const propsOf = (json: string): Record<string, any> => unknownCheckingProxy(JSON.parse(json));

/**
 * Assigning a lazily made field of a view gives the view an own, writable property that hides
 * the getter from then on, as assigning it on server.js's plain object would.
 */
const assign = (view: object, key: string, value: unknown): void => {
  Object.defineProperty(view, key, { value, writable: true, enumerable: true, configurable: true });
};

/**
 * What every view starts from, and a provider's whole view (server.js `getProviderResource`):
 * type, urn, name and `props` ({@link propsOf} `json`), made when the policy first reads
 * it. Most policies look at a resource's type and stop, and copying every resource's properties
 * for each of them was most of a policy run's time. The getter is the class's, shared (a getter
 * defined on each object made every object's shape its own, and cost more than the copy it saved).
 */
export class PropsView {
  readonly #json: string;
  #props: Record<string, any> | undefined;
  constructor(
    readonly type: string,
    readonly urn: string,
    readonly name: string,
    json: string,
  ) {
    this.#json = json;
  }
  get props(): Record<string, any> {
    return (this.#props ??= propsOf(this.#json));
  }
  set props(value: Record<string, any>) {
    assign(this, "props", value);
  }
}

/**
 * What a policy is shown of a resource, as server.js builds it for `validateResource` and
 * `validateStack`: `props`, `opts` ({@link optionsOf}), `isType` and `asType` are made when the
 * policy first reads them, once per view (each policy's view is its own, as server.js's are); the
 * caller adds its own fields. `isType` and `asType` answer for the resource's own type and
 * properties, whatever the policy assigns to `type` or `props`, as server.js's closures do.
 * Unlike server.js's object literal, a spread, `Object.keys`, JSON or structured clone of a view
 * misses the fields not yet read (a stack view's dependencies too), which no policy of the pack
 * does.
 */
export class ResourceView extends PropsView {
  readonly #record: ResourceRecord;
  readonly #aliases: readonly string[];
  #opts: PolicyResourceOptions | undefined;
  #isType: PolicyResource["isType"] | undefined;
  #asType: PolicyResource["asType"] | undefined;
  declare provider?: PropsView;
  constructor(record: ResourceRecord, json: string, aliases: readonly string[]) {
    super(record.type, record.urn, record.name, json);
    this.#record = record;
    this.#aliases = aliases;
  }
  get opts(): PolicyResourceOptions {
    return (this.#opts ??= optionsOf(this.#record, this.#aliases));
  }
  set opts(value: PolicyResourceOptions) {
    assign(this, "opts", value);
  }
  get isType(): PolicyResource["isType"] {
    const type = this.#record.type;
    return (this.#isType ??= ((cls: unknown) => pulumiTypeOf(cls) === type) as PolicyResource["isType"]);
  }
  set isType(value: PolicyResource["isType"]) {
    assign(this, "isType", value);
  }
  get asType(): PolicyResource["asType"] {
    const type = this.#record.type;
    return (this.#asType ??= ((cls: unknown) => (pulumiTypeOf(cls) === type ? super.props : undefined)) as PolicyResource["asType"]);
  }
  set asType(value: PolicyResource["asType"]) {
    assign(this, "asType", value);
  }
}

/**
 * A resource as server.js shows it to `validateStack`: a {@link ResourceView} whose `dependencies`
 * and `propertyDependencies` are the same policy's views of the resources `r` depends on (`views`),
 * resolved when the policy first reads them (most stack policies never do). A property without
 * dependencies is left out, as the engine sends them (analyzer_plugin.go); a policy may replace
 * either.
 */
export class StackResourceView extends ResourceView {
  readonly #record: ResourceRecord;
  readonly #views: ReadonlyMap<string, PolicyResource>;
  #dependencies: PolicyResource[] | undefined;
  #propertyDependencies: Record<string, PolicyResource[]> | undefined;
  declare parent?: PolicyResource;
  constructor(record: ResourceRecord, json: string, aliases: readonly string[], views: ReadonlyMap<string, PolicyResource>) {
    super(record, json, aliases);
    this.#record = record;
    this.#views = views;
  }
  #resolve(urns: readonly string[]): PolicyResource[] {
    const found: PolicyResource[] = [];
    for (const urn of urns) {
      const view = this.#views.get(urn);
      if (view !== undefined) found.push(view);
    }
    return found;
  }
  get dependencies(): PolicyResource[] {
    return (this.#dependencies ??= this.#resolve(this.#record.dependencies));
  }
  set dependencies(value: PolicyResource[]) {
    assign(this, "dependencies", value);
  }
  get propertyDependencies(): Record<string, PolicyResource[]> {
    if (this.#propertyDependencies === undefined) {
      this.#propertyDependencies = {};
      for (const [key, urns] of Object.entries(this.#record.propertyDependencies ?? {}))
        if (urns.length > 0) this.#propertyDependencies[key] = this.#resolve(urns);
    }
    return this.#propertyDependencies;
  }
  set propertyDependencies(value: Record<string, PolicyResource[]>) {
    assign(this, "propertyDependencies", value);
  }
}

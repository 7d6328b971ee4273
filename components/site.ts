import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface StaticSiteArgs {
  /** Shown in the Amplify console. */
  description: string;
  /** Exposed to the page as BACKEND_URL (the stage-1 Lambda API). */
  backendUrl: pulumi.Input<string>;
}

/**
 * The stage-1 launch page on Amplify Hosting: an app and its production branch. The page itself
 * is `site/` in this repo; README "Stage 1" shows the one command that publishes it to the branch.
 */
export class StaticSite extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly appId: pulumi.Output<string>;

  constructor(name: string, args: StaticSiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("scaling:site:StaticSite", name, {}, opts);
    const app = new aws.amplify.App(
      `${name}-app`,
      {
        description: args.description,
        platform: "WEB",
        environmentVariables: { BACKEND_URL: args.backendUrl },
        customRules: [{ source: "/<*>", target: "/index.html", status: "404-200" }],
      },
      { parent: this },
    );
    const branch = new aws.amplify.Branch(
      `${name}-main`,
      {
        appId: app.id,
        branchName: "main",
        stage: "PRODUCTION",
        enableAutoBuild: false,
        description: "The launch page",
      },
      { parent: this },
    );
    this.appId = app.id;
    this.url = pulumi.interpolate`https://${branch.branchName}.${app.defaultDomain}`;
    this.registerOutputs({ url: this.url });
  }
}

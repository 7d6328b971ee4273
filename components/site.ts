import * as path from "node:path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AmplifyDeployment, contentHash, encodeFiles, siteContent } from "./siteDeployment";

/** The launch page's files in this repo. */
export const SITE_DIR = path.resolve(__dirname, "..", "site");

export interface StaticSiteArgs {
  /** Shown in the Amplify console. */
  description: string;
  /** Written into the page's config.js as window.BACKEND_URL (the stage-1 Lambda API). */
  backendUrl: pulumi.Input<string>;
  /** The region of the app (the stack's home region); the deployment's API calls go there. */
  region: string;
}

/**
 * The stage-1 launch page on Amplify Hosting: an app, its production branch, and a deployment
 * that publishes `site/` (plus a generated config.js) to the branch and waits for it to go live.
 */
export class StaticSite extends pulumi.ComponentResource {
  readonly url: pulumi.Output<string>;
  readonly appId: pulumi.Output<string>;
  /** sha256 of what is published; a new one redeploys. */
  readonly contentHash: pulumi.Output<string>;

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
    const content = pulumi.output(args.backendUrl).apply((url) => {
      const files = siteContent(SITE_DIR, url);
      return { files: encodeFiles(files), contentHash: contentHash(files) };
    });
    // A dynamic resource: no AWS provider applies to it, so its region is an explicit input.
    const deployment = new AmplifyDeployment(
      `${name}-deployment`,
      {
        region: args.region,
        appId: app.id,
        branchName: branch.branchName,
        files: content.files,
        contentHash: content.contentHash,
      },
      { parent: this, dependsOn: [branch] },
    );
    this.appId = app.id;
    this.contentHash = deployment.contentHash;
    // The URL is live once the deployment has succeeded.
    this.url = pulumi
      .all([branch.branchName, app.defaultDomain, deployment.jobId])
      .apply(([branchName, domain]) => `https://${branchName}.${domain}`);
    this.registerOutputs({ url: this.url, contentHash: this.contentHash });
  }
}

/**
 * The app's HTTP paths the infrastructure probes (app/server.js answers them). No imports, so that
 * light tools (the smoke test) can read them without loading the SDKs.
 */

/** Liveness, answered without touching dependencies: the ALB's target-group health check. */
export const HEALTH_CHECK_PATH = "/health";

/**
 * Readiness: 200 only when the instance reaches its database. Route 53 probes it, so latency
 * routing drops a region that cannot reach its data; the ALB's target health stays on the shallow
 * health path, so a database blip never empties a target group.
 */
export const READINESS_PATH = "/ready";

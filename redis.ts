/**
 * A 0-RTT replay store on Redis, shared by every server of a fleet, so that a replay sent to another node is caught
 * too (RFC 8446 §8); and ACME certificate storage on Redis for the same fleet (`tls13-hono/acme`). It needs the `redis` package (node-redis), an optional peer dependency: install it next to
 * this one. Servers that do not import this entry point never load it.
 *
 * ```ts
 * import { serve } from "tls13-hono";
 * import { RedisReplayStore } from "tls13-hono/redis";
 *
 * const replayStore = new RedisReplayStore("redis://127.0.0.1:6379");
 * serve({ fetch, tls: { cert, key, earlyData: { replayStore } } });
 * ```
 *
 * @module
 */
export {
  type RedisCommandClient,
  RedisReplayStore,
  type RedisReplayStoreOptions,
  ReplayStoreUnavailableError,
} from "./src/stores/redis_replay_store.ts";
export type { ReplayStore } from "./src/tls/tickets/replay_store.ts";
/** ACME certificates shared by a fleet, with a lock so that one node orders while the others wait. */
export { RedisStorage } from "./src/acme/redis_storage.ts";
export type { CertificateStorage } from "./src/acme/storage.ts";

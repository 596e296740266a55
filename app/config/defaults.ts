/**
 * The gateway's settings and their embedded defaults, both derived from the schema
 * (`./schema.ts`, where each setting is documented). The defaults run a complete gateway on
 * loopback with SQLite under `./var` and generated, clearly labelled test keys and
 * certificates: fit for trying it out, never for production.
 */
import { CONFIG_SCHEMA, type GatewayConfig } from './schema.js';

export type { GatewayConfig } from './schema.js';

export const DEFAULTS: GatewayConfig = CONFIG_SCHEMA.parse({});

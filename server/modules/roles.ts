import type { Config } from '../config/config.schema.js';
import type { ModuleName } from './module.js';

export type Role = Config['role'];

/**
 * The modules each role runs, in start order (stopped in reverse). Modules with routes
 * come before `api`, which registers them all; `mib` last: its (cold) load starts once
 * the console listens, and it stops first, before a load could reach a stopped engine.
 */
export const ROLE_MODULES: Readonly<Record<Role, readonly ModuleName[]>> = Object.freeze({
  // `transport` runs in `all` only when natsUrl is set (see roleModules): then it is a centre that also collects locally.
  all: Object.freeze(['store', 'events', 'registry', 'transport', 'intake', 'polling', 'topology', 'api', 'realtime', 'mib'] as const),
  // `polling` at central polls nothing: it stores and serves what the collectors poll (status, interfaces, samples).
  central: Object.freeze(['store', 'events', 'registry', 'polling', 'transport', 'topology', 'api', 'realtime', 'mib'] as const),
  // A collector polls the devices the centre assigns to its site (through the transport). `health` is its only HTTP.
  collector: Object.freeze(['transport', 'polling', 'intake', 'health'] as const),
});

/** The modules this process runs: its role's, without `transport` in `all` when natsUrl is unset (one process, no NATS). */
export function roleModules(config: Pick<Config, 'role' | 'natsUrl'>): readonly ModuleName[] {
  const names = ROLE_MODULES[config.role];
  return config.role === 'all' && !config.natsUrl ? names.filter((n) => n !== 'transport') : names;
}

/** Why this process cannot run `config.role` yet, or null when it can. */
export function roleProblem(config: Pick<Config, 'role'>): string | null {
  if (config.role === 'all') return null;
  // The NATS transport between central and collectors comes with its own config key (natsUrl).
  const natsUrl = (config as { natsUrl?: unknown }).natsUrl;
  if (typeof natsUrl === 'string' && natsUrl !== '') return null;
  return `role "${config.role}" needs a NATS server between central and collectors: set NMS_NATS_URL (or use NMS_ROLE=all)`;
}

/** The configured role cannot run (it names what is missing); start-up stops with this message. */
export class RoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoleError';
  }
}

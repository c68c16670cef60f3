import type { KeyObject } from 'node:crypto';
import { z } from 'zod';
import { SITE_PATTERN } from '../bus/nats-subjects.js';
import { TRAP_USERS_FORMAT, type SealedFor, type SiteTrapUsers } from '../contracts/assignment.js';
import { AUTH_PROTOCOLS, PRIV_PROTOCOLS, type AuthProtocol, type PrivProtocol } from '../contracts/dto.js';
import { toTrapUser } from '../collectors/trap/trap.users.js';
import type { TrapUser } from '../collectors/trap/trap.receiver.js';
import { seal, unseal } from './sealed-secret.js';
import type { SealTarget } from './site-assignment.js';

/** A trap user as the centre's store has it (keys in plaintext, in memory only). */
export interface PlainTrapUser {
  username: string;
  authProtocol: AuthProtocol | null;
  authKey: string | null;
  privProtocol: PrivProtocol | null;
  privKey: string | null;
}

function sealFor(secret: string | null, targets: readonly SealTarget[]): SealedFor[] | null {
  if (secret === null) return null;
  return targets.map((t) => ({ collector: t.id, sealed: seal(secret, t.publicKey, t.id) }));
}

/** The centre's side: the v3 trap users as `site`'s collectors get them, every key sealed for each of `targets`. */
export function buildTrapUsers(site: string, users: readonly PlainTrapUser[], targets: readonly SealTarget[], now = Date.now()): SiteTrapUsers {
  return {
    format: TRAP_USERS_FORMAT,
    site,
    generatedAt: now,
    users: users.map((u) => ({
      username: u.username,
      authProtocol: u.authKey === null ? null : u.authProtocol,
      privProtocol: u.privKey === null ? null : u.privProtocol,
      authKey: sealFor(u.authKey, targets),
      privKey: sealFor(u.privKey, targets),
    })),
  };
}

const sealedFor = z.array(z.object({ collector: z.string().max(128), sealed: z.string().max(8192) }).strict()).max(64).nullable();
const trapUsersSchema = z
  .object({
    format: z.literal(TRAP_USERS_FORMAT),
    site: z.string().regex(SITE_PATTERN),
    generatedAt: z.number().int().min(0),
    users: z
      .array(
        z
          .object({
            username: z.string().min(1).max(32),
            authProtocol: z.enum(AUTH_PROTOCOLS).nullable(),
            privProtocol: z.enum(PRIV_PROTOCOLS).nullable(),
            authKey: sealedFor,
            privKey: sealedFor,
          })
          .strict()
          .refine((u) => (u.authKey === null) === (u.authProtocol === null) && (u.privKey === null) === (u.privProtocol === null) && (u.privKey === null || u.authKey !== null), {
            message: 'protocols must be set exactly with their keys, and privacy needs authentication',
          }),
      )
      .max(10_000),
  })
  .strict();

/**
 * The collector's side: the value of its site's key -> the receiver's USM users, keys opened with this collector's
 * private key, or why it is refused. A user whose keys are not sealed for this collector (it registered after the
 * centre sealed) or do not open is left out and named in `unopened`: accepting it without its keys would let anyone
 * send as it. Never throws.
 */
export function openTrapUsers(raw: unknown, site: string, collectorId: string, privateKey: KeyObject): { ok: true; users: TrapUser[]; unopened: string[] } | { ok: false; reason: string } {
  const r = trapUsersSchema.safeParse(raw);
  if (!r.success) return { ok: false, reason: r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(trap users)'}: ${i.message}`).join('; ') };
  if (r.data.site !== site) return { ok: false, reason: `the trap users are for site ${r.data.site}, not ${site}` };
  const users: TrapUser[] = [];
  const unopened: string[] = [];
  const seen = new Set<string>();
  for (const u of r.data.users) {
    if (seen.has(u.username)) continue;
    seen.add(u.username);
    const open = (s: SealedFor[] | null): string | null | undefined => {
      if (s === null) return null;
      const mine = s.find((x) => x.collector === collectorId);
      if (!mine) return undefined;
      try {
        return unseal(mine.sealed, privateKey, collectorId);
      } catch {
        return undefined;
      }
    };
    const authKey = open(u.authKey);
    const privKey = open(u.privKey);
    if (authKey === undefined || privKey === undefined) {
      unopened.push(u.username);
      continue;
    }
    users.push(toTrapUser({ username: u.username, authProtocol: u.authProtocol, authKey, privProtocol: u.privProtocol, privKey }));
  }
  return { ok: true, users, unopened };
}

import type { AuthProtocol, PrivProtocol } from '../../contracts/dto.js';
import type { TrapUser } from './trap.receiver.js';

/** A stored trap user (the repository's shape, structurally) -> the receiver's USM user. */
export function toTrapUser(r: { username: string; authProtocol: AuthProtocol | null; authKey: string | null; privProtocol: PrivProtocol | null; privKey: string | null }): TrapUser {
  if (!r.authKey) return { name: r.username, level: 'noAuthNoPriv' };
  const auth = { authProtocol: r.authProtocol ?? 'sha', authKey: r.authKey } as const;
  if (!r.privKey) return { name: r.username, level: 'authNoPriv', ...auth };
  return { name: r.username, level: 'authPriv', ...auth, privProtocol: r.privProtocol ?? 'aes', privKey: r.privKey };
}

/**
 * The receiver's users from the stored ones. A user whose keys could not be
 * decrypted (`secretError`) is left out: accepting it without its keys would
 * let anyone send as it, and its ciphertext is never a key.
 */
export function receiverUsers(records: readonly (Parameters<typeof toTrapUser>[0] & { secretError?: string })[]): TrapUser[] {
  return records.filter((r) => r.secretError === undefined).map(toTrapUser);
}

/** `NMS_TRAP_COMMUNITIES` ("public, other") -> ['public', 'other']; empty -> ['public']. */
export function parseCommunities(list: string): string[] {
  const out = list.split(',').map((s) => s.trim()).filter(Boolean);
  return out.length ? out : ['public'];
}

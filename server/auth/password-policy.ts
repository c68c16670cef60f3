import { dictionary } from '@zxcvbn-ts/language-common';

/**
 * The password policy, applied wherever a password is set: user create, admin
 * reset, own change and NMS_ADMIN_PASSWORD. Length alone lets "password123"
 * through, so the most common passwords are refused too: the 49,000 most
 * frequent passwords of the xato.net 10-million-password corpus, as shipped
 * (and kept up to date) by zxcvbn-ts in `@zxcvbn-ts/language-common`.
 */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 1024;

let common: Set<string> | undefined;

/** The common-password list, lower-cased (loaded on first use: ~50,000 entries, a few ms). */
function commonPasswords(): Set<string> {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common;
}

/** Whether the password is one of the most common ones (case-insensitive). */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.toLowerCase());
}

/** Why the password is refused, in words a user can act on; undefined when it is accepted. */
export function passwordProblem(password: string, username?: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (username && password.toLowerCase() === username.toLowerCase()) return 'must not be the user name';
  if (isCommonPassword(password)) return 'is one of the most common passwords; choose another';
  return undefined;
}

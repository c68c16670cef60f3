import { describe, expect, it } from 'vitest';
import { isCommonPassword, passwordProblem } from '../../../server/auth/password-policy.js';

describe('password policy', () => {
  it('refuses the most common passwords, whatever their case, not only short ones', () => {
    for (const pw of ['password', 'Password1', 'PASSWORD123', 'qwertyuiop', 'iloveyou', '12345678', 'trustno1', 'baseball1', 'sunshine']) {
      expect(isCommonPassword(pw), pw).toBe(true);
      expect(passwordProblem(pw), pw).toMatch(/most common passwords/);
    }
  });

  it('accepts a long password that is not on the list', () => {
    expect(passwordProblem('viewer-password-1')).toBeUndefined();
    expect(passwordProblem('correct horse battery staple')).toBeUndefined();
    expect(isCommonPassword('Tr4ns1t-gl4cier-91')).toBe(false);
  });

  it('refuses short passwords, huge ones and the user name itself', () => {
    expect(passwordProblem('x7#kQ2z')).toMatch(/at least 8 characters/);
    expect(passwordProblem('a'.repeat(1025))).toMatch(/at most 1024/);
    expect(passwordProblem('Operator-Jane', 'operator-jane')).toMatch(/user name/);
  });
});

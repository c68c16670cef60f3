import { newSecretKey, SecretBox } from '../../server/store/secret-box.js';

/** A SecretBox with a fresh random key, for repositories built directly in tests. */
export function testSecretBox(): SecretBox {
  const key = newSecretKey();
  return new SecretBox([key], key.kid);
}

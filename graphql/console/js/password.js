// Generated passwords: from the browser's cryptographic generator, drawn
// without modulo bias, long enough to pass any sane password policy.
const ALPHABET = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.!';
const LENGTH = 20;

export function generatePassword(length = LENGTH) {
  // The largest multiple of the alphabet's size below 256: bytes above it
  // are drawn again, so every character is equally likely.
  const limit = 256 - (256 % ALPHABET.length);
  const out = [];
  const bytes = new Uint8Array(length * 2);
  while (out.length < length) {
    crypto.getRandomValues(bytes);
    for (const byte of bytes) {
      if (byte < limit && out.length < length) {
        out.push(ALPHABET[byte % ALPHABET.length]);
      }
    }
  }
  return out.join('');
}

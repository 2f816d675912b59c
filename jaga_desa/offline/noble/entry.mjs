// The browser backend of core/crypto (core/crypto_web.py): audited @noble primitives, nothing
// hand-written. Bundled by `jaga-desa build-app` with esbuild into noble.js, which the
// Python worker imports before Pyodide starts; it sets globalThis.jagaCrypto.
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { gcm } from "@noble/ciphers/aes.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { scrypt } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";

export const jagaCrypto = {
  x25519_public: (priv) => x25519.getPublicKey(priv),
  x25519_shared: (priv, pub) => x25519.getSharedSecret(priv, pub),
  ed25519_public: (seed) => ed25519.getPublicKey(seed),
  ed25519_sign: (seed, msg) => ed25519.sign(msg, seed),
  // Strict RFC 8032 (as pyca/OpenSSL), not ZIP-215: no malleable signatures get through.
  ed25519_verify: (sig, msg, pub) => ed25519.verify(sig, msg, pub, { zip215: false }),
  aesgcm_encrypt: (key, nonce, data, aad) => gcm(key, nonce, aad).encrypt(data),
  aesgcm_decrypt: (key, nonce, data, aad) => gcm(key, nonce, aad).decrypt(data),
  hkdf_sha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  scrypt: (password, salt, N, r, p, dkLen) => scrypt(password, salt, { N, r, p, dkLen, maxmem: 2 ** 31 }),
};
globalThis.jagaCrypto = jagaCrypto;

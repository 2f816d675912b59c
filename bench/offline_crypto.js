// bench/offline_bench.py runs this in Chromium, on a page of the installed offline app (the
// files from its service worker cache), to compare core/crypto_web.py's backend — the
// @noble bundle the app ships, called synchronously — with WebCrypto, which has the same
// primitives in Chromium but answers every call with a Promise. Each figure is the median
// time of one call as the seam makes it: raw key bytes in, so WebCrypto's importKey is part
// of its cost. Sizes are a report's: SIZE bytes of payload. The page's clock ticks in 0.1 ms
// steps, so each sample times a batch of calls.
async ({ base, size, runs }) => {
  await import(base + "noble.js");
  const noble = globalThis.jagaCrypto;
  const subtle = crypto.subtle;
  const rnd = (n) => crypto.getRandomValues(new Uint8Array(n));
  const hex = (h) => new Uint8Array(h.match(/../g).map((b) => parseInt(b, 16)));
  const pkcs8 = { Ed25519: hex("302e020100300506032b657004220420"), X25519: hex("302e020100300506032b656e04220420") };
  const wrapPriv = (alg, raw) => { const k = new Uint8Array(48); k.set(pkcs8[alg]); k.set(raw, 16); return k; };

  const BATCH = 20;
  async function median(fn) {
    await fn(); // warm: the first call compiles
    const t = [];
    for (let i = 0; i < runs; i++) {
      const s = performance.now();
      for (let j = 0; j < BATCH; j++) await fn();
      t.push((performance.now() - s) / BATCH);
    }
    t.sort((a, b) => a - b);
    return t[Math.floor(t.length / 2)];
  }

  const key = rnd(32), nonce = rnd(12), data = rnd(size), aad = rnd(64), salt = rnd(32), info = rnd(16);
  const edSeed = rnd(32), xA = rnd(32), xB = noble.x25519_public(rnd(32));
  const msg = rnd(size);
  const sig = noble.ed25519_sign(edSeed, msg), edPub = noble.ed25519_public(edSeed);

  const rows = {};
  rows["AES-256-GCM encrypt"] = [
    await median(() => noble.aesgcm_encrypt(key, nonce, data, aad)),
    await median(async () => {
      const k = await subtle.importKey("raw", key, "AES-GCM", false, ["encrypt"]);
      return subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: aad }, k, data);
    }),
  ];
  rows["HKDF-SHA256 (32 bytes)"] = [
    await median(() => noble.hkdf_sha256(key, salt, info, 32)),
    await median(async () => {
      const k = await subtle.importKey("raw", key, "HKDF", false, ["deriveBits"]);
      return subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, k, 256);
    }),
  ];
  rows["X25519 exchange"] = [
    await median(() => noble.x25519_shared(xA, xB)),
    await median(async () => {
      const priv = await subtle.importKey("pkcs8", wrapPriv("X25519", xA), "X25519", false, ["deriveBits"]);
      const pub = await subtle.importKey("raw", xB, "X25519", false, []);
      return subtle.deriveBits({ name: "X25519", public: pub }, priv, 256);
    }),
  ];
  rows["Ed25519 sign"] = [
    await median(() => noble.ed25519_sign(edSeed, msg)),
    await median(async () => {
      const priv = await subtle.importKey("pkcs8", wrapPriv("Ed25519", edSeed), "Ed25519", false, ["sign"]);
      return subtle.sign("Ed25519", priv, msg);
    }),
  ];
  rows["Ed25519 verify"] = [
    await median(() => noble.ed25519_verify(sig, msg, edPub)),
    await median(async () => {
      const pub = await subtle.importKey("raw", edPub, "Ed25519", false, ["verify"]);
      return subtle.verify("Ed25519", pub, sig, msg);
    }),
  ];
  // Same bytes both ways, or the comparison means nothing.
  const webSig = new Uint8Array(await subtle.sign("Ed25519",
    await subtle.importKey("pkcs8", wrapPriv("Ed25519", edSeed), "Ed25519", false, ["sign"]), msg));
  const same = webSig.every((b, i) => b === sig[i]);
  return { rows, same };
}


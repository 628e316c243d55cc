// A demo wallet: an Ed25519 key made by WebCrypto and kept in this browser's localStorage.
// Anyone with access to this browser profile can use it: it is for classrooms, not for value.
import { H, canon, fromHex, toHex } from "./verify.js";

const STORE = "iris-chain-demo-wallet";
const subtle = globalThis.crypto.subtle;

async function fromJwk(jwk) {
  const privateKey = await subtle.importKey("jwk", jwk, { name: "Ed25519" }, false, ["sign"]);
  const publicKey = jwk.x.replace(/-/g, "+").replace(/_/g, "/");
  const raw = Uint8Array.from(atob(publicKey + "=".repeat((4 - publicKey.length % 4) % 4)), (c) => c.charCodeAt(0));
  const public_key = toHex(raw);
  return { privateKey, public_key, address: (await H(fromHex(public_key))).slice(0, 40) };
}

export async function loadWallet() {
  const saved = localStorage.getItem(STORE);
  return saved ? fromJwk(JSON.parse(saved)) : null;
}

export async function createWallet() {
  const pair = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
  const jwk = await subtle.exportKey("jwk", pair.privateKey);
  localStorage.setItem(STORE, JSON.stringify(jwk));
  return fromJwk(jwk);
}

export function forgetWallet() {
  localStorage.removeItem(STORE);
}

/** The signature (128 hex) of canon(body), as PROTOCOL.md "Signed transactions" asks. */
export async function signBody(wallet, body) {
  const signature = await subtle.sign({ name: "Ed25519" }, wallet.privateKey, new TextEncoder().encode(canon(body)));
  return toHex(signature);
}

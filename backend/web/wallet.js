// Signing with a browser wallet (EIP-1193 `window.ethereum`), when one is present:
// POST /v1/orders/typed-data -> eth_signTypedData_v4 -> the order with nonce + signature.
// Without a wallet the ticket sends the order unsigned; a local demo node signs for its
// unlocked accounts (API.md, "Signed orders").

import { api } from "./api.js";

export function hasBrowserWallet() {
  return typeof window.ethereum?.request === "function";
}

/** JSON.parse turns uint256 values (nonces, 18-decimal amounts) into lossy floats: quote them. */
export function parseKeepingBigInts(text) {
  return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
}

export async function signOrder(order, expectedWallet) {
  const [account] = await window.ethereum.request({ method: "eth_requestAccounts" });
  if (expectedWallet && account && account.toLowerCase() !== expectedWallet.toLowerCase()) {
    throw Object.assign(new Error(`the browser wallet ${account} is not this investor's wallet ${expectedWallet}`),
      { code: "wallet.mismatch" });
  }
  const typed = parseKeepingBigInts(await api.typedData(order));
  const signature = await window.ethereum.request({
    method: "eth_signTypedData_v4", params: [account ?? expectedWallet, JSON.stringify(typed)],
  });
  const signed = { ...order, nonce: String(typed.message.nonce), signature };
  if (typed.message.expiry && String(typed.message.expiry) !== "0") signed.expires_at = String(typed.message.expiry);
  return signed;
}

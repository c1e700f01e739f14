// Signing with a browser wallet (EIP-1193 `window.ethereum`), when one is present:
// POST /v1/orders/typed-data -> eth_signTypedData_v4 -> the order with the signed nonce,
// expiry, a market order's limit (limit_price) and the signature. Without a wallet the ticket
// sends the order unsigned; only a local development node signs for its unlocked accounts
// (API.md, "Signed orders"); elsewhere that is order.signature_required.

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
  const answer = parseKeepingBigInts(await api.typedData(order));
  const { types, primaryType, domain, message } = answer;
  const signature = await window.ethereum.request({
    method: "eth_signTypedData_v4",
    params: [account ?? expectedWallet, JSON.stringify({ types, primaryType, domain, message })],
  });
  // uint256 values as decimal strings (the API reads them exactly); a market order sends back
  // the limit it signed as its price.
  const signed = { ...order, nonce: String(message.nonce), expires_at: String(message.expiry), signature };
  if (order.type === "market") signed.price = answer.limit_price;
  return signed;
}

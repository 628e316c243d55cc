// The blocks this page's own verifier (verify.js) has replayed, by hash: kept for this page's life.
const hashes = new Set();
let verifiedAt = null;

export function markReplayed(blocks) {
  for (const b of blocks) hashes.add(b.hash);
  verifiedAt = new Date();
}

export const isReplayed = (hash) => hashes.has(hash);

// The mark's HTML for a block, or "" if the page has not replayed it.
export function replayMark(block) {
  if (!hashes.has(block.hash)) return "";
  return `<span class="replayed-mark" data-testid="replayed" title="replayed in your browser by verify.js at ${verifiedAt.toLocaleTimeString()}">✓ replayed in your browser</span>`;
}

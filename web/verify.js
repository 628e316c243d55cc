// PROTOCOL.md version 2, a second implementation, in JavaScript, for the browser and Node.js.
//
// It shares no code with the Python node: it follows the protocol text alone, and is held to the
// same vectors (tests/web/verify.test.js runs it under `node --test` against every value and
// invalid variant of tests/vectors/protocol-v2.json). SHA-256 and Ed25519 come from WebCrypto.
//
// verifyChain(blocks, base) replays a chain from genesis: every value rule, id, signature, Merkle
// root, header, proof of work, the order and size rules, balances, deposits and claims, and the
// integer KNN with test_correct and the model hash chain. It stops at the first invalid block and
// names it (and the transaction, when one is to blame).
//
// The verifier is four modules, by job; this entry re-exports their public names (the pages, the
// wallet and the tests import from here):
// - web/encoding.js: strict JSON, the value rules, canonical JSON, hex, SHA-256, Merkle root, block hash;
// - web/model.js: measurements, the feature weights and the integer KNN with its hash chain;
// - web/transactions.js: the RULES table (one entry per type) and checkTransaction (ids, signatures);
// - web/chain.js: genesis, the Ledger, applyBlock and verifyChain;
// with web/claims.js, web/difficulty.js and web/jobs_rules.js for the draft version 3.

export { H, MAX_JSON_DEPTH, MAX_SAFE, NotInteger, ProtocolError, blockHash, canon, checkValue, fromHex, headerOf,
  meetsDifficulty, merkleRoot, parseStrict, toHex } from "./encoding.js";
export { K, Model, measurementUnits, weightsOf } from "./model.js";
export { MAX_AMOUNT, RULES, bodyOf, checkTransaction } from "./transactions.js";
export { Ledger, MAX_BLOCK_BYTES, MAX_FUTURE_MS, MAX_USER_TRANSACTIONS, applyBlock, makeGenesis, verifyChain } from "./chain.js";

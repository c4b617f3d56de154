DROP TABLE dpop_nonce_key;
DROP TABLE dpop_seen_proofs;

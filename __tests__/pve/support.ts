/** Shared by the pve tests: a well-formed SHA-512 crypt string that is the hash of no password. */
export const TEST_HASH = `$6$homelabtest$${"x".repeat(86)}`;

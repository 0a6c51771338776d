/**
 * How Spacelift records a run triggered with an API key (`triggeredBy`): `api::<key id>` in
 * deliveries and the user-provided-metadata docs (run details since 2025-09-16 also show
 * `api::<short id>::<key name>`). One definition for the simulator and the cascade.
 */
export const apiKeyIdentity = (keyId: string): string => `api::${keyId}`;

/**
 * A deployment serves one Spacelift account: the host (with its port) of its Spacelift base URL,
 * e.g. `acme.app.spacelift.io` or, for a demo's simulator, `127.0.0.1:4000`. Pure (workflow code
 * imports it).
 */
import { DEFAULT_ESTATE_ID, TASK_QUEUE } from './constants.js';

/** The account a Spacelift base URL belongs to. */
export function accountOf(baseUrl: string): string {
  return new URL(baseUrl).host;
}

/** The default coordinator id of an account: two accounts on one namespace never share one. */
export const defaultEstateId = (account: string): string => `${DEFAULT_ESTATE_ID}@${account}`;

/** The default task queue of an account (the seed's queue name stays the prefix). */
export const defaultTaskQueue = (account: string): string => `${TASK_QUEUE}@${account}`;

/** Why a part configured for one account refuses to act for another's coordinator. */
export function accountMismatchMessage(
  part: string,
  ours: string,
  coordinator: { id: string; account: string },
): string {
  return (
    `this ${part} serves Spacelift account ${ours}, but the coordinator ${coordinator.id} serves ${coordinator.account}: ` +
    `nothing was done. Point CASCADE_ESTATE_ID and CASCADE_TASK_QUEUE at ${ours}'s own (unset both for the defaults), ` +
    `or set SPACELIFT_BASE_URL to ${coordinator.account}'s URL`
  );
}

import type { Client } from '@temporalio/client';
import { accountMismatchMessage } from '../account.js';
import { accountQuery, type SignalWithStartRequest } from '../coordinator-contract.js';
import type { CascadePort } from './cascade-port.js';
import { AccountMismatchError } from './webhook-errors.js';

/** How long a coordinator's account is trusted from one query (it is fixed while the coordinator runs). */
const KNOWN_FOR_MS = 5 * 60_000;
/** A query needs a worker; without an answer this soon the delivery goes on (the worker refuses it too). */
const QUERY_TIMEOUT_MS = 1_000;

/**
 * In front of the receiver's port: a delivery for a coordinator that serves another account is
 * refused (409, naming both) and signals nothing. An unknown answer (no coordinator yet, Temporal
 * or the worker unreachable) lets it through: the coordinator it starts records this account.
 */
export class AccountGuard implements CascadePort {
  private readonly known = new Map<string, { account: string | null; until: number }>();

  constructor(
    private readonly inner: CascadePort,
    private readonly client: Client,
    /** The account this receiver serves. */
    private readonly account: string,
    private readonly now: () => number = Date.now,
  ) {}

  async signalWithStart(request: SignalWithStartRequest): Promise<'delivered' | 'spooled'> {
    const theirs = await this.coordinatorAccount(request.workflowId);
    if (theirs !== null && theirs !== this.account) {
      throw new AccountMismatchError(
        accountMismatchMessage('receiver', this.account, { id: request.workflowId, account: theirs }),
      );
    }
    return this.inner.signalWithStart(request);
  }

  checkReady(): Promise<void> {
    return this.inner.checkReady();
  }

  private async coordinatorAccount(workflowId: string): Promise<string | null> {
    const cached = this.known.get(workflowId);
    if (cached && cached.until > this.now()) return cached.account;
    try {
      const account = await this.client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
        this.client.workflow.getHandle(workflowId).query(accountQuery),
      );
      this.known.set(workflowId, { account, until: this.now() + KNOWN_FOR_MS });
      return account;
    } catch {
      // No coordinator yet (the delivery starts one, for this account), or no answer in time.
      return null;
    }
  }
}

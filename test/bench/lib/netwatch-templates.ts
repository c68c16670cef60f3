/**
 * The Netwatch side of poll-capacity-templates: every standard template
 * (templates/ and templates/vendors/) compiled into the per-poll request the
 * poll workers read, and a completeness check that computes the values on the
 * main thread as the server does.
 */
import type { PollResult } from '../../../server/contracts/poll.js';

export interface TemplatePolling {
  templateIds: string[];
  expectedApplied: string[];
  /** Passed as CollectOptions.templates. */
  request: unknown;
  /** True when the result holds every value the fleet device has. */
  complete(address: string, r: PollResult): boolean;
}

/** Null while the template engine is not on this branch. */
export async function templatePolling(_fleet: { sensors: number; rmonRows: number }): Promise<TemplatePolling | null> {
  return null;
}

/** One audit log entry as the API and console show it. Secrets are already redacted. */
export interface AuditEntryDto {
  id: number;
  at: number;
  userId: number | null;
  username: string | null;
  role: string | null;
  sourceAddress: string | null;
  /** `<object>.<verb>`, e.g. `device.update`, `alarm.ack`, `session.login`. */
  action: string;
  objectType: string;
  objectId: string | null;
  objectName: string | null;
  method: string | null;
  path: string | null;
  status: number;
  /** ok: the change was made; denied: the user lacked the role or credentials; failed: refused for another reason. */
  outcome: 'ok' | 'denied' | 'failed';
  before: unknown;
  after: unknown;
  /** The request body (redacted) for actions that have no object snapshot, e.g. bulk alarm actions. */
  details: unknown;
}

export interface AuditListDto {
  items: AuditEntryDto[];
  /** Pass as `before` to get older entries; null at the end. */
  nextCursor: number | null;
}

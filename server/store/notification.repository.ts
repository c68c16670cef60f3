import type { Db } from './database.js';
import { textFor } from './pg/pg-text.js';
import type { ChannelDeliveryDto, ChannelType, NotificationChannelDto } from '../contracts/alarms.js';
import { redactConfig } from '../notify/channel.schema.js';
import { SecretUnreadableError, type SecretBox } from './secret-box.js';

interface Row {
  id: number;
  name: string;
  type: ChannelType;
  enabled: number;
  config: string;
  sent_count: number;
  failed_count: number;
  last_success_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
  created_at: number;
  updated_at: number;
  delivery: string;
}

function parseDelivery(text: string | undefined): ChannelDeliveryDto {
  try {
    const v = JSON.parse(text ?? '{}') as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as ChannelDeliveryDto) : {};
  } catch {
    return {};
  }
}

/** A channel as stored, secrets included. Never sent to clients. */
export interface ChannelRecord {
  id: number;
  name: string;
  type: ChannelType;
  enabled: boolean;
  config: Record<string, unknown>;
}

export interface ChannelWrite {
  name: string;
  type: ChannelType;
  enabled: boolean;
  config: Record<string, unknown>;
  /** Quiet hours and digest (kept when omitted on update). */
  delivery?: ChannelDeliveryDto;
}

/** The channel's settings; throws SecretUnreadableError when they cannot be decrypted. */
function openConfig(r: Row, secrets: SecretBox): Record<string, unknown> {
  const plain = secrets.tryOpen(r.config, `notification channel ${r.id} (${r.name}) settings`);
  if (plain === undefined) throw new SecretUnreadableError(`the stored settings of channel "${r.name}" cannot be decrypted: enter them again`, null);
  return JSON.parse(plain) as Record<string, unknown>;
}

const toRecord = (r: Row, secrets: SecretBox): ChannelRecord => ({ id: r.id, name: r.name, type: r.type, enabled: r.enabled === 1, config: openConfig(r, secrets) });

function toDto(r: Row, secrets: SecretBox): NotificationChannelDto {
  let config: Record<string, unknown>;
  let lastError = r.last_error;
  try {
    config = redactConfig(r.type, openConfig(r, secrets));
  } catch (err) {
    if (!(err instanceof SecretUnreadableError)) throw err;
    // Still listed (so it can be fixed or deleted), with nothing of its settings.
    config = {};
    lastError = err.message;
  }
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    enabled: r.enabled === 1,
    config,
    sentCount: r.sent_count,
    failedCount: r.failed_count,
    lastSuccessAt: r.last_success_at,
    lastError,
    lastErrorAt: r.last_error_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    delivery: parseDelivery(r.delivery),
  };
}

export class NotificationRepository {
  private readonly s;
  private readonly text: (s: string) => string;

  constructor(
    db: Db,
    private readonly secrets: SecretBox,
  ) {
    this.text = textFor(db);
    this.s = {
      list: db.prepare<[], Row>('SELECT * FROM notification_channels ORDER BY name'),
      get: db.prepare<[number], Row>('SELECT * FROM notification_channels WHERE id = ?'),
      insert: db.prepare<[Record<string, unknown>], { id: number }>(
        `INSERT INTO notification_channels (name, type, enabled, config, delivery, created_at, updated_at)
         VALUES (@name, @type, @enabled, @config, @delivery, @now, @now) RETURNING id`,
      ),
      update: db.prepare('UPDATE notification_channels SET name = @name, enabled = @enabled, config = @config, updated_at = @now WHERE id = @id'),
      delete: db.prepare<[number]>('DELETE FROM notification_channels WHERE id = ?'),
      delivery: db.prepare<[number], Pick<Row, 'type' | 'delivery'>>('SELECT type, delivery FROM notification_channels WHERE id = ?'),
      setDelivery: db.prepare<[string, number]>('UPDATE notification_channels SET delivery = ? WHERE id = ?'),
      ok: db.prepare<[number, number]>('UPDATE notification_channels SET sent_count = sent_count + 1, last_success_at = ? WHERE id = ?'),
      attemptError: db.prepare<[string, number, number]>('UPDATE notification_channels SET last_error = ?, last_error_at = ? WHERE id = ?'),
      fail: db.prepare<[string, number, number]>(
        'UPDATE notification_channels SET failed_count = failed_count + 1, last_error = ?, last_error_at = ? WHERE id = ?',
      ),
    };
  }

  list(): NotificationChannelDto[] {
    return this.s.list.all().map((r) => toDto(r, this.secrets));
  }

  dto(id: number): NotificationChannelDto | undefined {
    const r = this.s.get.get(id);
    return r && toDto(r, this.secrets);
  }

  /** The channel with its secrets; throws SecretUnreadableError when they cannot be decrypted. */
  record(id: number): ChannelRecord | undefined {
    const r = this.s.get.get(id);
    return r && toRecord(r, this.secrets);
  }

  create(w: ChannelWrite, now = Date.now()): NotificationChannelDto {
    const id = this.s.insert.get({
      name: this.text(w.name),
      type: w.type,
      enabled: w.enabled ? 1 : 0,
      config: this.secrets.seal(JSON.stringify(w.config)),
      delivery: JSON.stringify(w.delivery ?? {}),
      now,
    })!.id;
    return this.dto(id)!;
  }

  update(id: number, w: Omit<ChannelWrite, 'type'>, now = Date.now()): NotificationChannelDto | undefined {
    if (this.s.update.run({ id, name: this.text(w.name), enabled: w.enabled ? 1 : 0, config: this.secrets.seal(JSON.stringify(w.config)), now }).changes === 0) return undefined;
    if (w.delivery !== undefined) this.s.setDelivery.run(JSON.stringify(w.delivery), id);
    return this.dto(id);
  }

  /** Type and quiet hours/digest settings, without opening the secrets (read per notification). */
  delivery(id: number): { type: ChannelType; delivery: ChannelDeliveryDto } | undefined {
    const r = this.s.delivery.get(id);
    return r && { type: r.type, delivery: parseDelivery(r.delivery) };
  }

  delete(id: number): boolean {
    return this.s.delete.run(id).changes > 0;
  }

  /** A delivery succeeded (counted once per notification, after retries). */
  recordSuccess(id: number, at = Date.now()): void {
    this.s.ok.run(at, id);
  }

  /** One attempt failed (a retry may follow): the error is visible on the channel at once. */
  recordAttemptError(id: number, error: string, at = Date.now()): void {
    this.s.attemptError.run(this.text(error.slice(0, 1000)), at, id);
  }

  /** A delivery failed for good (after the last retry), or a test failed. */
  recordFailure(id: number, error: string, at = Date.now()): void {
    this.s.fail.run(this.text(error.slice(0, 1000)), at, id);
  }
}

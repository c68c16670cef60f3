import { z } from 'zod';
import type { RuleBody, RuleDto } from '../contracts/alarms.js';
import type { StoredEvent } from '../contracts/events.js';
import type { InboxEntryDto, InboxEntryWithProposal, ProposedRule, RuleFromEventResult } from '../contracts/inbox.js';
import type { EventEngine } from '../events/engine/event-engine.js';
import { compileEventRule } from '../events/engine/rule-compiler.js';
import { createRuleSchema } from '../events/engine/rule.schema.js';
import { proposeForEntry, type NotificationDirectory } from '../events/inbox/proposals.js';
import { ruleFromEvent, type OidNamer } from '../events/inbox/rule-from-event.js';
import type { OidDictionary } from '../mib/oid-dictionary.js';
import type { Reads } from '../store/read-ops.js';
import { NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

export interface InboxRoutesDeps {
  engine: EventEngine;
  reads: Reads;
  /** The current OID dictionary (NOTIFICATION-TYPE names, OBJECTS, DESCRIPTION). */
  dictionary: () => OidDictionary;
}

const listQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(200),
    /** `true`: also dismissed and accepted types. */
    all: z.enum(['true', 'false']).default('false'),
  })
  .strict();

const editBody = z.object({ rules: z.array(createRuleSchema).min(1).max(4).nullable() }).strict();

const acceptBody = z
  .object({
    /** The rules to make (the proposal as edited in the console); omitted = the proposal as it is. */
    rules: z.array(createRuleSchema).min(1).max(4).optional(),
  })
  .strict();

/** The dictionary as proposals read it (a dictionary problem costs the proposal its MIB names, never the request). */
function directory(d: OidDictionary): NotificationDirectory & OidNamer {
  return {
    node: (oid) => d.node(oid),
    children: (oid) => d.children(oid),
    resolveName: (name) => {
      const r = d.resolveName(name);
      return r.found ? { found: true, node: r.node, oid: r.oid } : { found: false };
    },
    resolve: (oid) => {
      const r = d.resolve(oid);
      return { node: r.node, instance: r.instance };
    },
  };
}

/**
 * The unmatched inbox (event types no rule matched, with proposals) and
 * "Make a rule" from an event (`POST /rules/from-event/:eventId`: the
 * proposed rule and its dry run over the last 24 hours).
 */
export function registerInboxRoutes(api: ApiRegistry, deps: InboxRoutesDeps): void {
  const tag = 'rules';
  const { engine } = deps;
  const repo = engine.parts.inbox;
  const withProposal = (e: InboxEntryDto): InboxEntryWithProposal => {
    const dir = directory(deps.dictionary());
    let name: string | null = null;
    if (e.source === 'trap') {
      const n = dir.node(e.type);
      name = n ? `${n.module}::${n.name}` : null;
    }
    const proposal = proposeForEntry(e, dir);
    return { ...e, name, proposal: e.editedRules ? { ...proposal, edited: true, rules: e.editedRules } : proposal };
  };
  const get = (id: number) => {
    const e = repo.get(id);
    if (!e) throw new NotFoundError('No such inbox entry');
    return e;
  };
  const check = (body: RuleBody) => {
    try {
      if (body.kind !== 'event') throw new Error('only event rules come from the inbox');
      compileEventRule(0, 'check', body, engine.parts.resolveOidName);
      for (const id of body.actions.notify?.channelIds ?? []) {
        if (!engine.parts.channels.dto(id)) throw new Error(`notify.channelIds: no notification channel ${id}`);
      }
    } catch (err) {
      throw new ValidationError(`Invalid rule: ${(err as Error).message}`);
    }
  };
  const audit = (action: string) => ({ object: 'inbox', action, load: (id: number) => repo.get(id) });

  api.add(
    {
      method: 'get',
      path: '/inbox',
      summary: 'Unmatched inbox: event types (trap OIDs, syslog mnemonics / app names) seen recently that no rule matched, with counts, devices, first/last seen, a sample and a proposed raise/clear rule pair',
      tag,
      access: 'viewer',
      query: listQuery,
      response: '{items: InboxEntry[]}',
    },
    ({ query }) => {
      engine.flushInbox();
      return { items: repo.list({ limit: query.limit, all: query.all === 'true' }).map(withProposal) };
    },
  );

  api.add({ method: 'get', path: '/inbox/:id', summary: 'One inbox entry with its proposal', tag, access: 'viewer', response: 'InboxEntry' }, ({ params }) => withProposal(get(idParam(params))));

  api.add(
    {
      method: 'post',
      path: '/inbox/:id/accept',
      summary: 'Accept a proposal (as proposed, or the edited rules in the body): the rules are made and the type leaves the inbox',
      tag,
      access: 'admin',
      body: acceptBody,
      response: '{entry: InboxEntry, rules: Rule[]}',
      audit: audit('accept'),
    },
    ({ params, body, user }) => {
      const entry = withProposal(get(idParam(params)));
      const proposed = body.rules ?? entry.proposal.rules.map((r) => createRuleSchema.parse(r));
      for (const r of proposed) check(r.body);
      const made: RuleDto[] = proposed.map((r) => engine.parts.rules.create({ name: r.name, description: r.description, enabled: r.enabled, body: r.body }, r.position));
      engine.reloadRules();
      const after = repo.mark(entry.id, 'accepted', user?.username ?? null, made.map((r) => r.id))!;
      return { entry: withProposal(after), rules: made };
    },
  );

  api.add(
    {
      method: 'put',
      path: '/inbox/:id/proposal',
      summary: 'Edit a proposal: keep these rules as the proposal of this type (null: back to the computed one); accepting then makes them',
      tag,
      access: 'admin',
      body: editBody,
      response: 'InboxEntry',
      audit: audit('edit'),
    },
    ({ params, body }) => {
      const entry = get(idParam(params));
      for (const r of body.rules ?? []) check(r.body);
      // Event rules only (check() refuses the others).
      const rules = body.rules ? body.rules.map((r) => ({ name: r.name, description: r.description, enabled: r.enabled, body: r.body as ProposedRule['body'] })) : null;
      return withProposal(repo.saveEdited(entry.id, rules)!);
    },
  );

  api.add(
    {
      method: 'post',
      path: '/inbox/:id/dismiss',
      summary: 'Dismiss a type: hidden until one of its events arrives inboxDismissDays or more after the dismissal',
      tag,
      access: 'operator',
      response: 'InboxEntry',
      audit: audit('dismiss'),
    },
    ({ params, user }) => {
      const entry = get(idParam(params));
      return withProposal(repo.mark(entry.id, 'dismissed', user?.username ?? null)!);
    },
  );

  api.add(
    {
      method: 'post',
      path: '/rules/from-event/:eventId',
      summary: '"Make a rule": a rule proposed from one stored event (source, trap OID or syslog type, object varbinds / SD fields as reduction key, severity) with its dry run over the last 24 hours; nothing is saved',
      tag,
      access: 'admin',
      response: 'RuleFromEventResult',
      audit: false,
    },
    async ({ params }): Promise<RuleFromEventResult> => {
      const id = idParam(params, 'eventId');
      const event = (await deps.reads.run('events.get', id)) as StoredEvent | null;
      if (!event) throw new NotFoundError('No such event');
      const deviceName = event.deviceId !== null ? (engine.parts.devices.get(event.deviceId)?.name ?? null) : null;
      const rule = ruleFromEvent(event, directory(deps.dictionary()), deviceName);
      check(rule.body);
      return { eventId: id, rule, dryRun: await engine.dryRunWindow(rule.body, 24) };
    },
  );
}

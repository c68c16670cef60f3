import { z } from 'zod';
import type { RuleBody, RuleDto } from '../contracts/alarms.js';
import type { OidNameResolver } from '../events/engine/event-context.js';
import { compileEventRule } from '../events/engine/rule-compiler.js';
import { createRuleSchema, eventRuleBodySchema, updateRuleSchema } from '../events/engine/rule.schema.js';
import { compileTemplate } from '../events/engine/template.js';
import type { NotificationRepository } from '../store/notification.repository.js';
import type { RuleRepository } from '../store/rule.repository.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

export interface RuleRoutesDeps {
  rules: RuleRepository;
  channels: NotificationRepository;
  engine: {
    reloadRules(): void;
    dryRun(body: Extract<RuleBody, { kind: 'event' }>, limit: number): Promise<unknown>;
    /** Dry run over a time window (issue 17: the 24 h figures of "Make a rule"). */
    dryRunWindow?(body: Extract<RuleBody, { kind: 'event' }>, hours: number): Promise<unknown>;
  };
  resolveOidName?: OidNameResolver;
  /** Events a rule matched since start. */
  hits?: (ruleId: number) => number;
}

const reorderBody = z.object({ ids: z.array(z.number().int().positive()).min(1).max(10_000) }).strict();
const testBody = z
  .object({
    body: eventRuleBodySchema,
    limit: z.number().int().min(1).max(10_000).default(500),
    /** Instead of the last `limit` events: every stored event of the last N hours (figures: matched, alarms, clears). */
    windowHours: z.number().int().min(1).max(168).optional(),
  })
  .strict();

export function registerRuleRoutes(api: ApiRegistry, { rules, channels, engine, resolveOidName, hits }: RuleRoutesDeps): void {
  const tag = 'rules';
  const audit = { object: 'rule', load: (id: number) => rules.get(id) };
  const withHits = (r: RuleDto): RuleDto => (hits ? { ...r, hits: hits(r.id) } : r);

  /** Compiles the body the way the engine will: bad regexes, unknown MIB names and missing channels are a 400 here, not a surprise later. */
  const check = (body: RuleBody): void => {
    try {
      if (body.kind === 'event') compileEventRule(0, 'check', body, resolveOidName);
      else if (body.title) compileTemplate(body.title);
      const notify = body.kind === 'event' ? body.actions.notify : body.notify;
      for (const id of notify?.channelIds ?? []) {
        if (!channels.dto(id)) throw new Error(`notify.channelIds: no notification channel ${id}`);
      }
    } catch (err) {
      throw new ValidationError(`Invalid rule: ${(err as Error).message}`);
    }
  };
  const get = (id: number): RuleDto => {
    const r = rules.get(id);
    if (!r) throw new NotFoundError('No such rule');
    return r;
  };

  api.add({ method: 'get', path: '/rules', summary: 'List rules in evaluation order, with events matched since start', tag, access: 'viewer', response: '{items: Rule[]}' }, () => ({
    items: rules.list().map(withHits),
  }));

  api.add({ method: 'get', path: '/rules/:id', summary: 'Get a rule', tag, access: 'viewer', response: 'The rule' }, ({ params }) => withHits(get(idParam(params))));

  api.add(
    { method: 'post', path: '/rules', summary: 'Create a rule (inserted above the default pack unless a position is given); applies at once', tag, access: 'admin', body: createRuleSchema, status: 201, response: 'The rule', audit: audit },
    ({ body }) => {
      check(body.body);
      const r = rules.create({ name: body.name, description: body.description, enabled: body.enabled, body: body.body }, body.position);
      engine.reloadRules();
      return r;
    },
  );

  api.add(
    { method: 'patch', path: '/rules/:id', summary: 'Edit, enable or disable a rule; applies at once', tag, access: 'admin', body: updateRuleSchema, response: 'The rule', audit: audit },
    ({ params, body }) => {
      const cur = get(idParam(params));
      if (body.body) check(body.body);
      const r = rules.update(cur.id, {
        name: body.name ?? cur.name,
        description: body.description ?? cur.description,
        enabled: body.enabled ?? cur.enabled,
        body: body.body ?? cur.body,
      })!;
      engine.reloadRules();
      return r;
    },
  );

  api.add({ method: 'delete', path: '/rules/:id', summary: 'Delete a rule (default rules can only be disabled)', tag, access: 'admin', status: 204, audit: audit }, ({ params }) => {
    const cur = get(idParam(params));
    if (cur.builtinKey) throw new ConflictError('Default rules cannot be deleted; disable it instead');
    rules.delete(cur.id);
    engine.reloadRules();
  });

  api.add(
    { method: 'post', path: '/rules/reorder', summary: 'Set the evaluation order: the given ids first, in order; the rest keep their order after them', tag, access: 'admin', body: reorderBody, response: '{items: Rule[]}', audit: { object: 'rule', action: 'reorder', objectId: () => null } },
    ({ body }) => {
      const unknown = body.ids.filter((id) => !rules.get(id));
      if (unknown.length) throw new ValidationError(`Unknown rule ids: ${unknown.join(', ')}`);
      const items = rules.reorder(body.ids);
      engine.reloadRules();
      return { items };
    },
  );

  api.add(
    { method: 'post', path: '/rules/test', summary: 'Dry run: evaluate an event rule body against the last N stored events, or (windowHours) every event of the last N hours (nothing is changed)', tag, access: 'admin', body: testBody, response: 'RuleTestResult', audit: false },
    async ({ body }) => {
      check(body.body);
      if (body.windowHours !== undefined && engine.dryRunWindow) return engine.dryRunWindow(body.body, body.windowHours);
      return engine.dryRun(body.body, body.limit);
    },
  );
}

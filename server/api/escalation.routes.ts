import type { EscalationPolicyBody } from '../contracts/escalation.js';
import { escalationPolicyPatchSchema, escalationPolicySchema } from '../notify/escalation.schema.js';
import type { EscalationService } from '../notify/escalation.js';
import type { EscalationRepository } from '../store/escalation.repository.js';
import type { NotificationRepository } from '../store/notification.repository.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { idParam, type ApiRegistry } from './registry.js';

export interface EscalationRoutesDeps {
  escalations: EscalationRepository;
  service: EscalationService;
  channels: NotificationRepository;
}

const isUnique = (err: unknown) => (err as { code?: string })?.code === 'SQLITE_CONSTRAINT_UNIQUE';

/** /escalation-policies: CRUD (admin, audited) and where an alarm's escalation stands. */
export function registerEscalationRoutes(api: ApiRegistry, { escalations, service, channels }: EscalationRoutesDeps): void {
  const tag = 'escalation';
  const audit = { object: 'escalation-policy', load: (id: number) => escalations.get(id) };
  const check = (p: EscalationPolicyBody) => {
    for (const [i, s] of p.steps.entries()) {
      for (const id of s.channelIds) if (!channels.delivery(id)) throw new ValidationError(`steps.${i}.channelIds: no channel ${id}`);
    }
  };
  const save = <T>(name: string, fn: () => T): T => {
    try {
      const r = fn();
      service.reload();
      return r;
    } catch (err) {
      if (isUnique(err)) throw new ConflictError(`A policy named "${name}" already exists`);
      throw err;
    }
  };

  api.add({ method: 'get', path: '/escalation-policies', summary: 'List escalation policies in the order they are matched', tag, access: 'viewer', response: '{items: EscalationPolicy[]}' }, () => ({
    items: escalations.list(),
  }));

  api.add(
    {
      method: 'post', path: '/escalation-policies', tag, access: 'admin', body: escalationPolicySchema, status: 201, response: 'The policy', audit,
      summary: 'Create an escalation policy: steps [{waitMinutes, channelIds}] (wait unacknowledged, then notify), repeatMinutes (the last step again until acknowledged or cleared), assignments [{kind: rule|group|site|severity, value}] (first match wins: rule, group, site, severity; policies in list order within a kind)',
    },
    ({ body }) => {
      check(body);
      return save(body.name, () => escalations.create(body));
    },
  );

  api.add({ method: 'get', path: '/escalation-policies/:id', summary: 'Get an escalation policy', tag, access: 'viewer', response: 'The policy' }, ({ params }) => {
    const p = escalations.get(idParam(params));
    if (!p) throw new NotFoundError('No such escalation policy');
    return p;
  });

  api.add(
    { method: 'patch', path: '/escalation-policies/:id', summary: 'Edit an escalation policy (omitted fields are kept)', tag, access: 'admin', body: escalationPolicyPatchSchema, response: 'The policy', audit },
    ({ params, body }) => {
      const cur = escalations.get(idParam(params));
      if (!cur) throw new NotFoundError('No such escalation policy');
      const next: EscalationPolicyBody = {
        name: body.name ?? cur.name,
        enabled: body.enabled ?? cur.enabled,
        position: body.position ?? cur.position,
        steps: body.steps ?? cur.steps,
        repeatMinutes: body.repeatMinutes === undefined ? cur.repeatMinutes : body.repeatMinutes,
        assignments: body.assignments ?? cur.assignments,
      };
      check(next);
      return save(next.name, () => escalations.update(cur.id, next))!;
    },
  );

  api.add({ method: 'delete', path: '/escalation-policies/:id', summary: 'Delete an escalation policy (alarms escalating under it stop)', tag, access: 'admin', status: 204, audit }, ({ params }) => {
    if (!escalations.delete(idParam(params))) throw new NotFoundError('No such escalation policy');
    service.reload();
  });

  api.add({ method: 'get', path: '/alarms/:id/escalation', summary: 'Where an alarm\'s escalation stands (next step, when it is due), or null', tag, access: 'viewer', response: 'AlarmEscalation | null' }, ({ params }) => ({
    escalation: service.state(idParam(params)) ?? null,
  }));
}

import { describe, expect, it } from 'vitest';
import { deliverySchema, escalationPolicySchema } from '../../../server/notify/escalation.schema.js';
import { buildDelivery, deliveryErrors, deliveryForm, deliverySummary } from '../../../client/src/lib/channel-delivery.js';
import { buildPolicy, describeSteps, policyErrors, policyForm } from '../../../client/src/lib/escalation-form.js';

describe('channel form: quiet hours and digest', () => {
  it('what the form sends is what the server accepts, and reads back the same', () => {
    const f = deliveryForm(undefined);
    expect(buildDelivery(f)).toEqual({});
    f.quiet = true;
    f.timezone = 'Europe/Berlin';
    f.days = [5, 1];
    f.digest = true;
    f.threshold = 7;
    const body = buildDelivery(f);
    expect(deliverySchema.parse(body)).toEqual(body);
    expect(body.quietHours?.days).toEqual([1, 5]);
    expect(deliveryForm(body)).toEqual({ ...f, days: [1, 5] });
    expect(deliverySummary(body)).toBe('quiet 22:00–07:00 Europe/Berlin · digest > 7/min');
  });

  it('flags what the server would refuse', () => {
    const f = { ...deliveryForm(undefined), quiet: true, start: '25:00', days: [], digest: true, threshold: 0 };
    expect([...deliveryErrors(f).keys()].sort()).toEqual(['digest.threshold', 'quiet.days', 'quiet.start']);
  });
});

describe('escalation policy form', () => {
  it('builds a body the server accepts and describes it', () => {
    const f = policyForm(null);
    f.name = 'nights';
    f.steps[0]!.channelIds = [3];
    f.steps.push({ waitMinutes: 10, channelIds: [4, 5] });
    f.repeat = true;
    f.repeatMinutes = 30;
    expect(policyErrors(f).size).toBe(0);
    const body = buildPolicy(f);
    expect(escalationPolicySchema.parse(body)).toEqual(body);
    const names = new Map([[3, 'hook'], [4, 'pd'], [5, 'mail']]);
    expect(describeSteps({ ...body, id: 1, createdAt: 0, updatedAt: 0 }, (id) => names.get(id)!)).toBe('5 min → hook; 10 min → pd, mail; then every 30 min');
  });

  it('needs a name, channels on each step and assignment values', () => {
    const f = policyForm(null);
    f.assignments.push({ kind: 'group', value: ' ' });
    expect([...policyErrors(f).keys()].sort()).toEqual(['assign.1', 'name', 'steps.0.channels']);
  });
});

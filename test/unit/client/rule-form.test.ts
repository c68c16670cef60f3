import { describe, expect, it } from 'vitest';
import type { RuleDto } from '../../../server/contracts/alarms.js';
import { eventRuleBodySchema, thresholdRuleBodySchema } from '../../../server/events/engine/rule.schema.js';
import { describeActions, describeMatch, emptyRuleForm, formFromRule, toRuleBody, validateRuleForm } from '../../../client/src/lib/rule-form.js';

const rule = (body: RuleDto['body']): RuleDto => ({ id: 1, name: 'r', description: '', enabled: true, position: 1, builtinKey: null, body, createdAt: 0, updatedAt: 0 });

describe('rule form model', () => {
  it('turns a filled form into a body the server schema accepts', () => {
    const m = emptyRuleForm();
    m.name = 'port down';
    m.sources = ['syslog'];
    m.message = '%LINK-3-UPDOWN: Interface (?<ifName>\\S+), changed state to down';
    m.messageCaseInsensitive = true;
    m.syslogMaxSeverity = 3;
    m.syslogAppName = 'ios';
    m.rateCount = 3;
    m.rateWindowSec = 60;
    m.varbinds = [{ oid: '1.3.6.1.2.1.2.2.1.1', op: 'gte', value: '3' }, { oid: '1.3.6.1.2.1.2.2.1.7', op: 'exists', value: 'x' }];
    m.severity = 'major';
    m.title = '{device.name}: {ifName} down';
    m.reductionKey = 'linkDown:{deviceOrSource}:{ifName}';
    m.notifyChannelIds = [2];
    m.notifyOn = ['raise'];
    const body = toRuleBody(m);
    expect(eventRuleBodySchema.safeParse(body).success).toBe(true);
    expect(body).toMatchObject({
      kind: 'event',
      match: { sources: ['syslog'], messageCaseInsensitive: true, syslog: { maxSeverity: 3, appName: 'ios' }, rate: { count: 3, windowSec: 60 } },
      actions: { disposition: 'alarm', severity: 'major', reductionKey: 'linkDown:{deviceOrSource}:{ifName}', notify: { channelIds: [2], on: ['raise'] } },
    });
    if (body.kind === 'event') expect(body.match.varbinds).toEqual([{ oid: '1.3.6.1.2.1.2.2.1.1', op: 'gte', value: 3 }, { oid: '1.3.6.1.2.1.2.2.1.7', op: 'exists' }]);
  });

  it('round-trips a rule and keeps match settings the form has no field for', () => {
    const body: RuleDto['body'] = {
      kind: 'event',
      match: { trapOid: '1.3.6.1.6.3.1.1.5.3', params: [{ path: 'x.y', op: 'eq', value: 'z' }], syslog: { facilities: [4], structuredData: { 'a@1.b': 'c' } } },
      actions: { disposition: 'clear', clearKey: 'k', continue: true },
    };
    const m = formFromRule(rule(body));
    expect(m.trapOid).toBe('1.3.6.1.6.3.1.1.5.3');
    expect(m.disposition).toBe('clear');
    expect(toRuleBody(m)).toEqual(body);
  });

  it('round-trips a threshold rule', () => {
    const body: RuleDto['body'] = { kind: 'threshold', metrics: ['cpuUtilisation'], instance: '', op: '>', value: 90, forPolls: 3, severity: 'major', title: 'CPU {value}%' };
    const out = toRuleBody(formFromRule(rule(body)));
    expect(out).toEqual(body);
    expect(thresholdRuleBodySchema.safeParse(out).success).toBe(true);
    expect(describeMatch(out)).toBe('cpuUtilisation > 90 for 3 polls');
  });

  it('says what is missing before asking the server', () => {
    const m = emptyRuleForm();
    m.reductionKey = '';
    m.message = '(unclosed';
    m.rateCount = 5;
    const e = validateRuleForm(m);
    expect(Object.keys(e).sort()).toEqual(['message', 'name', 'rateCount', 'reductionKey']);
    m.disposition = 'clear';
    expect(validateRuleForm(m).clearKey).toBeDefined();
  });

  it('summarises rules for the list', () => {
    const body: RuleDto['body'] = { kind: 'event', match: { sources: ['trap'], trapOid: 'linkDown', message: 'x' }, actions: { disposition: 'alarm', reductionKey: 'k', severity: 'major' } };
    expect(describeMatch(body)).toBe('trap · trap linkDown · message /x/');
    expect(describeActions(body)).toBe('raise k · severity major');
    expect(describeMatch({ kind: 'event', match: {}, actions: {} })).toBe('every event');
  });
});

describe('rule form and the shipped default pack', () => {
  it('opens and saves every default rule without changing it', async () => {
    const { DEFAULT_RULES } = await import('../../../server/events/engine/default-rules.js');
    expect(DEFAULT_RULES.length).toBeGreaterThan(5);
    for (const d of DEFAULT_RULES) {
      const body = (d as { body: RuleDto['body'] }).body;
      expect(toRuleBody(formFromRule(rule(body))), (d as { name?: string }).name).toEqual(body);
    }
  });
});

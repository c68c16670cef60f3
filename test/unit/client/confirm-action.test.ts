import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../client/src/api/client.js';
import { useConfirmAction } from '../../../client/src/composables/use-confirm-action.js';

describe('useConfirmAction (delete/revoke/remove confirmations)', () => {
  it('runs the action on the item asked about and closes on success', async () => {
    const done: number[] = [];
    const c = useConfirmAction(async (item: { id: number }) => {
      expect(c.busy.value).toBe(true);
      done.push(item.id);
    });
    await c.confirm(); // nothing asked: nothing runs
    expect(done).toEqual([]);
    c.ask({ id: 7 });
    expect(c.target.value).toEqual({ id: 7 });
    await c.confirm();
    expect(done).toEqual([7]);
    expect(c.target.value).toBeNull();
    expect(c.busy.value).toBe(false);
  });

  it('keeps the dialog open with the error when the action fails, and clears it on the next ask', async () => {
    let fail = true;
    const c = useConfirmAction(async () => {
      if (fail) throw new ApiError(409, 'conflict', 'Device is in use');
    });
    c.ask('r1');
    await c.confirm();
    expect(c.target.value).toBe('r1');
    expect(c.error.value).toContain('Device is in use');
    expect(c.busy.value).toBe(false);
    c.cancel();
    expect(c.target.value).toBeNull();
    fail = false;
    c.ask('r2');
    expect(c.error.value).toBeNull();
    await c.confirm();
    expect(c.target.value).toBeNull();
  });
});

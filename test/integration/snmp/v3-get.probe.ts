/**
 * Child-process probe for tests: one SNMPv3 GET of sysName.0 with the given
 * settings, printed as JSON. Used to run DES under `--openssl-legacy-provider`.
 */
import { SnmpClient, type SnmpSettings } from '../../../server/collectors/snmp/snmp.client.js';

const [address, json] = process.argv.slice(2);
const client = new SnmpClient({ socketsPerFamily: 1 });
try {
  const s = await client.open({ address: address!, snmp: JSON.parse(json!) as SnmpSettings });
  const vbs = await s.get(['1.3.6.1.2.1.1.5.0']);
  console.log(JSON.stringify({ ok: true, sysName: String(vbs[0]!.value) }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, kind: (e as { kind?: string }).kind, message: (e as Error).message }));
} finally {
  client.close();
}

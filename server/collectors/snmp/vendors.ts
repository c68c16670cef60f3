/** Vendor names by IANA private enterprise number (the N in sysObjectID 1.3.6.1.4.1.N...). */
export const ENTERPRISE_VENDORS: Readonly<Record<number, string>> = {
  2: 'IBM',
  9: 'Cisco',
  11: 'HP',
  23: 'Novell',
  42: 'Sun',
  43: '3Com',
  171: 'D-Link',
  311: 'Microsoft',
  674: 'Dell',
  1588: 'Brocade',
  1916: 'Extreme Networks',
  1991: 'Brocade (Foundry)',
  2011: 'Huawei',
  2021: 'UC Davis (net-snmp, legacy)',
  2272: 'Avaya (Nortel)',
  2636: 'Juniper',
  3076: 'Cisco (Altiga)',
  3375: 'F5',
  4413: 'Broadcom',
  4526: 'Netgear',
  5624: 'Enterasys',
  6027: 'Dell Force10',
  6486: 'Alcatel-Lucent',
  6527: 'Nokia',
  6876: 'VMware',
  8072: 'net-snmp',
  9303: 'Check Point',
  11863: 'TP-Link',
  12356: 'Fortinet',
  14179: 'Cisco (Airespace)',
  14823: 'Aruba',
  14988: 'MikroTik',
  25053: 'Ruckus',
  25461: 'Palo Alto Networks',
  25506: 'H3C',
  29671: 'Cisco Meraki',
  30065: 'Arista',
  41112: 'Ubiquiti',
  47196: 'HPE Aruba',
};

const ENTERPRISES = '1.3.6.1.4.1.';

/** Enterprise number of a sysObjectID, or null when it is not under enterprises. */
export function enterpriseOf(sysObjectID: string | null | undefined): number | null {
  if (!sysObjectID) return null;
  const oid = sysObjectID.startsWith('.') ? sysObjectID.slice(1) : sysObjectID;
  if (!oid.startsWith(ENTERPRISES)) return null;
  const n = Number(oid.slice(ENTERPRISES.length).split('.')[0]);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

export function vendorOf(sysObjectID: string | null | undefined): string | null {
  const n = enterpriseOf(sysObjectID);
  if (n === null) return null;
  return ENTERPRISE_VENDORS[n] ?? `enterprise ${n}`;
}

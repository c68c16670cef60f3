/** Numeric OIDs the collector asks for (SNMPv2-MIB, IF-MIB, HOST-RESOURCES-MIB, UCD-SNMP-MIB, LLDP-MIB, CISCO-CDP-MIB). */
export const SYS = {
  sysDescr: '1.3.6.1.2.1.1.1.0',
  sysObjectID: '1.3.6.1.2.1.1.2.0',
  sysUpTime: '1.3.6.1.2.1.1.3.0',
  sysContact: '1.3.6.1.2.1.1.4.0',
  sysName: '1.3.6.1.2.1.1.5.0',
  sysLocation: '1.3.6.1.2.1.1.6.0',
} as const;

const IF_ENTRY = '1.3.6.1.2.1.2.2.1';
export const IF = {
  ifDescr: `${IF_ENTRY}.2`,
  ifType: `${IF_ENTRY}.3`,
  ifMtu: `${IF_ENTRY}.4`,
  ifSpeed: `${IF_ENTRY}.5`,
  ifPhysAddress: `${IF_ENTRY}.6`,
  ifAdminStatus: `${IF_ENTRY}.7`,
  ifOperStatus: `${IF_ENTRY}.8`,
  ifLastChange: `${IF_ENTRY}.9`,
  ifInOctets: `${IF_ENTRY}.10`,
  ifInUcastPkts: `${IF_ENTRY}.11`,
  ifInDiscards: `${IF_ENTRY}.13`,
  ifInErrors: `${IF_ENTRY}.14`,
  ifOutOctets: `${IF_ENTRY}.16`,
  ifOutUcastPkts: `${IF_ENTRY}.17`,
  ifOutDiscards: `${IF_ENTRY}.19`,
  ifOutErrors: `${IF_ENTRY}.20`,
} as const;

const IFX_ENTRY = '1.3.6.1.2.1.31.1.1.1';
export const IFX = {
  ifName: `${IFX_ENTRY}.1`,
  ifInMulticastPkts: `${IFX_ENTRY}.2`,
  ifInBroadcastPkts: `${IFX_ENTRY}.3`,
  ifOutMulticastPkts: `${IFX_ENTRY}.4`,
  ifOutBroadcastPkts: `${IFX_ENTRY}.5`,
  ifHighSpeed: `${IFX_ENTRY}.15`,
  ifAlias: `${IFX_ENTRY}.18`,
  ifCounterDiscontinuityTime: `${IFX_ENTRY}.19`,
} as const;
/** 64-bit columns: not asked of SNMPv1 agents (v1 has no Counter64). */
export const IFX_HC = {
  ifHCInOctets: `${IFX_ENTRY}.6`,
  ifHCInUcastPkts: `${IFX_ENTRY}.7`,
  ifHCInMulticastPkts: `${IFX_ENTRY}.8`,
  ifHCInBroadcastPkts: `${IFX_ENTRY}.9`,
  ifHCOutOctets: `${IFX_ENTRY}.10`,
  ifHCOutUcastPkts: `${IFX_ENTRY}.11`,
  ifHCOutMulticastPkts: `${IFX_ENTRY}.12`,
  ifHCOutBroadcastPkts: `${IFX_ENTRY}.13`,
} as const;

const HR_STORAGE_ENTRY = '1.3.6.1.2.1.25.2.3.1';
export const HR = {
  hrProcessorLoad: '1.3.6.1.2.1.25.3.3.1.2',
  hrStorageType: `${HR_STORAGE_ENTRY}.2`,
  hrStorageDescr: `${HR_STORAGE_ENTRY}.3`,
  hrStorageAllocationUnits: `${HR_STORAGE_ENTRY}.4`,
  hrStorageSize: `${HR_STORAGE_ENTRY}.5`,
  hrStorageUsed: `${HR_STORAGE_ENTRY}.6`,
} as const;
/** hrStorageTypes.N -> our kind. */
export const HR_STORAGE_TYPES: Record<string, 'ram' | 'virtual' | 'disk'> = {
  '1.3.6.1.2.1.25.2.1.2': 'ram',
  '1.3.6.1.2.1.25.2.1.3': 'virtual',
  '1.3.6.1.2.1.25.2.1.4': 'disk',
  '1.3.6.1.2.1.25.2.1.5': 'disk',
  '1.3.6.1.2.1.25.2.1.9': 'disk',
  '1.3.6.1.2.1.25.2.1.10': 'disk',
};

export const UCD = {
  laLoad1: '1.3.6.1.4.1.2021.10.1.3.1',
  laLoad5: '1.3.6.1.4.1.2021.10.1.3.2',
  laLoad15: '1.3.6.1.4.1.2021.10.1.3.3',
  memTotalSwap: '1.3.6.1.4.1.2021.4.3.0',
  memAvailSwap: '1.3.6.1.4.1.2021.4.4.0',
  memTotalReal: '1.3.6.1.4.1.2021.4.5.0',
  memAvailReal: '1.3.6.1.4.1.2021.4.6.0',
  memBuffer: '1.3.6.1.4.1.2021.4.14.0',
  memCached: '1.3.6.1.4.1.2021.4.15.0',
} as const;

const LLDP_REM = '1.0.8802.1.1.2.1.4.1.1';
export const LLDP = {
  lldpRemChassisIdSubtype: `${LLDP_REM}.4`,
  lldpRemChassisId: `${LLDP_REM}.5`,
  lldpRemPortIdSubtype: `${LLDP_REM}.6`,
  lldpRemPortId: `${LLDP_REM}.7`,
  lldpRemPortDesc: `${LLDP_REM}.8`,
  lldpRemSysName: `${LLDP_REM}.9`,
  lldpRemSysDesc: `${LLDP_REM}.10`,
  lldpRemManAddrIfSubtype: '1.0.8802.1.1.2.1.4.2.1.3',
  lldpLocPortId: '1.0.8802.1.1.2.1.3.7.1.3',
  lldpLocPortDesc: '1.0.8802.1.1.2.1.3.7.1.4',
} as const;

const CDP_CACHE = '1.3.6.1.4.1.9.9.23.1.2.1.1';
export const CDP = {
  cdpCacheAddressType: `${CDP_CACHE}.3`,
  cdpCacheAddress: `${CDP_CACHE}.4`,
  cdpCacheDeviceId: `${CDP_CACHE}.6`,
  cdpCacheDevicePort: `${CDP_CACHE}.7`,
  cdpCachePlatform: `${CDP_CACHE}.8`,
} as const;

/**
 * Console pages whose features arrive with later work. Until then each shows an
 * honest "not yet available" page that says what it will hold.
 */
export interface PlannedPage {
  path: string;
  name: string;
  title: string;
  summary: string;
}

export const PLANNED_PAGES: PlannedPage[] = [];

import type { Config } from '@jest/types';
import { ensureServices } from '../support/services';
import { ensureAlertmanager } from '../support/alertmanager-service';

export default async function globalSetup(globalConfig: Config.GlobalConfig): Promise<void> {
  const teardown = await ensureServices();
  // Alertmanager only for runs that include its tests (test/support/alertmanager-service.ts).
  const alertmanager = await ensureAlertmanager(globalConfig);
  (globalThis as { __FW_TEARDOWN__?: () => Promise<void> }).__FW_TEARDOWN__ = async () => {
    await alertmanager();
    await teardown();
  };
}

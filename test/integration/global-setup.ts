import { ensureServices } from '../support/services';

export default async function globalSetup(): Promise<void> {
  const teardown = await ensureServices();
  (globalThis as { __FW_TEARDOWN__?: () => Promise<void> }).__FW_TEARDOWN__ = teardown;
}

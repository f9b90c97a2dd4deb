export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __FW_TEARDOWN__?: () => Promise<void> }).__FW_TEARDOWN__?.();
}

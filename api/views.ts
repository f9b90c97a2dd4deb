import type { Silence } from '../alerts/mute/silence';
/** How the API shows a silence (times as ISO strings); the console's live feed shows them the same way. */
export function silenceJson(s: Silence & { state: string }) {
  return {
    id: s.id,
    state: s.state,
    matchers: s.matchers,
    startsAt: new Date(s.startsAt).toISOString(),
    endsAt: new Date(s.endsAt).toISOString(),
    createdBy: s.createdBy,
    comment: s.comment,
    createdAt: new Date(s.createdAt).toISOString(),
  };
}

export type SilenceJson = ReturnType<typeof silenceJson>;

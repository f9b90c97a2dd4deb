import { StateEncoder } from '../state/codec';

// Every detector state with an alert flag ends with the member `firing: true|false`; its two
// possible byte runs are made once here and copied by each detector's encode().
const FIRING_TRUE = StateEncoder.fragment((e) => {
  e.key('firing');
  e.bool(true);
});
const FIRING_FALSE = StateEncoder.fragment((e) => {
  e.key('firing');
  e.bool(false);
});

/** The encoded member `firing: <firing>`, for StateEncoder.raw(). */
export function firingField(firing: boolean): Uint8Array {
  return firing ? FIRING_TRUE : FIRING_FALSE;
}

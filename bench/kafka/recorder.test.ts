import { StepRecorder } from './recorder';

describe('StepRecorder.recordBatch', () => {
  it("records each event of a committed batch from its own send time, and leaves earlier steps' leftovers out", () => {
    const r = new StepRecorder(1000, 3000);
    // Sent 1 ms before the step (left out: an earlier step's), at its start, in its last third.
    const stamps = new Float64Array([998, 1000, 3500]);
    const received = new Float64Array([1005, 1010, 3510]);
    r.recordBatch(stamps, 3600, 3520, received);
    expect(r.committed).toBe(2);
    expect(r.state.count).toBe(2);
    expect(r.state.maxMs()).toBe(2600); // 3600 - 1000
    expect(r.pickup.maxMs()).toBe(2520);
    expect(r.delivery.percentileMs(0)).toBe(10); // 3510 - 3500
    expect(r.thirds.map((h) => h.count)).toEqual([1, 0, 1]);
  });

  it('without per-record arrival stamps, takes the batch start as the arrival', () => {
    const r = new StepRecorder(0, 1000);
    r.recordBatch(new Float64Array([100]), 200, 150, undefined);
    expect(r.delivery.maxMs()).toBe(50);
    r.recordAlert(42);
    expect(r.alert.count).toBe(1);
  });
});

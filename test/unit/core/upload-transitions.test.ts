import { expect } from '@open-wc/testing';
import { canMove, taskActions, UPLOAD_TRANSITIONS, UploadState } from '../../../src/core/types.js';

describe('the upload state machine (core/types.ts)', () => {
  it('lets every active state pause, fail or be canceled, and keeps done and canceled final', () => {
    for (const state of [UploadState.Queued, UploadState.Hashing, UploadState.Uploading, UploadState.Completing]) {
      for (const to of [UploadState.Paused, UploadState.Failed, UploadState.Canceled]) expect(canMove(state, to), `${state} → ${to}`).to.equal(true);
    }
    expect(UPLOAD_TRANSITIONS.done).to.deep.equal([]);
    expect(UPLOAD_TRANSITIONS.canceled).to.deep.equal([]);
    expect(canMove(UploadState.Done, UploadState.Queued)).to.equal(false);
    expect(canMove(UploadState.Paused, UploadState.Uploading), 'a paused task is queued again before it runs').to.equal(false);
  });

  it('offers each state the buttons the element shows, read off the machine', () => {
    const shown: Record<UploadState, string[]> = {
      queued: ['pause', 'cancel'],
      hashing: ['pause', 'cancel'],
      uploading: ['pause', 'cancel'],
      completing: [],
      paused: ['resume', 'cancel'],
      failed: ['retry', 'cancel'],
      canceled: ['remove'],
      done: ['remove'],
    };
    for (const state of Object.values(UploadState)) expect(taskActions(state), state).to.deep.equal(shown[state]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArguments } from './cli';

describe('bench command line', () => {
  it('reads the scenario, --quick, --profile, --targets and numeric overrides', () => {
    assert.deepEqual(
      parseArguments([
        'fanout',
        '--quick',
        '--profile',
        '--targets=palaver,bare-socketio',
        '--connections=200',
      ]),
      {
        scenario: 'fanout',
        quick: true,
        profile: true,
        targets: ['palaver', 'bare-socketio'],
        overrides: { connections: 200 },
      },
    );
  });

  it('rejects a non-numeric override and an unknown flag, naming them', () => {
    assert.throws(() => parseArguments(['fanout', '--rooms=ten']), /--rooms must be a number \(got 'ten'\)/);
    assert.throws(() => parseArguments(['fanout', '--fast']), /unknown argument '--fast'/);
  });
});

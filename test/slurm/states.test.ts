// Reading Slurm's answers (outputs as Slurm 22.05 prints them on the CI cluster) and checking resources.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../src/core/errors';
import { parseResources, sbatchResourceArgs } from '../../src/slurm/resources';
import { describeTask, expandJobId, parseSacct, parseScontrol, parseSqueue } from '../../src/slurm/states';

describe('slurm states', () => {
  it('reads sacct: states, exit codes and signals, a cancelled pending range of an array', () => {
    const out = ['1|COMPLETED|0:0', '3|PENDING|0:0', '4|CANCELLED by 0|0:15', '2_0|COMPLETED|0:0', '2_1|FAILED|1:0', '2_[2-3]|CANCELLED by 0|0:0', '7|TIMEOUT|0:1', ''].join('\n');
    const t = parseSacct(out);
    assert.deepEqual(t.map((x) => [x.id, x.task, x.state, x.exitCode, x.signal]), [
      ['1', undefined, 'COMPLETED', 0, 0],
      ['3', undefined, 'PENDING', 0, 0],
      ['4', undefined, 'CANCELLED', 0, 15],
      ['2_0', 0, 'COMPLETED', 0, 0],
      ['2_1', 1, 'FAILED', 1, 0],
      ['2_2', 2, 'CANCELLED', 0, 0],
      ['2_3', 3, 'CANCELLED', 0, 0],
      ['7', undefined, 'TIMEOUT', 0, 1],
    ]);
    assert.equal(describeTask(t[4]!), 'FAILED (exit 1)');
    assert.equal(describeTask(t[2]!), 'CANCELLED (exit 0, signal 15)');
  });

  it('reads squeue -r and scontrol -o, with paths that hold spaces and look like fields', () => {
    assert.deepEqual(parseSqueue('5_2|RUNNING\n5_3|PENDING\n6|COMPLETING\n').map((x) => `${x.id}:${x.state}`), ['5_2:RUNNING', '5_3:PENDING', '6:COMPLETING']);
    const line = (id: number, task: string, state: string, exit: string): string =>
      `JobId=${id} ArrayJobId=5 ArrayTaskId=${task} JobName=avu-caption UserId=root(0) JobState=${state} Reason=None ExitCode=${exit} WorkDir=/data/a b JobState=COMPLETED ExitCode=0:0 StdOut=/dev/null`;
    const t = parseScontrol([line(7, '0', 'FAILED', '2:0'), line(5, '1-2%1', 'CANCELLED', '0:0')].join('\n'));
    assert.deepEqual(t.map((x) => [x.id, x.state, x.exitCode]), [['5_0', 'FAILED', 2], ['5_1', 'CANCELLED', 0], ['5_2', 'CANCELLED', 0]]);
    assert.deepEqual(parseScontrol('JobId=9 JobName=x JobState=OUT_OF_MEMORY ExitCode=0:125').map((x) => [x.id, x.task, x.state, x.exitCode]), [['9', undefined, 'OUT_OF_MEMORY', 0]]);
    assert.deepEqual(expandJobId('3_[1,4-6:2]').map((x) => x.id), ['3_1', '3_4', '3_6']);
    assert.deepEqual(expandJobId('batch'), []);
  });

  it('checks resources and hands each to sbatch as one argument', () => {
    const r = parseResources({ partition: 'gpu', cpus: 4, mem: '8G', time: '01:00:00', gres: 'gpu:1', qos: '' }, 'cfg.json');
    assert.deepEqual(sbatchResourceArgs(r), ['--partition=gpu', '--cpus-per-task=4', '--mem=8G', '--time=01:00:00', '--gres=gpu:1']);
    assert.throws(() => parseResources({ partition: 'a b; rm -rf /' }, 'cfg.json'), (e: unknown) => e instanceof UsageError && /partition/.test(e.message) && /cfg\.json/.test(e.message));
    assert.throws(() => parseResources({ memory: '8G' }, 'cfg.json'), (e: unknown) => e instanceof UsageError && /unknown Slurm setting 'memory'/.test(e.message));
    assert.throws(() => parseResources({ cpus: 0 }, 'cfg.json'), UsageError);
  });
});

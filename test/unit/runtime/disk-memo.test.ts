import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { diskMemo, diskMemoDir } from '../../../src/runtime/disk-memo.js';

const freshDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'disk-memo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

t.test('an answer is computed once per machine, not once per process', async (t) => {
  const dir = freshDir();
  let calls = 0;
  const upper = (text: string): string => {
    calls++;
    return text.toUpperCase();
  };
  t.equal(diskMemo('upper', upper, dir)('abc'), 'ABC');
  // A second memo stands for another process: it finds the answer on disk.
  t.equal(diskMemo('upper', upper, dir)('abc'), 'ABC');
  t.equal(calls, 1);
  t.equal(diskMemo('upper', upper, dir)('abd'), 'ABD', 'another text is another answer');
  t.equal(calls, 2);
  t.equal(readdirSync(dir).filter((file) => file.endsWith('.tmp')).length, 0, 'no partial files are left behind');
});

t.test('a changed function or another name never reads an old answer', async (t) => {
  const dir = freshDir();
  t.equal(diskMemo('f', (text) => `${text}1`, dir)('x'), 'x1');
  t.equal(diskMemo('f', (text) => `${text}2`, dir)('x'), 'x2');
  t.equal(diskMemo('g', (text) => `${text}1`, dir)('x'), 'x1');
  t.equal(readdirSync(dir).length, 3);
});

t.test('a directory it cannot make or write falls back to computing', async (t) => {
  const file = join(freshDir(), 'a-file');
  writeFileSync(file, '');
  const memo = diskMemo('nested', (text) => text.length.toString(), join(file, 'below'));
  t.equal(memo('four'), '4');
});

t.test('the cache lives where the environment says', async (t) => {
  t.equal(diskMemoDir({ KUBEVIRT_EMULATOR_CACHE_DIR: '/c' }), '/c');
  t.equal(diskMemoDir({ XDG_CACHE_HOME: '/x' }), '/x/kubevirt-emulator');
});

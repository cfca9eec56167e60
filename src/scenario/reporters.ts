/**
 * Reporters: `human` (each step with its timing; on failure what was looked
 * at, expected and found), `tap` (TAP version 14, one test point per scenario
 * with its steps as a subtest), and JUnit XML for CI (`junitXml`).
 */
import { relative } from 'node:path';
import { formatDuration } from '../runtime/duration.js';
import type { Reporter, ScenarioResult, StepResult } from './results.js';

export type Write = (text: string) => void;

const show = (value: unknown): string => (typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? String(value)));
const indent = (text: string, prefix: string): string =>
  text
    .split('\n')
    .map((line) => prefix + line)
    .join('\n');
const displayPath = (file: string): string => relative(process.cwd(), file) || file;

/** The failure's lines: message, then `path`, `- expected`, `+ actual` as a small diff. */
export function failureLines(step: StepResult): string[] {
  if (!step.error) return [];
  const { message, detail } = step.error;
  const lines = [`step ${step.id} (${step.label}): ${message}`];
  if (detail.path !== undefined) lines.push(`  path:     ${detail.path}`);
  if (detail.expected !== undefined) lines.push(indent(`- expected: ${show(detail.expected)}`, '  '));
  if (detail.actual !== undefined) lines.push(indent(`+ actual:   ${show(detail.actual)}`, '  '));
  return lines;
}

const timing = (step: { wallMs: number; simulatedMs: number }): string =>
  step.simulatedMs > step.wallMs + 1
    ? `${formatDuration(step.wallMs)}, ${formatDuration(step.simulatedMs)} simulated`
    : formatDuration(step.wallMs);

export function humanReporter(write: Write): Reporter {
  const mark = { passed: '✓', failed: '✗', skipped: '-' } as const;
  return {
    scenarioStarted: (name, file) => write(`scenario ${name} (${displayPath(file)})\n`),
    stepFinished(_, step) {
      write(`  ${mark[step.status]} ${step.id} ${step.label}${step.status === 'skipped' ? ' (skipped)' : ` (${timing(step)})`}\n`);
      for (const line of failureLines(step)) write(`${indent(line, '      ')}\n`);
    },
    scenarioFinished: (result) => write(`${result.passed ? 'PASS' : 'FAIL'} ${result.name} (${timing(result)})\n\n`),
    runFinished(results, wallMs) {
      const failed = results.filter((r) => !r.passed);
      write(
        `${results.length - failed.length} passed, ${failed.length} failed${failed.length ? `: ${failed.map((r) => r.name).join(', ')}` : ''}\n`,
      );
      write(`total wall time ${formatDuration(wallMs)}\n`);
    },
  };
}

/** TAP 14: a test point per scenario, its steps as an indented subtest, failures as YAML diagnostics. */
export function tapReporter(write: Write): Reporter {
  let count = 0;
  let steps: string[] = [];
  let points = 0;
  return {
    scenarioStarted(name) {
      if (count === 0) write('TAP version 14\n');
      steps = [`# Subtest: ${name}`];
      points = 0;
    },
    stepFinished(_, step) {
      const n = ++points;
      const directive = step.status === 'skipped' ? ' # SKIP' : '';
      steps.push(`${step.status === 'failed' ? 'not ok' : 'ok'} ${n} - ${step.id} ${step.label}${directive}`);
      if (step.error) {
        const { message, detail } = step.error;
        steps.push('  ---', `  message: ${JSON.stringify(message)}`);
        if (detail.path !== undefined) steps.push(`  path: ${JSON.stringify(detail.path)}`);
        if (detail.expected !== undefined) steps.push(`  expected: ${JSON.stringify(detail.expected)}`);
        if (detail.actual !== undefined) steps.push(`  actual: ${JSON.stringify(detail.actual)}`);
        steps.push('  ...');
      }
    },
    scenarioFinished(result) {
      count++;
      write(`${indent([...steps, `1..${result.steps.length}`].join('\n'), '    ')}\n`);
      write(`${result.passed ? 'ok' : 'not ok'} ${count} - ${result.name} # time=${result.wallMs.toFixed(0)}ms\n`);
    },
    runFinished(_, wallMs) {
      write(`1..${count}\n# total wall time ${formatDuration(wallMs)}\n`);
    },
  };
}

const xmlEscape = (text: string): string =>
  text
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c)
    .replace(/[^\t\n\r\x20-\uD7FF\uE000-\uFFFD]/gu, '');

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** JUnit XML: a testsuite per scenario, a testcase per step. */
export function junitXml(results: ScenarioResult[], wallMs: number): string {
  const count = (status: StepResult['status']) => results.reduce((n, r) => n + r.steps.filter((s) => s.status === status).length, 0);
  const tests = results.reduce((n, r) => n + r.steps.length, 0);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="kubevirt-emulator scenarios" tests="${tests}" failures="${count('failed')}" skipped="${count('skipped')}" time="${seconds(wallMs)}">`,
  ];
  for (const result of results) {
    const failures = result.steps.filter((s) => s.status === 'failed').length;
    const skipped = result.steps.filter((s) => s.status === 'skipped').length;
    lines.push(
      `  <testsuite name="${xmlEscape(result.name)}" file="${xmlEscape(displayPath(result.file))}" tests="${result.steps.length}" failures="${failures}" skipped="${skipped}" time="${seconds(result.wallMs)}">`,
    );
    for (const step of result.steps) {
      const open = `    <testcase classname="${xmlEscape(result.name)}" name="${xmlEscape(`${step.id} ${step.label}`)}" time="${seconds(step.wallMs)}"`;
      if (step.status === 'passed') lines.push(`${open}/>`);
      else if (step.status === 'skipped') lines.push(`${open}>`, '      <skipped/>', '    </testcase>');
      else
        lines.push(
          `${open}>`,
          `      <failure message="${xmlEscape(step.error?.message ?? 'failed')}">${xmlEscape(failureLines(step).join('\n'))}</failure>`,
          '    </testcase>',
        );
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}

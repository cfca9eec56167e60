/** What running scenarios produces, for the reporters. */
import type { FailureDetail } from './assertions.js';

export type StepStatus = 'passed' | 'failed' | 'skipped';

export interface StepResult {
  /** Position: "3", or "5.2" for the second step inside the fifth (a repeat). */
  id: string;
  label: string;
  status: StepStatus;
  wallMs: number;
  /** Simulated time the step took (virtual clock in-process; equal to wall time against a real emulator). */
  simulatedMs: number;
  error?: { message: string; detail: FailureDetail };
}

export interface ScenarioResult {
  name: string;
  file: string;
  passed: boolean;
  wallMs: number;
  simulatedMs: number;
  steps: StepResult[];
}

/** Receives progress as it happens; `runFinished` gets everything at the end. */
export interface Reporter {
  scenarioStarted(name: string, file: string): void;
  stepFinished(scenario: string, step: StepResult): void;
  scenarioFinished(result: ScenarioResult): void;
  runFinished(results: ScenarioResult[], wallMs: number): void;
}

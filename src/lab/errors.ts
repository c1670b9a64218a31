import {LabError} from '../errors.js'

/** Why a lab operation failed, for programs (tests retry on 'subnet-in-use', CI reports 'exists'...). */
export type LabProblemReason =
  | 'bad-name'
  | 'bad-nodes'
  | 'bad-dir'
  | 'bad-subnet'
  | 'subnet-in-use'
  | 'exists'
  | 'leftovers'
  | 'not-found'
  | 'not-root'
  | 'missing-tools'
  | 'command-failed'
  | 'node-failed'
  | 'locked'
  | 'interrupted'

/** A LabError (code LAB_FAILED, exit 1) that also says why, as `reason` in --json output. */
export class LabProblem extends LabError {
  constructor(readonly reason: LabProblemReason, message: string, suggestions: string[] = []) {
    super(message, suggestions)
    this.name = 'LabError' // what --json shows as "error": the class of the error hierarchy
  }

  override toJSON(): Record<string, unknown> {
    return {...super.toJSON(), reason: this.reason}
  }
}

/** Throws a LabProblem('interrupted') once `signal` has fired (Ctrl-C during `up`: what was made is removed). */
export function checkInterrupted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new LabProblem('interrupted', 'interrupted: what the lab had made so far was removed', ['run `netprov lab up` again'])
}

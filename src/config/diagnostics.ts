// Collects every problem found in a cluster file, each pinned to a line and column, so that the user
// sees all of them at once instead of fixing one per run.
import type {Diagnostic} from '../errors.js'
import type {Locator, Part} from './locate.js'
import {type Path, toPointer} from './paths.js'

export class Diagnostics {
  readonly list: Diagnostic[] = []
  readonly warnings: Diagnostic[] = [] // worth saying, but the file is still valid

  constructor(
    readonly file: string,
    private readonly locator?: Locator,
  ) {}

  /** A problem at `path` in the data (the key itself with part 'key'). */
  at(path: Path, message: string, part: Part = 'value'): void {
    const {line, col} = this.locator ? this.locator.position(path, part) : {line: 1, col: 1}
    this.list.push({file: this.file, line, col, message, path: toPointer(path)})
  }

  warn(path: Path, message: string, part: Part = 'value'): void {
    const {line, col} = this.locator ? this.locator.position(path, part) : {line: 1, col: 1}
    this.warnings.push({file: this.file, line, col, message, path: toPointer(path)})
  }

  /** The line `path` is on, for messages that refer to a second place ("already used on line 12"). */
  lineOf(path: Path): number {
    return this.locator ? this.locator.position(path).line : 0
  }

  /** Where `path` is written (1:1 without a source), to tell which of two places comes first. */
  positionOf(path: Path): {line: number; col: number} {
    return this.locator ? this.locator.position(path) : {line: 1, col: 1}
  }

  /** A problem at a known source position (YAML syntax) or with none (line 0: missing file). */
  raw(line: number, col: number, message: string): void {
    this.list.push({file: this.file, line, col, message})
  }

  get empty(): boolean {
    return this.list.length === 0
  }

  /** In file order; a stable sort keeps same-position problems in the order they were found. */
  sorted(): Diagnostic[] {
    return [...this.list].sort(byPosition)
  }

  sortedWarnings(): Diagnostic[] {
    return [...this.warnings].sort(byPosition)
  }
}

const byPosition = (a: Diagnostic, b: Diagnostic): number => a.line - b.line || a.col - b.col

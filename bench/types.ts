/** One measured number, optionally relative to a baseline measured in the same run. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** What `ratio` compares against, with its own measured value. */
  baseline?: string;
  /** value / baseline value (higher is better for throughputs). */
  ratio?: number;
}

export interface BenchOptions {
  /** `npm run bench -- --quick`: a few seconds a bench, for CI; figures, not precision. */
  quick: boolean;
}

export type BenchFunction = (opts: BenchOptions) => Promise<BenchResult[]>;

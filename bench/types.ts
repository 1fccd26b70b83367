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

export type BenchFunction = () => Promise<BenchResult[]>;

import { ArgumentError, ShapeError } from '@alexnet/tensor';

/** The graph given to `Net` is malformed: a cycle, a missing input, a duplicate or unknown name. */
export class GraphError extends Error {
  override name = 'GraphError';
}

/**
 * The same kind of error with `context` in front of the message (ShapeError stays a ShapeError), the
 * original kept as `cause`.
 */
export function withContext(error: unknown, context: string): Error {
  if (!(error instanceof Error)) return new Error(`${context}: ${String(error)}`);
  const message = `${context}: ${error.message}`;
  const Kind =
    error instanceof ShapeError
      ? ShapeError
      : error instanceof ArgumentError
        ? ArgumentError
        : error instanceof GraphError
          ? GraphError
          : Error;
  return new Kind(message, { cause: error });
}

import * as vscode from 'vscode';
import { describeError, CancelledError } from '../core/errors';

/**
 * Registers a command whose failures end here: a rejected promise becomes one sentence in an error
 * notification (and a line in the log), never an unhandled rejection. Returns the handler's result, or
 * undefined when it failed, so tests and other extensions can call it through executeCommand.
 */
export function registerSafeCommand<A extends unknown[], R>(
  id: string,
  log: vscode.LogOutputChannel,
  handler: (...args: A) => Promise<R>,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: A): Promise<R | undefined> => {
    try {
      return await handler(...args);
    } catch (err) {
      if (err instanceof CancelledError) return undefined;
      const sentence = describeError(err);
      const cause = err instanceof Error && err.cause !== undefined ? ` (cause: ${String(err.cause)})` : '';
      log.error(`${id}: ${sentence}${cause}`);
      void vscode.window.showErrorMessage(sentence);
      return undefined;
    }
  });
}

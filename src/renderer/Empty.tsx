// An empty state that says what is missing, never a placeholder with invented data.
import type { ReactNode } from 'react';

export function Empty({ children, testid }: { children: ReactNode; testid?: string }) {
  return (
    <div className="empty" data-testid={testid ?? 'empty'}>
      {children}
    </div>
  );
}

/** Loading and error of one Loadable, or nothing once it is ready. */
export function LoadStatus({ status, error, what }: { status: string; error: string | null; what: string }) {
  if (status === 'error')
    return (
      <div className="error" role="alert" data-testid="load-error">
        could not load {what}: {error}
      </div>
    );
  if (status === 'loading' || status === 'idle')
    return (
      <div className="loading" data-testid="loading">
        loading {what}…
      </div>
    );
  return null;
}

/** Staff pages: who is signed in, and a redirect to /login when nobody is. */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, currentUser, logout } from './api.ts';
import type { StaffUser } from './contract.ts';
import { loginUrl } from './location.ts';

export type StaffState = { kind: 'loading' } | { kind: 'signed-in'; user: StaffUser } | { kind: 'error'; error: unknown };

function returnPath(): string {
  return `${location.pathname}${location.search}${location.hash}`;
}

/** Loads the signed-in user; on 401 sends the browser to the login page with `next` set to here. */
export function useStaff(): StaffState {
  const [state, setState] = useState<StaffState>({ kind: 'loading' });
  useEffect(() => {
    let cancelled = false;
    currentUser().then(
      ({ user }) => {
        if (!cancelled) setState({ kind: 'signed-in', user });
      },
      (error: unknown) => {
        if (cancelled) return;
        if (error instanceof ApiError && error.status === 401) {
          location.replace(loginUrl(returnPath()));
          return;
        }
        setState({ kind: 'error', error });
      },
    );
    return () => {
      cancelled = true;
    };
  }, []);
  return state;
}

export async function signOut(): Promise<void> {
  try {
    await logout();
  } finally {
    location.assign('/login');
  }
}
